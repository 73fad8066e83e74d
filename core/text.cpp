#include "core/text.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>

namespace taxsync {

std::string_view trim(std::string_view text) {
    constexpr std::string_view blanks = " \t\r\n\f\v";
    const auto first = text.find_first_not_of(blanks);
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(blanks);
    return text.substr(first, last - first + 1);
}

std::string_view without_trailing_slashes(std::string_view text) {
    const auto last = text.find_last_not_of('/');
    return last == std::string_view::npos ? std::string_view{} : text.substr(0, last + 1);
}

std::string to_lower_ascii(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool iequals_ascii(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
               return std::tolower(x) == std::tolower(y);
           });
}

std::vector<std::string> split(std::string_view text, char separator) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const auto end = text.find(separator, start);
        parts.emplace_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return parts;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i > 0) out += separator;
        out += parts[i];
    }
    return out;
}

bool is_valid_utf8(std::string_view text) {
    std::size_t i = 0;
    const auto byte = [&](std::size_t at) { return static_cast<std::uint8_t>(text[at]); };
    while (i < text.size()) {
        const std::uint8_t lead = byte(i);
        if (lead < 0x80) {
            ++i;
            continue;
        }
        std::size_t length = 0;
        std::uint32_t code = 0;
        if ((lead & 0xE0U) == 0xC0U) {
            length = 2;
            code = lead & 0x1FU;
        } else if ((lead & 0xF0U) == 0xE0U) {
            length = 3;
            code = lead & 0x0FU;
        } else if ((lead & 0xF8U) == 0xF0U) {
            length = 4;
            code = lead & 0x07U;
        } else {
            return false;
        }
        if (i + length > text.size()) return false;
        for (std::size_t k = 1; k < length; ++k) {
            const std::uint8_t next = byte(i + k);
            if ((next & 0xC0U) != 0x80U) return false;
            code = (code << 6U) | (next & 0x3FU);
        }
        static constexpr std::array<std::uint32_t, 5> minimum = {0, 0, 0x80, 0x800, 0x10000};
        if (code < minimum[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
        i += length;
    }
    return true;
}

namespace {

void append_utf8(std::string& out, std::uint32_t code) {
    if (code < 0x80) {
        out.push_back(static_cast<char>(code));
    } else if (code < 0x800) {
        out.push_back(static_cast<char>(0xC0U | (code >> 6U)));
        out.push_back(static_cast<char>(0x80U | (code & 0x3FU)));
    } else {
        out.push_back(static_cast<char>(0xE0U | (code >> 12U)));
        out.push_back(static_cast<char>(0x80U | ((code >> 6U) & 0x3FU)));
        out.push_back(static_cast<char>(0x80U | (code & 0x3FU)));
    }
}

// Windows-1252 0x80..0x9F; the five undefined positions map to U+FFFD.
constexpr std::array<std::uint16_t, 32> kCp1252High = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};

}  // namespace

std::string windows1252_to_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    for (unsigned char c : text) {
        if (c < 0x80) {
            out.push_back(static_cast<char>(c));
        } else if (c < 0xA0) {
            append_utf8(out, kCp1252High[c - 0x80U]);
        } else {
            append_utf8(out, c);
        }
    }
    return out;
}

std::string normalize_email(std::string_view email) { return to_lower_ascii(trim(email)); }

bool is_plausible_email(std::string_view email) {
    if (email.empty() || email.size() > 254) return false;
    const auto at = email.find('@');
    if (at == std::string_view::npos || at == 0 || email.find('@', at + 1) != std::string_view::npos) return false;
    const std::string_view local = email.substr(0, at);
    const std::string_view domain = email.substr(at + 1);
    if (local.size() > 64 || local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
        return false;
    }
    constexpr std::string_view local_specials = "!#$%&'*+-/=?^_`{|}~.";
    for (unsigned char c : local) {
        if (std::isalnum(c) == 0 && local_specials.find(static_cast<char>(c)) == std::string_view::npos) return false;
    }
    const auto labels = split(domain, '.');
    if (labels.size() < 2) return false;
    for (const auto& label : labels) {
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
        for (unsigned char c : label) {
            if (std::isalnum(c) == 0 && c != '-') return false;
        }
    }
    const std::string& tld = labels.back();
    return tld.size() >= 2 && std::all_of(tld.begin(), tld.end(), [](unsigned char c) { return std::isalpha(c) != 0; });
}

namespace {

// Latin-1 letters in UTF-8 are C3 80..BE; capitals are C3 80..9E (but C3 97 is the multiplication sign),
// and each small letter is its capital plus 0x20 in the second byte.
bool is_latin1_letter(std::string_view text, std::size_t at) {
    if (at + 1 >= text.size() || static_cast<unsigned char>(text[at]) != 0xC3U) return false;
    const auto second = static_cast<unsigned char>(text[at + 1]);
    return second >= 0x80U && second <= 0xBEU && second != 0x97U && second != 0xB7U;
}
bool is_latin1_upper(std::string_view text, std::size_t at) {
    return is_latin1_letter(text, at) && static_cast<unsigned char>(text[at + 1]) <= 0x9EU;
}

}  // namespace

std::string tidy_name(std::string_view name) {
    std::string text(trim(name));
    bool has_upper = false;
    bool has_lower = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto u = static_cast<unsigned char>(text[i]);
        if (is_latin1_letter(text, i)) {
            (is_latin1_upper(text, i) ? has_upper : has_lower) = true;
            ++i;
        } else {
            has_upper = has_upper || std::isupper(u) != 0;
            has_lower = has_lower || std::islower(u) != 0;
        }
    }
    if (has_upper && has_lower) return text;
    bool word_start = true;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto u = static_cast<unsigned char>(text[i]);
        if (is_latin1_letter(text, i)) {
            auto& second = reinterpret_cast<unsigned char&>(text[i + 1]);
            if (word_start && !is_latin1_upper(text, i)) second = static_cast<unsigned char>(second - 0x20U);
            if (!word_start && is_latin1_upper(text, i)) second = static_cast<unsigned char>(second + 0x20U);
            word_start = false;
            ++i;
        } else if (std::isalpha(u) != 0) {
            text[i] = static_cast<char>(word_start ? std::toupper(u) : std::tolower(u));
            word_start = false;
        } else if (u < 0x80U) {
            word_start = text[i] == ' ' || text[i] == '-' || text[i] == '\'';
        } else {
            word_start = false;  // other non-ASCII letters are kept as written
        }
    }
    return text;
}

}  // namespace taxsync
