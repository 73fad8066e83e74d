// CCH Axcess / ProSystem fx: the Batch Client Linking file (Excel or CSV). Its headers are
// documented and all present: Client ID, Client Sub-ID, Client GUID, NameLine1 (first name of an
// individual), NameLine2 (last name), SortName, Federal ID, ClientType, FYE. Data below a blank
// row is ignored, as CCH does (exports.md §4).

#include "connectors/formats.hpp"

namespace taxsync::connectors {
namespace {

constexpr HeaderAlias kCchAliases[] = {
    {"Client ID", Field::ClientId},    {"Client Sub-ID", Field::ClientSubId}, {"NameLine1", Field::FirstName},
    {"NameLine2", Field::LastName},    {"SortName", Field::ClientName},       {"Federal ID", Field::TaxId},
    {"ClientType", Field::ClientType}, {"Office Group", Field::Office},
};

// The portal's own key and the fiscal year end: nothing taxsync uses.
constexpr std::string_view kCchUnused[] = {"Client GUID", "FYE"};

}  // namespace

const TabularFormat& cch_axcess_format() {
    static const TabularFormat format{
        .type = "cch-axcess",
        .description = "CCH Axcess / ProSystem fx batch client linking file (.xlsx or CSV)",
        .aliases = {tax_package_aliases(), kCchAliases},
        .unused_headers = kCchUnused,
        .stop_at_blank_row = true,
        .name_lines = true,
    };
    return format;
}

}  // namespace taxsync::connectors
