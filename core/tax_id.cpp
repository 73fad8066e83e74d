#include "core/tax_id.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "core/digest.hpp"
#include "core/text.hpp"

namespace taxsync {

namespace {

const std::string& checked_key(const std::string& key) {
    if (key.size() < 16) throw std::invalid_argument("the tax id key must be at least 16 bytes");
    return key;
}

}  // namespace

TaxIdHasher::TaxIdHasher(std::string key) : hmac_(checked_key(key)) {}

Expected<TaxIdFingerprint> TaxIdHasher::fingerprint(std::string_view raw) const {
    const std::string_view text = trim(raw);
    if (text.find_first_of("Xx*#") != std::string_view::npos) {
        return fail(ErrorKind::InvalidInput, "tax id is masked, so it cannot identify anyone");
    }
    if (text.find_first_of("Ee") != std::string_view::npos && text.find_first_of("+.") != std::string_view::npos) {
        return fail(ErrorKind::InvalidInput,
                    "tax id is in scientific notation (Excel dropped digits); re-export with the column as text");
    }
    std::string digits;
    for (char c : text) {
        if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
            digits.push_back(c);
        } else if (c != '-' && c != ' ') {
            return fail(ErrorKind::InvalidInput, "tax id contains characters other than digits and dashes");
        }
    }
    if (digits.size() != 9) {
        return fail(ErrorKind::InvalidInput,
                    "tax id has " + std::to_string(digits.size()) + " digits, not 9 (leading zeros lost?)");
    }
    if (std::all_of(digits.begin(), digits.end(), [&](char c) { return c == digits.front(); })) {
        return fail(ErrorKind::InvalidInput, "tax id is a placeholder (all digits the same)");
    }
    return TaxIdFingerprint{hmac_.hex(digits), digits.substr(5)};
}

}  // namespace taxsync
