#pragma once
// Counters the service keeps since it started, and their Prometheus text rendering for /metrics.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.hpp"

namespace taxsync::daemon {

struct ServiceMetrics {
    std::map<std::string, std::uint64_t> cycles;  // by outcome: ok, problems, failed, interrupted, error
    std::uint64_t operations_done = 0;
    std::uint64_t operations_failed = 0;
    std::uint64_t invitations_sent = 0;
    std::uint64_t reloads = 0;
    std::uint64_t reload_failures = 0;
    std::optional<SystemTime> last_success;
    double last_cycle_seconds = 0;
    bool cycle_running = false;
    bool paused = false;
};

/// Read from the store when /metrics is asked for.
struct StateGauges {
    std::int64_t outbox_waiting = 0;
    std::vector<std::pair<std::string, std::size_t>> people_by_state;
};

std::string render_prometheus(const ServiceMetrics& metrics, const StateGauges& gauges, SystemTime started);

}  // namespace taxsync::daemon
