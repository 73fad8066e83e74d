#pragma once
// `exec`: for a package taxsync has no preset for, a program the firm provides prints one JSON
// object per client on stdout, keyed by the canonical field names (see docs/connectors.md).
// Each object goes through the same row checks as a CSV row. A program that cannot start, fails
// or overruns its timeout is a reported problem of that connector, never fatal to the service.

#include <memory>
#include <string_view>

#include "connectors/connector.hpp"
#include "connectors/csv_reader.hpp"

namespace taxsync::connectors {

/// JSON lines -> records: a header of the canonical field names, then one record per object
/// (`line` = the line of stdout). Lines that are not a JSON object of strings are Problems
/// attributed to `source`, and the line is skipped.
struct JsonLines {
    CsvDocument document;
    std::vector<Problem> problems;
    bool all_lines_read = true;  // false when a line was skipped: absences must not be counted
};
JsonLines parse_json_lines(std::string_view text, const std::string& source);

Expected<std::unique_ptr<Connector>> make_exec_connector(const ConnectorSettings& settings,
                                                         const ConnectorServices& services);

}  // namespace taxsync::connectors
