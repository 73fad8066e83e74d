#pragma once
// What the subcommands share: the connector registry and loading the configuration with its
// errors printed.

#include <optional>

#include "connectors/registry.hpp"
#include "daemon/commands.hpp"
#include "daemon/config.hpp"
#include "store/store.hpp"

namespace taxsync::daemon {

connectors::ConnectorRegistry builtin_registry();

/// Loads and validates the configuration; prints every error to context.err and returns nothing
/// when it is not valid.
std::optional<Config> load(const CommandContext& context, const connectors::ConnectorRegistry& registry);

/// A client named on the command line: "connector:client", or a bare client id that only one
/// connector knows.
Expected<std::pair<ConnectorName, ClientId>> resolve_client(store::Store& store, const std::string& text);

}  // namespace taxsync::daemon
