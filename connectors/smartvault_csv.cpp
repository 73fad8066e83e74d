// SmartVault's client import template (exports.md §4): Client ID, Client Type, First Name, Middle
// Name, Last Name, Email, Company Name, Home Phone, Work Phone, Fax Phone, Other Phone Number
// (Cell). Married couples are "John & Jane" in First Name, with one email.

#include "connectors/formats.hpp"

namespace taxsync::connectors {
namespace {

constexpr HeaderAlias kSmartVaultAliases[] = {
    {"Client ID", Field::ClientId},        {"Client Type", Field::ClientType},
    {"First Name", Field::FirstName},      {"Middle Name", Field::MiddleName},
    {"Last Name", Field::LastName},        {"Email", Field::Email},
    {"Company Name", Field::BusinessName}, {"Home Phone", Field::Phone},
    {"Work Phone", Field::Phone},          {"Other Phone Number (Cell)", Field::Phone},
};

// Nobody is invited by fax.
constexpr std::string_view kSmartVaultUnused[] = {"Fax Phone"};

}  // namespace

const TabularFormat& smartvault_csv_format() {
    static const TabularFormat format{
        .type = "smartvault-csv",
        .description = "SmartVault client import template (CSV or .xlsx)",
        .aliases = {tax_package_aliases(), kSmartVaultAliases},
        .unused_headers = kSmartVaultUnused,
    };
    return format;
}

}  // namespace taxsync::connectors
