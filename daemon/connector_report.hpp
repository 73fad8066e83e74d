#pragma once
// `taxsync connector list` and `taxsync connector check NAME`: what a connector sees in its
// folder and what it would import, read-only (nothing is moved, stored or sent), so it can run
// beside the service.

#include <iosfwd>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "connectors/connector.hpp"
#include "connectors/file_intake.hpp"

namespace taxsync::daemon {

struct ConnectorView {
    std::string name;
    std::string type;
    std::filesystem::path folder;
    std::optional<std::string> scan_error;  // the folder is missing, the program failed, ...
    connectors::SourceState state;
    std::vector<connectors::SkippedFile> skipped;
    std::optional<connectors::Batch> batch;  // set when the ready files were read (check only)
};

/// Scans (and with `read`, reads) through `connector`, which must have been built with
/// move_unreadable = false.
ConnectorView inspect_connector(connectors::Connector& connector, const connectors::ConnectorSettings& settings,
                                bool read);

void print_connector_list(const std::vector<ConnectorView>& views, std::ostream& out);
void print_connector_check(const ConnectorView& view, bool ephemeral_key, std::ostream& out);
nlohmann::json connector_view_json(const ConnectorView& view);

}  // namespace taxsync::daemon
