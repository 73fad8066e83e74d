#include "tests/connectors/connector_fixture.hpp"

#include <algorithm>

namespace taxsync::connectors::testing {

void set_modified(const std::filesystem::path& path, SystemTime time) {
    using FileTime = std::filesystem::file_time_type;
    std::filesystem::last_write_time(path,
                                     std::chrono::time_point_cast<FileTime::duration>(FileTime::clock::from_sys(time)));
}

ConnectorFixture::ConnectorFixture() { register_builtin_connectors(registry_); }

ConnectorSettings ConnectorFixture::settings(std::string type) const {
    ConnectorSettings settings;
    settings.name = ConnectorName("test-" + type);
    settings.type = std::move(type);
    settings.folder = dir_.path();
    settings.default_tax_year = "2025";
    return settings;
}

std::filesystem::path ConnectorFixture::write(const std::string& name, std::string_view content,
                                              std::chrono::seconds age) const {
    auto path = dir_.write(name, content);
    set_modified(path, clock_.now() - age);
    return path;
}

std::unique_ptr<Connector> ConnectorFixture::make(const ConnectorSettings& settings) const {
    auto connector = registry_.create(settings, ConnectorServices{clock_, hasher_, log_});
    if (connector.has_error()) {
        ADD_FAILURE() << "cannot create connector: " << connector.error().message;
        return nullptr;
    }
    return std::move(connector).value();
}

Batch ConnectorFixture::read_all(const ConnectorSettings& settings) const {
    const auto connector = make(settings);
    if (connector == nullptr) return {};
    const auto state = connector->scan();
    if (state.has_error()) {
        ADD_FAILURE() << "scan failed: " << state.error().message;
        return {};
    }
    return connector->read(*state);
}

const TaxClient* find_client(const Batch& batch, std::string_view id) {
    const auto found = std::find_if(batch.clients.begin(), batch.clients.end(),
                                    [&](const TaxClient& client) { return client.id.value() == id; });
    return found == batch.clients.end() ? nullptr : &*found;
}

std::vector<Problem> problems_mentioning(const Batch& batch, std::string_view text) {
    std::vector<Problem> out;
    std::copy_if(batch.problems.begin(), batch.problems.end(), std::back_inserter(out),
                 [&](const Problem& problem) { return problem.reason.find(text) != std::string::npos; });
    return out;
}

std::size_t count_problems(const Batch& batch, Severity severity) {
    return static_cast<std::size_t>(
        std::count_if(batch.problems.begin(), batch.problems.end(),
                      [&](const Problem& problem) { return problem.severity == severity; }));
}

}  // namespace taxsync::connectors::testing
