// core/digest.hpp on Windows: the CNG (BCrypt) primitives that ship with the system.

#include <windows.h>
// windows.h first: bcrypt.h needs its types.
#include <bcrypt.h>

#include <algorithm>
#include <array>
#include <memory>
#include <stdexcept>
#include <string>

#include "core/digest.hpp"

namespace taxsync {
namespace bcrypt {

constexpr std::size_t kSha256Bytes = 32;

static void check(NTSTATUS status, const char* what) {
    if (status < 0) throw std::runtime_error(std::string(what) + " failed (NTSTATUS " + std::to_string(status) + ")");
}

// The two algorithm providers, opened once (thread-safely) and kept for the life of the process:
// they are read-only after opening, and opening one is far slower than a hash.
struct Providers {
    BCRYPT_ALG_HANDLE sha256 = nullptr;
    BCRYPT_ALG_HANDLE hmac_sha256 = nullptr;
    Providers() {
        check(BCryptOpenAlgorithmProvider(&sha256, BCRYPT_SHA256_ALGORITHM, nullptr, 0), "opening SHA-256");
        check(BCryptOpenAlgorithmProvider(&hmac_sha256, BCRYPT_SHA256_ALGORITHM, nullptr, BCRYPT_ALG_HANDLE_HMAC_FLAG),
              "opening HMAC-SHA-256");
    }
};

static const Providers& providers() {
    static const Providers opened;
    return opened;
}

// One SHA-256 object; `key` non-empty makes it HMAC-SHA-256.
class HashObject {
public:
    explicit HashObject(std::string_view key = {}) {
        const BCRYPT_ALG_HANDLE algorithm = key.empty() ? providers().sha256 : providers().hmac_sha256;
        check(BCryptCreateHash(algorithm, &hash_, nullptr, 0, reinterpret_cast<PUCHAR>(const_cast<char*>(key.data())),
                               static_cast<ULONG>(key.size()), 0),
              "BCryptCreateHash");
    }
    /// A copy of `source`'s state: an HMAC key hashed once, then used for many values.
    struct Duplicate {};
    HashObject(Duplicate /*tag*/, const HashObject& source) {
        check(BCryptDuplicateHash(source.hash_, &hash_, nullptr, 0, 0), "BCryptDuplicateHash");
    }
    ~HashObject() {
        if (hash_ != nullptr) BCryptDestroyHash(hash_);
    }
    HashObject(const HashObject&) = delete;
    HashObject& operator=(const HashObject&) = delete;
    HashObject(HashObject&&) = delete;
    HashObject& operator=(HashObject&&) = delete;

    void update(std::string_view data) {
        // BCryptHashData takes a ULONG length: feed huge inputs in pieces.
        while (!data.empty()) {
            const std::size_t piece = std::min<std::size_t>(data.size(), 1U << 30U);
            check(BCryptHashData(hash_, reinterpret_cast<PUCHAR>(const_cast<char*>(data.data())),
                                 static_cast<ULONG>(piece), 0),
                  "BCryptHashData");
            data.remove_prefix(piece);
        }
    }

    std::string finish_hex() {
        std::array<unsigned char, kSha256Bytes> digest{};
        check(BCryptFinishHash(hash_, digest.data(), static_cast<ULONG>(digest.size()), 0), "BCryptFinishHash");
        return to_hex({reinterpret_cast<const char*>(digest.data()), digest.size()});
    }

private:
    BCRYPT_HASH_HANDLE hash_ = nullptr;
};

// HMAC with an empty key is valid, but BCrypt reads an empty secret as "no HMAC": one zero byte
// gives the same result, since HMAC pads short keys with zeros.
static std::string hmac_key(std::string_view key) { return key.empty() ? std::string(1, '\0') : std::string(key); }

}  // namespace bcrypt

using bcrypt::check;
using bcrypt::HashObject;

std::string sha256_hex(std::string_view data) {
    HashObject hash;
    hash.update(data);
    return hash.finish_hex();
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
    HashObject hash(bcrypt::hmac_key(key));
    hash.update(data);
    return hash.finish_hex();
}

std::string random_bytes(std::size_t count) {
    std::string out(count, '\0');
    check(BCryptGenRandom(nullptr, reinterpret_cast<PUCHAR>(out.data()), static_cast<ULONG>(count),
                          BCRYPT_USE_SYSTEM_PREFERRED_RNG),
          "BCryptGenRandom (the system random generator)");
    return out;
}

struct HmacSha256::KeyState {
    explicit KeyState(std::string_view key) : keyed(bcrypt::hmac_key(key)) {}
    HashObject keyed;  // the key hashed, no data yet: duplicated for each value
};

void HmacSha256::FreeKeyState::operator()(KeyState* state) const { std::default_delete<KeyState>()(state); }

HmacSha256::HmacSha256(std::string_view key) : key_(std::make_unique<KeyState>(key).release()) {}

std::string HmacSha256::hex(std::string_view data) const {
    HashObject hash(HashObject::Duplicate{}, key_->keyed);
    hash.update(data);
    return hash.finish_hex();
}

struct Sha256::Context {
    HashObject hash;
};

void Sha256::FreeContext::operator()(Context* context) const { std::default_delete<Context>()(context); }

Sha256::Sha256() : context_(std::make_unique<Context>().release()) {}

void Sha256::update(std::string_view data) { context_->hash.update(data); }

std::string Sha256::finish_hex() { return context_->hash.finish_hex(); }

}  // namespace taxsync
