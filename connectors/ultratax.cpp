// UltraTax CS: Utilities > Client List Reports exported as XLS (re-saved as .xlsx or CSV). The
// documented columns are Client ID, Client Name and Email Address; the Practice CS client fields
// (ID, Name 1, Name 2, spouse names and SSN) are shared with it (exports.md §4). Client ids are
// stored in upper case, so case does not tell two clients apart.

#include "connectors/formats.hpp"

namespace taxsync::connectors {
namespace {

constexpr HeaderAlias kUltraTaxAliases[] = {
    {"Client ID", Field::ClientId},
    {"ID", Field::ClientId},  // Practice CS: "ID is unique, up to 11 characters"
    {"Client Name", Field::ClientName},
    {"Name 1", Field::ClientName},
    {"Name", Field::ClientName},
    {"Email Address", Field::Email},
    {"Taxpayer Email Address", Field::Email},
    {"Spouse Email Address", Field::SpouseEmail},
    {"Taxpayer SSN", Field::TaxId},
    {"Spouse SSN", Field::SpouseTaxId},
    {"Entity Type", Field::ClientType},
    {"Office", Field::Office},
    {"Client Office", Field::Office},
    {"Partner", Field::Preparer},
};

constexpr std::string_view kUltraTaxUnused[] = {
    "Sort", "Name 2", "Date of Birth", "Spouse Date of Birth", "Taxpayer Date of Birth", "Status"};

}  // namespace

const TabularFormat& ultratax_format() {
    static const TabularFormat format{
        .type = "ultratax",
        .description = "Thomson Reuters UltraTax CS client list report (.xlsx or CSV)",
        .aliases = {tax_package_aliases(), kUltraTaxAliases},
        .unused_headers = kUltraTaxUnused,
        .uppercase_client_ids = true,
    };
    return format;
}

}  // namespace taxsync::connectors
