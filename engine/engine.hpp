#pragma once
// One cycle: intake -> snapshot diff -> plan -> outbox -> execute -> results. The engine knows the
// interfaces of connectors, mapping, portal and store, not their insides, and runs without a
// process around it, so tests drive it directly.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string_view>
#include <vector>

#include "connectors/connector.hpp"
#include "core/clock.hpp"
#include "core/logger.hpp"
#include "engine/policy.hpp"
#include "engine/report.hpp"
#include "mapping/rules.hpp"
#include "portal/portal.hpp"
#include "store/store.hpp"

namespace taxsync::engine {

struct EngineOptions {
    /// After this many operations in a row fail because the portal is unreachable or overloaded,
    /// the cycle stops; the rest stays in the outbox for the next cycle.
    int stop_after_unavailable = 3;
    /// Log a progress line every this many operations.
    std::size_t progress_every = 200;
    SyncPolicy policy;
    /// When set and it answers a time, the portal is known to be down until then (the circuit
    /// breaker is open): the cycle stops before the next operation instead of failing it.
    std::function<std::optional<SystemTime>()> portal_down_until;
    /// How many clients' operations are applied at once (one operation per client at a time, in
    /// order). Above 1 it needs make_portal: each further worker thread gets its own adapter.
    std::size_t concurrency = 1;
    /// Another adapter for the same portal, sharing the thread-safe HTTP client below it (rate
    /// limiter, circuit breaker); null when none can be made.
    std::function<std::unique_ptr<portal::Portal>()> make_portal;
};

class Engine {
public:
    Engine(store::Store& store, portal::Portal& portal, std::vector<std::unique_ptr<connectors::Connector>>& connectors,
           mapping::MappingRules rules, Clock& clock, const Logger& log, EngineOptions options = {});

    /// Runs one cycle. In Mode::Plan everything up to the outbox is computed in a transaction that
    /// is rolled back, and the portal is never called. Store failures propagate as sqlite::Error.
    /// A stop requested through `stop` ends the cycle between two operations: the one under way
    /// finishes, the rest stays in the outbox for the next cycle.
    CycleReport run_cycle(Mode mode, std::string_view trigger, std::stop_token stop = {});

private:
    struct Intake;
    using ClientKey = std::pair<ConnectorName, ClientId>;
    using Enqueue = std::function<void(const ClientKey&, std::string, ClientChange, std::vector<mapping::Action>,
                                       std::vector<std::string>)>;
    void read_sources(store::Store& store, const CycleId& cycle, CycleReport& report, Intake& intake);
    void plan(const CycleId& cycle, CycleReport& report, Intake& intake);
    std::vector<mapping::Action> removal_actions(const ClientKey& key);
    void plan_reminders(CycleReport& report, const std::map<ClientKey, std::size_t>& busy,
                        const std::map<ClientKey, store::Review>& reviews, const Enqueue& enqueue);
    void apply_gate(const CycleId& cycle, CycleReport& report, std::size_t first_new, std::size_t known_clients,
                    std::size_t changed_clients);
    void execute(CycleReport& report, Intake& intake, const std::stop_token& stop);
    /// The adapters of this cycle's workers, one each (the first is `portal_`); makes the missing ones.
    std::vector<portal::Portal*> prepare_workers();
    void check_activations(CycleReport& report, const std::stop_token& stop);
    void record_stage(CycleReport& report, std::string_view trigger);

    store::Store& store_;
    portal::Portal& portal_;
    std::vector<std::unique_ptr<connectors::Connector>>& connectors_;
    mapping::MappingRules rules_;
    std::string rules_fingerprint_;
    Clock& clock_;
    const Logger& log_;
    EngineOptions options_;
    std::vector<std::unique_ptr<portal::Portal>> worker_portals_;  // for workers 2..concurrency
};

}  // namespace taxsync::engine
