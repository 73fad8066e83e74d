// ProSeries: HomeBase views saved as CSV, usually shaped after SmartVault's client import
// template (exports.md §4), and return types written as ProSeries client-file letters (§2.1).

#include <array>
#include <cctype>

#include "connectors/formats.hpp"
#include "core/text.hpp"

namespace taxsync::connectors {
namespace {

// SmartVault's CSV template columns; most are in the shared vocabulary too, listed here so the
// ProSeries preset says what it was built from. "Fax Phone" is deliberately left out: nobody is
// invited by fax, so it is reported as an unused column.
constexpr HeaderAlias kProSeriesAliases[] = {
    {"Client ID", Field::ClientId},
    {"Client Type", Field::ClientType},
    {"First Name", Field::FirstName},
    {"Middle Name", Field::MiddleName},
    {"Last Name", Field::LastName},
    {"Email", Field::Email},
    {"Company Name", Field::BusinessName},
    {"Home Phone", Field::Phone},
    {"Work Phone", Field::Phone},
    {"Other Phone Number (Cell)", Field::Phone},
    {"SSN/EIN", Field::TaxId},
    {"Return Type", Field::ReturnType},
    {"Tax Year", Field::TaxYear},
};

struct FileLetter {
    char letter;
    std::string_view form;
};

// Intuit, "ProSeries file types": client files are named .YY<letter>.
constexpr std::array<FileLetter, 10> kFileLetters = {{
    {'i', "1040"},
    {'f', "1040NR"},
    {'e', "1041"},
    {'p', "1065"},
    {'c', "1120"},
    {'s', "1120S"},
    {'r', "706"},
    {'g', "709"},
    {'n', "990"},
    {'o', "Organizer"},
}};

/// "i", "I", "25i" or ".25i" -> "1040"; anything else (already a form name) -> nullopt.
std::optional<std::string_view> form_from_proseries_code(std::string_view code) {
    std::string_view text = trim(code);
    if (text.starts_with('.')) text.remove_prefix(1);
    if (text.size() == 3 && std::isdigit(static_cast<unsigned char>(text[0])) != 0 &&
        std::isdigit(static_cast<unsigned char>(text[1])) != 0) {
        text.remove_prefix(2);
    }
    if (text.size() != 1) return std::nullopt;
    const char letter = static_cast<char>(std::tolower(static_cast<unsigned char>(text.front())));
    for (const FileLetter& file_letter : kFileLetters) {
        if (file_letter.letter == letter) return file_letter.form;
    }
    return std::nullopt;
}

}  // namespace

const TabularFormat& proseries_format() {
    static const TabularFormat format{
        .type = "proseries",
        .description = "Intuit ProSeries HomeBase view or SmartVault-template CSV",
        .aliases = {tax_package_aliases(), kProSeriesAliases},
        .hint_from_client_id = nullptr,
        .form_from_return_code = &form_from_proseries_code,
    };
    return format;
}

}  // namespace taxsync::connectors
