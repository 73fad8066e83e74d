// TaxAct Professional: Client Manager > File > Export Client(s) > the portal export, a CSV
// (exports.md §4). Its headers are not published; these follow the portal import vocabulary
// it is made for (one row per household, taxpayer and spouse side by side).

#include "connectors/formats.hpp"

namespace taxsync::connectors {
namespace {

constexpr HeaderAlias kTaxActAliases[] = {
    {"Account Name", Field::ClientName},
    {"Account Type", Field::ClientType},
    {"Client ID", Field::ClientId},
    {"Taxpayer First Name", Field::FirstName},
    {"Taxpayer Last Name", Field::LastName},
    {"Taxpayer SSN", Field::TaxId},
    {"Taxpayer Email", Field::Email},
    {"Taxpayer Phone", Field::Phone},
    {"Spouse First Name", Field::SpouseFirstName},
    {"Spouse Last Name", Field::SpouseLastName},
    {"Spouse SSN", Field::SpouseTaxId},
    {"Spouse Email", Field::SpouseEmail},
    {"Spouse Phone", Field::SpousePhone},
    {"Mobile", Field::Phone},
    {"Postal Code", Field::Zip},
};

constexpr std::string_view kTaxActUnused[] = {"Address", "Street Address", "City", "State", "Country", "Tags"};

}  // namespace

const TabularFormat& taxact_format() {
    static const TabularFormat format{
        .type = "taxact",
        .description = "TaxAct Professional client export for portals (CSV)",
        .aliases = {tax_package_aliases(), kTaxActAliases},
        .unused_headers = kTaxActUnused,
    };
    return format;
}

}  // namespace taxsync::connectors
