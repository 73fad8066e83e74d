#include "portal/smartvault/signing.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include "core/file.hpp"

namespace taxsync::portal::smartvault {
void PrivateKey::Free::operator()(evp_pkey_st* key) const { EVP_PKEY_free(key); }

Expected<PrivateKey> PrivateKey::from_pem(std::string_view pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    // An empty passphrase callback: an encrypted key is refused rather than prompting on a terminal.
    EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(
                              bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr)
                        : nullptr;
    if (key == nullptr) {
        return fail(ErrorKind::InvalidInput,
                    "not an unencrypted PEM private key (expected BEGIN PRIVATE KEY or "
                    "BEGIN RSA PRIVATE KEY)");
    }
    if (EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
        EVP_PKEY_free(key);
        return fail(ErrorKind::InvalidInput, "the private key is not an RSA key; SmartVault signs with RSA-SHA256");
    }
    PrivateKey out;
    out.key_ = std::shared_ptr<evp_pkey_st>(key, Free{});
    return out;
}

Expected<std::string> PrivateKey::sign(std::string_view data) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    std::size_t length = 0;
    if (!context || EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1 ||
        EVP_DigestSign(context.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(data.data()),
                       data.size()) != 1) {
        return fail(ErrorKind::Internal, "RSA-SHA256 signing could not start");
    }
    std::string signature(length, '\0');
    if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
        return fail(ErrorKind::Internal, "RSA-SHA256 signing failed");
    }
    signature.resize(length);
    return signature;
}

Expected<std::string> read_private_key_file(const std::filesystem::path& file) {
    struct stat info {};
    if (::stat(file.c_str(), &info) != 0) {
        return fail(ErrorKind::Io, "cannot read the private key file " + file.string());
    }
    if ((info.st_mode & (S_IRGRP | S_IROTH | S_IWGRP | S_IWOTH)) != 0) {
        return fail(ErrorKind::InvalidInput,
                    "the private key file " + file.string() +
                        " can be read or written by other users; it signs in as the firm's SmartVault app, so "
                        "keep it private: chmod 600 " +
                        file.string());
    }
    auto text = read_whole_file(file);
    if (text.has_error()) return unexpected(std::move(text).error());
    if (auto key = PrivateKey::from_pem(*text); key.has_error()) {
        return fail(ErrorKind::InvalidInput, "the private key file " + file.string() + ": " + key.error().message);
    }
    return std::move(text).value();
}

}  // namespace taxsync::portal::smartvault
