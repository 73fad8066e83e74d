#pragma once
// The tabular export dialects shipped with taxsync; one source file each.

#include "connectors/tabular.hpp"

namespace taxsync::connectors {

/// Lacerte client-list CSV (Client > Export > Comma Delimited): taxpayer/spouse columns, ids
/// ending in the return-type letter.
const TabularFormat& lacerte_format();
/// ProSeries HomeBase view saved as CSV, or a SmartVault-template file made from it.
const TabularFormat& proseries_format();
/// Drake Tax CSM / Report Manager export; ids from the keyed hash of the SSN/EIN when none is given.
const TabularFormat& drake_format();
/// UltraTax CS client list report; ids are case-insensitive.
const TabularFormat& ultratax_format();
/// CCH Axcess batch client linking file (documented headers), read down to the first blank row.
const TabularFormat& cch_axcess_format();
/// TaxAct Professional client export for portals.
const TabularFormat& taxact_format();
/// SmartVault's client import template.
const TabularFormat& smartvault_csv_format();
/// Any CSV: only the canonical field names are known, the rest comes from [connector.columns].
const TabularFormat& generic_csv_format();

}  // namespace taxsync::connectors
