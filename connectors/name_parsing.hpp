#pragma once
// People's names as tax exports write them: "Smith, John & Jane" in one cell, "John & Jane" in the
// first-name column (SmartVault's convention for married couples), SHOUTED or lower-case names.

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace taxsync::connectors {

/// Trimmed, every run of whitespace (including line breaks) turned into one space.
std::string collapse_whitespace(std::string_view text);

/// collapse_whitespace, then all-caps or all-lower names capitalized (tidy_name).
std::string clean_person_name(std::string_view raw);

/// "John & Jane", "John&Jane" or "John and Jane" -> {"John", "Jane"}; nullopt unless exactly two
/// non-empty names are joined.
std::optional<std::pair<std::string, std::string>> split_joint_first_names(std::string_view first_names);

struct ClientNameParts {
    std::string last_name;
    std::string first_names;  // may still hold "John & Jane"
};

/// "Smith, John & Jane" -> {"Smith", "John & Jane"}; without a comma the last word is the last
/// name ("John & Jane Smith", "Ann Lee Jr." -> "Lee Jr."). Nullopt for an empty name.
std::optional<ClientNameParts> split_client_name(std::string_view client_name);

/// True when a word of the name marks a business: Inc, LLC, Corp, Trust, Estate, Partners, ...
bool looks_like_business_name(std::string_view name);

}  // namespace taxsync::connectors
