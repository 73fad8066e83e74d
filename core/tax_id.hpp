#pragma once
// SSNs and EINs are turned into a keyed hash (for matching) and the last four digits (for
// display) the moment they are read. The full number is never kept, stored or logged.

#include <string>
#include <string_view>

#include "core/digest.hpp"
#include "core/expected.hpp"

namespace taxsync {

struct TaxIdFingerprint {
    std::string keyed_hash;  // HMAC-SHA-256 of the nine digits under the installation's key
    std::string last4;

    friend bool operator==(const TaxIdFingerprint&, const TaxIdFingerprint&) = default;
};

class TaxIdHasher {
public:
    /// `key` must be at least 16 bytes of secret material.
    explicit TaxIdHasher(std::string key);

    /// Accepts 123-45-6789, 12-3456789 or 123456789. Refuses masked values (XXX-XX-1234), values
    /// Excel turned into 1.2E+08, and anything that is not nine digits; the reason never repeats
    /// the full number.
    [[nodiscard]] Expected<TaxIdFingerprint> fingerprint(std::string_view raw) const;

private:
    HmacSha256 hmac_;
};

}  // namespace taxsync
