#include "core/digest.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <stdexcept>

namespace taxsync {
namespace {

/// SHA-256 as fetched once from OpenSSL's default provider. Given the algorithm by name (SHA256(),
/// or EVP_sha256()), OpenSSL 3 looks it up again, under a lock, for every digest it starts; a
/// content hash is taken for every client of every export read. A fetched algorithm is immutable
/// and safe to share between threads; it is kept for the life of the process.
const EVP_MD* sha256_algorithm() {
    static const EVP_MD* const algorithm = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (algorithm == nullptr) throw std::runtime_error("OpenSSL offers no SHA-256");
    return algorithm;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &length, sha256_algorithm(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 failed");
    }
    return to_hex({reinterpret_cast<const char*>(digest), length});
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &length) == nullptr) {
        throw std::runtime_error("HMAC-SHA256 failed");
    }
    return to_hex({reinterpret_cast<const char*>(digest), length});
}

std::string random_bytes(std::size_t count) {
    std::string out(count, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
        throw std::runtime_error("the system random generator failed");
    }
    return out;
}

struct Sha256::Context {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
};

// The key's inner and outer blocks, each already hashed (RFC 2104).
struct HmacSha256::KeyState {
    EVP_MD_CTX* inner = EVP_MD_CTX_new();
    EVP_MD_CTX* outer = EVP_MD_CTX_new();
};

void HmacSha256::FreeKeyState::operator()(KeyState* state) const {
    EVP_MD_CTX_free(state->inner);
    EVP_MD_CTX_free(state->outer);
    std::default_delete<KeyState>()(state);
}

HmacSha256::HmacSha256(std::string_view key) : key_(std::make_unique<KeyState>().release()) {
    constexpr std::size_t kBlock = 64;  // SHA-256's block size (RFC 2104)
    unsigned char block[kBlock] = {};
    if (key.size() > kBlock) {
        SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), block);
    } else {
        std::copy(key.begin(), key.end(), reinterpret_cast<char*>(block));
    }
    unsigned char pad[kBlock];
    const auto start = [&](EVP_MD_CTX* context, unsigned char mask) {
        for (std::size_t i = 0; i < kBlock; ++i) pad[i] = static_cast<unsigned char>(block[i] ^ mask);
        if (context == nullptr || EVP_DigestInit_ex(context, sha256_algorithm(), nullptr) != 1 ||
            EVP_DigestUpdate(context, pad, kBlock) != 1) {
            throw std::runtime_error("HMAC-SHA256 init failed");
        }
    };
    start(key_->inner, 0x36);
    start(key_->outer, 0x5c);
}

std::string HmacSha256::hex(std::string_view data) const {
    const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    unsigned char inner_digest[EVP_MAX_MD_SIZE];
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int inner_length = 0;
    unsigned int length = 0;
    if (!context || EVP_MD_CTX_copy_ex(context.get(), key_->inner) != 1 ||
        EVP_DigestUpdate(context.get(), data.data(), data.size()) != 1 ||
        EVP_DigestFinal_ex(context.get(), inner_digest, &inner_length) != 1 ||
        EVP_MD_CTX_copy_ex(context.get(), key_->outer) != 1 ||
        EVP_DigestUpdate(context.get(), inner_digest, inner_length) != 1 ||
        EVP_DigestFinal_ex(context.get(), digest, &length) != 1) {
        throw std::runtime_error("HMAC-SHA256 failed");
    }
    return to_hex({reinterpret_cast<const char*>(digest), length});
}

void Sha256::FreeContext::operator()(Context* context) const {
    EVP_MD_CTX_free(context->md);
    std::default_delete<Context>()(context);
}

Sha256::Sha256() : context_(std::make_unique<Context>().release()) {
    if (context_->md == nullptr || EVP_DigestInit_ex(context_->md, sha256_algorithm(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 init failed");
    }
}

void Sha256::update(std::string_view data) { EVP_DigestUpdate(context_->md, data.data(), data.size()); }

std::string Sha256::finish_hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(context_->md, digest, &length);
    return to_hex({reinterpret_cast<const char*>(digest), length});
}

}  // namespace taxsync
