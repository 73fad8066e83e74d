#pragma once
// The Connector for CSV exports: scans a folder, reads every ready file whole or not at all, and
// lets the newest file win when a client id appears in several.

#include <memory>

#include "connectors/connector.hpp"
#include "connectors/tabular.hpp"

namespace taxsync::connectors {

/// Validates the settings (folder, columns, encoding, patterns) and builds the connector.
/// Errors are InvalidInput and name the connector.
Expected<std::unique_ptr<Connector>> make_tabular_connector(const TabularFormat& format,
                                                            const ConnectorSettings& settings,
                                                            const ConnectorServices& services);

}  // namespace taxsync::connectors
