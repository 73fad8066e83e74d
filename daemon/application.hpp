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
#include "daemon/state_lock.hpp"
#include "engine/engine.hpp"
#include "portal/circuit_breaker.hpp"
#include "portal/portal.hpp"
#include "portal/rate_limiter.hpp"
#include "portal/system_http_client.hpp"
#include "store/store.hpp"

namespace taxsync::portal::caseware {
class Session;
}
namespace taxsync::portal::smartvault {
class Session;
}

namespace taxsync::daemon {

/// Exclusive: the one writer (`once`, `run`) takes the state lock and recovers what a crash left.
/// Shared: `plan`, or a reload candidate that inherits the lock later, takes neither.
enum class StateAccess { Exclusive, Shared };

class Application {
    struct Key {};  // only create() may construct

public:
    Application(Key, Config config, std::shared_ptr<Redactor> redactor, const LogOptions& log);

    /// Builds the whole service; a failure names what could not be set up. `log` chooses the format
    /// and file of the log; its level comes from the configuration.
    static Expected<std::unique_ptr<Application>> create(Config config, const connectors::ConnectorRegistry& registry,
                                                         StateAccess access, LogOptions log = {});

    [[nodiscard]] engine::Engine& engine() { return *engine_; }
    [[nodiscard]] portal::Portal& portal() { return *portal_; }
    [[nodiscard]] store::Store& store() { return *store_; }
    [[nodiscard]] const Config& config() const { return config_; }
    [[nodiscard]] const Logger& log() const { return log_; }

    /// Takes over `previous`'s state lock when both use the same state directory, and acquires a
    /// new one otherwise (a reload that moved the state); fails when that lock is held elsewhere.
    Status inherit_state_lock(Application& previous);

private:
    Config config_;
    std::optional<StateLock> lock_;  // released last: it outlives the store below
    std::shared_ptr<Redactor> redactor_;
    Logger log_;
    SystemClock clock_;
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<TaxIdHasher> tax_ids_;
    std::vector<std::unique_ptr<connectors::Connector>> connectors_;
    std::unique_ptr<portal::HttpClient> http_;
    std::unique_ptr<portal::RateLimitedHttpClient> rate_limiter_;  // over http_
    std::unique_ptr<portal::CircuitBreaker> breaker_;              // over rate_limiter_; the portal's client
    // One sign-in for every worker's adapter, whichever the dialect.
    std::shared_ptr<portal::caseware::Session> caseware_session_;
    std::shared_ptr<portal::smartvault::Session> smartvault_session_;
    std::unique_ptr<portal::Portal> portal_;
    std::unique_ptr<engine::Engine> engine_;
};

/// The store for reading only (`status`): it can run next to the service.
Expected<std::unique_ptr<store::Store>> open_store_for_reading(const Config& config, const Clock& clock);

/// Reads the key that turns tax ids into keyed hashes; nullopt when there is none yet.
Expected<std::optional<std::string>> read_tax_id_key(const std::filesystem::path& file);

/// Reads the key that turns tax ids into keyed hashes, creating it (mode 600) on first use.
Expected<std::string> load_or_create_tax_id_key(const std::filesystem::path& file);

}  // namespace taxsync::daemon
