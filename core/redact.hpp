#pragma once
// One choke point for what must never be written down: secrets (exact values registered at
// start-up) and anything shaped like a full SSN or EIN (reduced to the IRS truncated form).

#include <string>
#include <string_view>
#include <vector>

namespace taxsync {

class Redactor {
public:
    /// Registers a value to hide wherever it appears. Values shorter than 6 characters are
    /// ignored: hiding them would shred ordinary words and prove nothing.
    void add_secret(std::string secret);

    [[nodiscard]] std::string redact(std::string_view text) const;

private:
    std::vector<std::string> secrets_;
};

/// Rewrites every 9-digit group written as 123456789, 123-45-6789 or 12-3456789 (and not part of a
/// longer word or number) as XXX-XX-6789, the truncated form of Treas. Reg. 301.6109-4.
std::string mask_tax_ids(std::string_view text);

}  // namespace taxsync
