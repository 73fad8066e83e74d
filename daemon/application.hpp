#pragma once
// Everything a cycle needs, built by hand from a Config in one documented order:
// logger and redactor -> state directory and store -> tax-id key -> connectors -> portal -> engine.

#include <memory>
#include <vector>

#include "connectors/registry.hpp"
#include "core/clock.hpp"
#include "core/logger.hpp"
#include "core/tax_id.hpp"
#include "daemon/config.hpp"
#include "engine/engine.hpp"
#include "portal/curl_http_client.hpp"
#include "portal/portal.hpp"
#include "store/store.hpp"

namespace taxsync::daemon {

class Application {
    struct Key {};  // only create() may construct

public:
    Application(Key, Config config, std::shared_ptr<Redactor> redactor, const LogOptions& log);

    /// Builds the whole service; a failure names what could not be set up. `log` chooses the format
    /// and file of the log; its level comes from the configuration.
    static Expected<std::unique_ptr<Application>> create(Config config, const connectors::ConnectorRegistry& registry,
                                                         LogOptions log = {});

    [[nodiscard]] engine::Engine& engine() { return *engine_; }
    [[nodiscard]] store::Store& store() { return *store_; }
    [[nodiscard]] const Config& config() const { return config_; }
    [[nodiscard]] const Logger& log() const { return log_; }

private:
    Config config_;
    std::shared_ptr<Redactor> redactor_;
    Logger log_;
    SystemClock clock_;
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<TaxIdHasher> tax_ids_;
    std::vector<std::unique_ptr<connectors::Connector>> connectors_;
    std::unique_ptr<portal::CurlHttpClient> http_;
    std::unique_ptr<portal::Portal> portal_;
    std::unique_ptr<engine::Engine> engine_;
};

/// The store alone, for commands that only read state (`status`).
Expected<std::unique_ptr<store::Store>> open_store(const Config& config, const Clock& clock);

/// Reads the key that turns tax ids into keyed hashes, creating it (mode 600) on first use.
Expected<std::string> load_or_create_tax_id_key(const std::filesystem::path& file);

}  // namespace taxsync::daemon
