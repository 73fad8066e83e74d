#pragma once
// The tabular export dialects shipped with taxsync; one source file each.

#include "connectors/tabular.hpp"

namespace taxsync::connectors {

/// Lacerte client-list CSV (Client > Export > Comma Delimited): taxpayer/spouse columns, ids
/// ending in the return-type letter.
const TabularFormat& lacerte_format();
/// ProSeries HomeBase view saved as CSV, or a SmartVault-template file made from it.
const TabularFormat& proseries_format();
/// Any CSV: only the canonical field names are known, the rest comes from [connector.columns].
const TabularFormat& generic_csv_format();

}  // namespace taxsync::connectors
