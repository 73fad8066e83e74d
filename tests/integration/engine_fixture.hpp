#pragma once
// The engine in this process, with a clock the test moves, against the real emulator over
// loopback HTTP and a real SQLite file: for behaviour that unfolds over days (reminders,
// read-backs) and for long random sequences that would be slow through the command line.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "connectors/registry.hpp"
#include "core/logger.hpp"
#include "core/tax_id.hpp"
#include "engine/engine.hpp"
#include "portal/caseware/caseware_portal.hpp"
#include "portal/curl_http_client.hpp"
#include "portal/pooled_http_client.hpp"
#include "store/store.hpp"
#include "tests/integration/harness.hpp"
#include "tests/support/manual_clock.hpp"

namespace taxsync::testing {

class EngineRig {
public:
    /// A fresh state file under `dir` for the emulator's portal; exports go to dir/exports.
    /// `concurrency` clients are applied at once, each worker with its own adapter and HTTP handle.
    EngineRig(const std::filesystem::path& dir, Emulator& emulator, engine::SyncPolicy policy,
              mapping::MappingRules rules = mapping::default_rules(), std::size_t concurrency = 1);

    /// Replaces the Lacerte export with these rows (header added).
    void write_export(const std::vector<std::string>& rows);
    /// Writes `text` as it is to the export file `name`, newer than every earlier write.
    void write_export_file(const std::string& name, const std::string& text);
    engine::CycleReport cycle();
    store::Store& store() { return *store_; }
    ManualClock& clock() { return clock_; }

private:
    std::filesystem::path dir_;
    ManualClock clock_;
    Logger log_ = Logger::null();
    TaxIdHasher tax_ids_{std::string(32, 'k')};
    connectors::ConnectorRegistry registry_;
    std::unique_ptr<store::Store> store_;
    portal::PooledHttpClient http_{std::make_unique<portal::CurlHttpClient>(portal::CurlOptions{}), [] {
        return Expected<std::unique_ptr<portal::HttpClient>>(std::make_unique<portal::CurlHttpClient>(portal::CurlOptions{}));
    }};
    std::unique_ptr<portal::caseware::CasewarePortal> portal_;
    std::vector<std::unique_ptr<connectors::Connector>> connectors_;
    std::unique_ptr<engine::Engine> engine_;
    int writes_ = 0;
};

}  // namespace taxsync::testing
