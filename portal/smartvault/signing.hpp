#pragma once
// The app's RSA private key and the self-signed token SmartVault's autonomous clients present to
// obtain a client token (RSA-SHA256, OpenSSL).

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/expected.hpp"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace taxsync::portal::smartvault {

class PrivateKey {
public:
    /// Parses a PEM RSA private key (PKCS #1 or PKCS #8, unencrypted).
    static Expected<PrivateKey> from_pem(std::string_view pem);
    /// RSA-SHA256 (PKCS #1 v1.5) signature of `data`.
    [[nodiscard]] Expected<std::string> sign(std::string_view data) const;

private:
    struct Free {
        void operator()(evp_pkey_st* key) const;
    };
    std::shared_ptr<evp_pkey_st> key_;
};

/// Reads the PEM private key file; refuses it when group or others may read it, naming the fix.
Expected<std::string> read_private_key_file(const std::filesystem::path& file);

/// The bytes that are signed: "SLF00" + length + app id + length + nonce, each length a 4-byte
/// big-endian count of the UTF-8 bytes that follow (the length encoding is assumed).
std::string self_signed_prefix(std::string_view app_id, std::string_view nonce);
/// BASE64(prefix + RSA-SHA256(prefix)).
Expected<std::string> self_signed_token(const PrivateKey& key, std::string_view app_id, std::string_view nonce);

}  // namespace taxsync::portal::smartvault
