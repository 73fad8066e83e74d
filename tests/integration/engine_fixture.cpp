#include "tests/integration/engine_fixture.hpp"

#include <fstream>
#include <stdexcept>

namespace taxsync::testing {

EngineRig::EngineRig(const std::filesystem::path& dir, Emulator& emulator, engine::SyncPolicy policy,
                     mapping::MappingRules rules, std::size_t concurrency)
    : dir_(dir), clock_(std::chrono::time_point_cast<SystemTime::duration>(std::chrono::system_clock::now())) {
    std::filesystem::create_directories(dir_ / "exports");
    connectors::register_builtin_connectors(registry_);
    auto store = store::Store::open(dir_ / "taxsync.db", clock_);
    if (store.has_error()) throw std::runtime_error(store.error().message);
    store_ = std::make_unique<store::Store>(std::move(store).value());

    portal::caseware::Settings settings;
    settings.base_url = emulator.base_url();
    settings.client_id = "taxsync-test";
    settings.client_secret = emulator.secret();
    settings.retry.max_attempts = 2;
    auto session = std::make_shared<portal::caseware::Session>();  // one sign-in for every worker
    portal_ = std::make_unique<portal::caseware::CasewarePortal>(settings, http_, clock_, log_, session);

    connectors::ConnectorSettings lacerte;
    lacerte.name = ConnectorName("lacerte");
    lacerte.type = "lacerte";
    lacerte.folder = dir_ / "exports";
    lacerte.settle = std::chrono::seconds(0);
    lacerte.default_tax_year = "2025";
    auto connector = registry_.create(lacerte, {clock_, tax_ids_, log_});
    if (connector.has_error()) throw std::runtime_error(connector.error().message);
    connectors_.push_back(std::move(connector).value());

    engine::EngineOptions options;
    options.policy = policy;
    options.concurrency = concurrency;
    options.make_portal = [this, settings, session]() -> std::unique_ptr<portal::Portal> {
        return std::make_unique<portal::caseware::CasewarePortal>(settings, http_, clock_, log_, session);
    };
    engine_ = std::make_unique<engine::Engine>(*store_, *portal_, connectors_, std::move(rules), clock_, log_, options);
}

void EngineRig::write_export(const std::vector<std::string>& rows) {
    std::string text = Exports::lacerte_header() + "\r\n";
    for (const auto& row : rows) text += row + "\r\n";
    write_export_file("clients.csv", text);
}

void EngineRig::write_export_file(const std::string& name, const std::string& text) {
    const auto target = dir_ / "exports" / name;
    const auto staging = dir_ / (name + ".partial");
    {
        std::ofstream out(staging, std::ios::binary);
        out << text;
    }
    std::filesystem::rename(staging, target);
    // The file's time must be in the test clock's past, and differ from every earlier write's.
    const auto written = clock_.now() - std::chrono::hours(1) + std::chrono::seconds(++writes_);
    std::filesystem::last_write_time(target, std::filesystem::file_time_type::clock::from_sys(written));
}

engine::CycleReport EngineRig::cycle() { return engine_->run_cycle(engine::Mode::Apply, "test"); }

}  // namespace taxsync::testing
