#include "connectors/name_parsing.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include "core/text.hpp"

namespace taxsync::connectors {
namespace {

bool is_blank(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::vector<std::string> words_of(std::string_view text) {
    std::vector<std::string> words;
    std::string current;
    for (const char c : text) {
        if (is_blank(c)) {
            if (!current.empty()) words.push_back(std::move(current));
            current.clear();
        } else {
            current.push_back(c);
        }
    }
    if (!current.empty()) words.push_back(std::move(current));
    return words;
}

/// Lower-case letters and digits only: "L.L.C." -> "llc", "Inc," -> "inc".
std::string word_key(std::string_view word) {
    std::string key;
    for (const char c : word) {
        if (std::isalnum(static_cast<unsigned char>(c)) != 0) key.push_back(static_cast<char>(std::tolower(c)));
    }
    return key;
}

bool is_generational_suffix(std::string_view word) {
    const std::string key = word_key(word);
    return key == "jr" || key == "sr" || key == "ii" || key == "iii" || key == "iv";
}

/// Where the names are joined: the one '&' or the one word "and". Nullopt when none or several.
std::optional<std::pair<std::size_t, std::size_t>> joint_separator(std::string_view text) {
    std::vector<std::pair<std::size_t, std::size_t>> found;  // (start, length)
    for (std::size_t at = 0; at < text.size(); ++at) {
        if (text[at] == '&') {
            found.emplace_back(at, 1);
        } else if (at > 0 && at + 4 < text.size() && is_blank(text[at - 1]) &&
                   iequals_ascii(text.substr(at, 3), "and") && is_blank(text[at + 3])) {
            found.emplace_back(at, 3);
        }
    }
    if (found.size() != 1) return std::nullopt;
    return found.front();
}

}  // namespace

std::string collapse_whitespace(std::string_view text) { return join(words_of(text), " "); }

std::string clean_person_name(std::string_view raw) { return tidy_name(collapse_whitespace(raw)); }

std::optional<std::pair<std::string, std::string>> split_joint_first_names(std::string_view first_names) {
    const auto separator = joint_separator(first_names);
    if (!separator) return std::nullopt;
    std::string first = collapse_whitespace(first_names.substr(0, separator->first));
    std::string second = collapse_whitespace(first_names.substr(separator->first + separator->second));
    if (first.empty() || second.empty()) return std::nullopt;
    return std::pair{std::move(first), std::move(second)};
}

std::optional<ClientNameParts> split_client_name(std::string_view client_name) {
    const std::string name = collapse_whitespace(client_name);
    if (name.empty()) return std::nullopt;
    if (const auto comma = name.find(','); comma != std::string::npos) {
        return ClientNameParts{collapse_whitespace(std::string_view(name).substr(0, comma)),
                               collapse_whitespace(std::string_view(name).substr(comma + 1))};
    }
    std::vector<std::string> words = words_of(name);
    std::size_t last_words = 1;
    if (words.size() >= 3 && is_generational_suffix(words.back())) last_words = 2;
    if (words.size() <= last_words) return ClientNameParts{name, ""};
    const auto split_at = words.begin() + static_cast<std::ptrdiff_t>(words.size() - last_words);
    return ClientNameParts{join(std::vector<std::string>(split_at, words.end()), " "),
                           join(std::vector<std::string>(words.begin(), split_at), " ")};
}

bool looks_like_business_name(std::string_view name) {
    static constexpr std::array<std::string_view, 27> kBusinessWords = {
        "inc",   "incorporated", "llc",         "llp",        "lp",          "ltd",         "limited",
        "corp",  "corporation",  "co",          "company",    "pc",          "pllc",        "plc",
        "trust", "estate",       "foundation",  "partners",   "partnership", "association", "church",
        "group", "holdings",     "enterprises", "ministries", "fund",        "society"};
    const auto words = words_of(name);
    return std::any_of(words.begin(), words.end(), [](const std::string& word) {
        const std::string key = word_key(word);
        return std::find(kBusinessWords.begin(), kBusinessWords.end(), key) != kBusinessWords.end();
    });
}

}  // namespace taxsync::connectors
