// generic-csv: for any package without a preset. Only the canonical field names are known as
// headers ("client_id", "first_name", ...); everything else comes from [connector.columns].

#include "connectors/formats.hpp"

namespace taxsync::connectors {

const TabularFormat& generic_csv_format() {
    static const TabularFormat format{
        .type = "generic-csv",
        .description = "Any CSV export, columns named in [connector.columns]",
        .aliases = {canonical_name_aliases()},
        .hint_from_client_id = nullptr,
        .form_from_return_code = nullptr,
    };
    return format;
}

}  // namespace taxsync::connectors
