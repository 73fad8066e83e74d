// Drake Tax: the Client Status Manager grid or a Report Manager report saved as CSV/Excel. Both
// let the firm pick the columns (exports.md §3), so the headers vary. Drake identifies a client by
// SSN or EIN ("ID Number"): without a client id column, the id is made from the keyed hash of
// that number, never from the number itself.

#include "connectors/formats.hpp"

namespace taxsync::connectors {
namespace {

// The CSM and Report Manager wordings; those marked "inferred" are not in a public Drake source.
constexpr HeaderAlias kDrakeAliases[] = {
    {"ID Number", Field::TaxId},  // documented: CSM "ID number" is the SSN/EIN
    {"ID #", Field::TaxId},
    {"Client SSN", Field::TaxId},
    {"Client Name", Field::ClientName},  // documented CSM column
    {"Name", Field::ClientName},         // CSM column: in Drake it is the client's name
    {"Phone", Field::Phone},             // documented CSM column: the client's phone
    {"Phone Number", Field::Phone},
    {"Return Type", Field::ReturnType},  // documented CSM column
    {"Type", Field::ReturnType},
    {"Preparer", Field::Preparer},  // documented CSM column
    {"Preparer #", Field::Preparer},
    {"ERO", Field::Office},                   // inferred
    {"Taxpayer Email", Field::Email},         // inferred
    {"Spouse Email", Field::SpouseEmail},     // inferred
    {"Spouse Name", Field::SpouseFirstName},  // inferred: a first name, the surname being shared
};

// CSM columns about the return's progress, not the client.
constexpr std::string_view kDrakeUnused[] = {"Status",          "Balance Due",    "Bank",
                                             "Bank Deposit",    "Client Payment", "Start Date",
                                             "Completion Date", "Date Started",   "Date Completed"};

}  // namespace

const TabularFormat& drake_format() {
    static const TabularFormat format{
        .type = "drake",
        .description = "Drake Tax Client Status Manager or Report Manager export (CSV or .xlsx)",
        .aliases = {tax_package_aliases(), kDrakeAliases},
        .unused_headers = kDrakeUnused,
        .client_id_from_tax_id = true,
    };
    return format;
}

}  // namespace taxsync::connectors
