#pragma once
// Connector types are registered by an explicit call (register_builtin_connectors), never by
// static constructors, so what exists is visible in one place.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/connector.hpp"

namespace taxsync::connectors {

struct ConnectorType {
    std::string name;         // the `type` value in the config
    std::string description;  // one line for `taxsync connector list`
    std::function<Expected<std::unique_ptr<Connector>>(const ConnectorSettings&, const ConnectorServices&)> create;
};

class ConnectorRegistry {
public:
    /// Throws std::logic_error when the name is taken: that is a programming error.
    void add(ConnectorType type);
    [[nodiscard]] const ConnectorType* find(std::string_view name) const;
    [[nodiscard]] std::vector<const ConnectorType*> list() const;
    /// Looks up the type and builds the connector; unknown types are an InvalidInput error.
    [[nodiscard]] Expected<std::unique_ptr<Connector>> create(const ConnectorSettings& settings,
                                                              const ConnectorServices& services) const;

private:
    std::map<std::string, ConnectorType, std::less<>> types_;
};

/// Registers every connector type shipped with taxsync.
void register_builtin_connectors(ConnectorRegistry& registry);

/// The canonical field names a `[connector.columns]` table may use.
const std::vector<std::string>& canonical_fields();

}  // namespace taxsync::connectors
