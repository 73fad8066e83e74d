#pragma once
// Reads the cells of one worksheet of an Excel .xlsx workbook (a zip of XML parts) into the same
// records a CSV gives, so every tabular preset reads workbooks too. Text cells stay text; numbers
// keep the digits Excel stored ("1.2345678901234567E+17" stays in scientific notation, so an id
// that lost digits is caught by the same checks as in CSV).

#include <string_view>

#include "connectors/csv_reader.hpp"
#include "connectors/file_fault.hpp"
#include "core/expected.hpp"

namespace taxsync::connectors {

/// True when `bytes` start like a zip archive (every .xlsx does).
bool looks_like_xlsx(std::string_view bytes);

/// The worksheet named `sheet` (the first one when empty) as records: one per row, `line` being
/// the row number; runs of empty rows become one blank record. Fails (unreadable) for a damaged
/// archive, a missing part, or a sheet that does not exist.
Expected<CsvDocument, FileFault> read_xlsx(std::string_view bytes, std::string_view sheet = {});

}  // namespace taxsync::connectors
