#pragma once
// Hashes for change detection (SHA-256) and for tax ids (HMAC-SHA-256 with a local key).
// OpenSSL on Linux (digest.cpp), BCrypt on Windows (digest_bcrypt.cpp).

#include <memory>
#include <string>
#include <string_view>

namespace taxsync {

std::string sha256_hex(std::string_view data);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
/// `count` bytes from the operating system's CSPRNG.
std::string random_bytes(std::size_t count);
std::string to_hex(std::string_view bytes);

/// HMAC-SHA-256 under one key, many times: the key's inner and outer blocks are hashed once, so
/// each value costs two short digests (tax ids are hashed for every row of every export).
/// Equal to hmac_sha256_hex(key, data).
class HmacSha256 {
public:
    explicit HmacSha256(std::string_view key);
    [[nodiscard]] std::string hex(std::string_view data) const;

private:
    struct KeyState;  // the platform's precomputed key
    struct FreeKeyState {
        void operator()(KeyState* state) const;
    };
    std::unique_ptr<KeyState, FreeKeyState> key_;
};

/// Incremental SHA-256 for whole files.
class Sha256 {
public:
    Sha256();
    void update(std::string_view data);
    std::string finish_hex();

private:
    struct Context;  // the platform's hash state
    struct FreeContext {
        void operator()(Context* context) const;
    };
    std::unique_ptr<Context, FreeContext> context_;
};

}  // namespace taxsync
