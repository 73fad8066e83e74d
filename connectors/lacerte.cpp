// Lacerte: the firm picks the columns of its client-list export, so the headers vary; these are
// the Lacerte wordings on top of the shared tax-package vocabulary (exports.md §1, §8). Client
// numbers end in the return-type letter (exports.md §1.2: I, C, S, P; F and R by the same scheme).

#include <array>
#include <cctype>

#include "connectors/formats.hpp"

namespace taxsync::connectors {
namespace {

constexpr HeaderAlias kLacerteAliases[] = {
    {"Client Number", Field::ClientId},
    {"Client No.", Field::ClientId},
    {"Name of Corporation", Field::BusinessName},
    {"Corporation Name", Field::BusinessName},
    {"Partnership Name", Field::BusinessName},
    {"Fiduciary Name", Field::BusinessName},
    {"Name of Estate or Trust", Field::BusinessName},
    {"Taxpayer E-mail Address", Field::Email},
    {"Taxpayer Evening Phone", Field::Phone},
    {"Taxpayer Mobile Phone", Field::Phone},
    {"Spouse E-mail Address", Field::SpouseEmail},
    {"Spouse Evening Phone", Field::SpousePhone},
    {"Spouse Mobile Phone", Field::SpousePhone},
    {"Preparer Code", Field::Preparer},
    {"Office Code", Field::Office},
};

struct SuffixMeaning {
    char letter;
    ReturnHint hint;
};

constexpr std::array<SuffixMeaning, 6> kSuffixes = {{
    {'I', {EntityKind::Individual, "1040"}},
    {'C', {EntityKind::Business, "1120"}},
    {'S', {EntityKind::Business, "1120S"}},
    {'P', {EntityKind::Business, "1065"}},
    {'F', {EntityKind::Business, "1041"}},
    {'R', {EntityKind::Business, "990"}},
}};

/// "00417I" -> individual 1040. The letter must follow a digit, so a name-like id ("SMITHC")
/// is not mistaken for a corporation.
std::optional<ReturnHint> hint_from_lacerte_id(std::string_view client_id) {
    if (client_id.size() < 2 || std::isdigit(static_cast<unsigned char>(client_id[client_id.size() - 2])) == 0) {
        return std::nullopt;
    }
    const char letter = static_cast<char>(std::toupper(static_cast<unsigned char>(client_id.back())));
    for (const SuffixMeaning& suffix : kSuffixes) {
        if (suffix.letter == letter) return suffix.hint;
    }
    return std::nullopt;
}

}  // namespace

const TabularFormat& lacerte_format() {
    static const TabularFormat format{
        .type = "lacerte",
        .description = "Intuit Lacerte client list exported as CSV",
        .aliases = {tax_package_aliases(), kLacerteAliases},
        .hint_from_client_id = &hint_from_lacerte_id,
        .form_from_return_code = nullptr,
    };
    return format;
}

}  // namespace taxsync::connectors
