#pragma once
// A circuit breaker in front of a portal's HttpClient: after N attempts in a row that found the
// portal unreachable or overloaded (connection failures, timeouts, 500/502/503/504), it opens and
// fails every request at once, without sending it, until a cool-down has passed; then one request
// goes through as a probe (half open) and its outcome closes or re-opens the circuit. The engine
// asks open_until() to end a cycle early instead of failing operation after operation.

#include <mutex>
#include <optional>

#include "core/clock.hpp"
#include "core/logger.hpp"
#include "portal/http.hpp"

namespace taxsync::portal {

struct BreakerSettings {
    int failures_to_open = 5;  // 0: never open
    Millis cool_down{60'000};
};

enum class CircuitState { Closed, Open, HalfOpen };

class CircuitBreaker final : public HttpClient {
public:
    CircuitBreaker(HttpClient& inner, Clock& clock, BreakerSettings settings, const Logger& log);

    /// Fails with TransportFailure::CircuitOpen while open; otherwise sends and counts the outcome.
    Expected<HttpResponse, TransportError> send(const HttpRequest& request) override;

    /// When the circuit is open: the time it half-opens. Nullopt when closed or ready to probe.
    [[nodiscard]] std::optional<SystemTime> open_until() const;
    [[nodiscard]] CircuitState state() const;

private:
    /// Whether an outcome says the portal is down (as opposed to refusing this one request).
    static bool counts_as_failure(const Expected<HttpResponse, TransportError>& outcome);
    void record(bool failed);

    HttpClient& inner_;
    Clock& clock_;
    BreakerSettings settings_;
    const Logger& log_;
    mutable std::mutex mutex_;
    CircuitState state_ = CircuitState::Closed;
    int consecutive_failures_ = 0;
    SteadyTime opened_at_{};
};

}  // namespace taxsync::portal
