#include "core/redact.hpp"

#include <algorithm>
#include <cctype>

namespace taxsync {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// Length of a tax-id-shaped token starting at `pos`, or 0. Accepted shapes: 9 digits,
// ddd-dd-dddd, dd-ddddddd (dashes or spaces).
std::size_t tax_id_length(std::string_view text, std::size_t pos, std::string& digits) {
    static constexpr std::string_view shapes[] = {"ddddddddd", "ddd-dd-dddd", "dd-ddddddd", "ddd dd dddd"};
    for (std::string_view shape : shapes) {
        if (pos + shape.size() > text.size()) continue;
        digits.clear();
        bool match = true;
        for (std::size_t i = 0; i < shape.size() && match; ++i) {
            const char c = text[pos + i];
            if (shape[i] == 'd') {
                match = is_digit(c);
                digits.push_back(c);
            } else {
                match = c == shape[i];
            }
        }
        if (!match) continue;
        const std::size_t end = pos + shape.size();
        if (end < text.size() && (is_word(text[end]) || (text[end] == '-' && end + 1 < text.size() && is_digit(text[end + 1])))) continue;
        return shape.size();
    }
    return 0;
}

}  // namespace

std::string mask_tax_ids(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::string digits;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const bool at_boundary = pos == 0 || (!is_word(text[pos - 1]) && text[pos - 1] != '-');
        if (at_boundary && is_digit(text[pos])) {
            if (const std::size_t length = tax_id_length(text, pos, digits); length > 0) {
                out += "XXX-XX-";
                out += digits.substr(5);
                pos += length;
                continue;
            }
        }
        out.push_back(text[pos]);
        ++pos;
    }
    return out;
}

void Redactor::add_secret(std::string secret) {
    if (secret.size() < 6) return;
    if (std::find(secrets_.begin(), secrets_.end(), secret) != secrets_.end()) return;
    secrets_.push_back(std::move(secret));
    // Longest first, so a secret that contains another is hidden whole.
    std::sort(secrets_.begin(), secrets_.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

std::string Redactor::redact(std::string_view text) const {
    std::string out(text);
    for (const std::string& secret : secrets_) {
        std::size_t pos = 0;
        while ((pos = out.find(secret, pos)) != std::string::npos) {
            out.replace(pos, secret.size(), "[redacted]");
            pos += 10;
        }
    }
    return mask_tax_ids(out);
}

}  // namespace taxsync
