#pragma once
// Small text helpers shared by intake, mapping and reports.

#include <string>
#include <string_view>
#include <vector>

namespace taxsync {

std::string_view trim(std::string_view text);
/// `text` without the slashes it ends with: "https://x.example/f//" -> "https://x.example/f".
std::string_view without_trailing_slashes(std::string_view text);
std::string to_lower_ascii(std::string_view text);
bool iequals_ascii(std::string_view a, std::string_view b);
std::vector<std::string> split(std::string_view text, char separator);
std::string join(const std::vector<std::string>& parts, std::string_view separator);

/// True when `text` is well-formed UTF-8 (no overlongs, no surrogates).
bool is_valid_utf8(std::string_view text);
/// Decodes Windows-1252 ("ANSI" as Excel writes it) into UTF-8. 0x92 becomes U+2019, not a control.
std::string windows1252_to_utf8(std::string_view text);

/// Lowercased and trimmed; the form every email is compared and stored in.
std::string normalize_email(std::string_view email);
/// A conservative syntax check: one '@', a non-empty local part of printable characters,
/// and a domain of at least two dot-separated labels ending in a letter TLD.
bool is_plausible_email(std::string_view email);

/// Capitalizes names typed all upper or all lower ("SMITH" -> "Smith"); mixed case is kept.
std::string tidy_name(std::string_view name);

}  // namespace taxsync
