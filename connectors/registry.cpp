#include "connectors/registry.hpp"

#include <stdexcept>

#include "connectors/exec_connector.hpp"
#include "connectors/formats.hpp"
#include "connectors/header_aliases.hpp"
#include "connectors/mef_xml.hpp"
#include "connectors/tabular_connector.hpp"
#include "core/text.hpp"

namespace taxsync::connectors {
namespace {

ConnectorType tabular_type(const TabularFormat& format) {
    return ConnectorType{std::string(format.type), std::string(format.description),
                         [&format](const ConnectorSettings& settings, const ConnectorServices& services) {
                             return make_tabular_connector(format, settings, services);
                         }};
}

}  // namespace

void ConnectorRegistry::add(ConnectorType type) {
    if (types_.contains(type.name)) throw std::logic_error("connector type '" + type.name + "' is registered twice");
    std::string name = type.name;
    types_.emplace(std::move(name), std::move(type));
}

const ConnectorType* ConnectorRegistry::find(std::string_view name) const {
    const auto found = types_.find(name);
    return found == types_.end() ? nullptr : &found->second;
}

std::vector<const ConnectorType*> ConnectorRegistry::list() const {
    std::vector<const ConnectorType*> out;
    out.reserve(types_.size());
    for (const auto& [name, type] : types_) out.push_back(&type);
    return out;
}

Expected<std::unique_ptr<Connector>> ConnectorRegistry::create(const ConnectorSettings& settings,
                                                               const ConnectorServices& services) const {
    const ConnectorType* type = find(settings.type);
    if (type == nullptr) {
        std::vector<std::string> known;
        for (const auto& [name, registered] : types_) known.push_back(name);
        return fail(ErrorKind::InvalidInput, "connector '" + settings.name.value() + "': unknown type '" +
                                                 settings.type + "'; known types: " + join(known, ", "));
    }
    return type->create(settings, services);
}

void register_builtin_connectors(ConnectorRegistry& registry) {
    registry.add(tabular_type(lacerte_format()));
    registry.add(tabular_type(proseries_format()));
    registry.add(tabular_type(generic_csv_format()));
    registry.add(tabular_type(drake_format()));
    registry.add(tabular_type(ultratax_format()));
    registry.add(tabular_type(cch_axcess_format()));
    registry.add(tabular_type(taxact_format()));
    registry.add(tabular_type(smartvault_csv_format()));
    registry.add(ConnectorType{"exec", "a program that prints one JSON object per client", &make_exec_connector});
    registry.add(ConnectorType{"mef-xml", "IRS e-file XML returns (1040 and business returns)", &make_mef_connector});
}

const std::vector<std::string>& canonical_fields() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (const Field field : all_fields()) out.emplace_back(field_name(field));
        return out;
    }();
    return names;
}

}  // namespace taxsync::connectors
