#include "portal/circuit_breaker.hpp"

namespace taxsync::portal {

CircuitBreaker::CircuitBreaker(HttpClient& inner, Clock& clock, BreakerSettings settings, const Logger& log)
    : inner_(inner), clock_(clock), settings_(settings), log_(log) {}

bool CircuitBreaker::counts_as_failure(const Expected<HttpResponse, TransportError>& outcome) {
    if (outcome.has_error()) return outcome.error().failure != TransportFailure::TooLarge;
    const int status = outcome->status;
    return status == 500 || status == 502 || status == 503 || status == 504;
}

std::optional<SystemTime> CircuitBreaker::open_until() const {
    const std::scoped_lock lock(mutex_);
    if (state_ != CircuitState::Open) return std::nullopt;
    const SteadyTime reopens = opened_at_ + settings_.cool_down;
    const SteadyTime now = clock_.steady_now();
    if (now >= reopens) return std::nullopt;
    return clock_.now() + std::chrono::ceil<std::chrono::seconds>(reopens - now);
}

CircuitState CircuitBreaker::state() const {
    const std::scoped_lock lock(mutex_);
    return state_;
}

void CircuitBreaker::record(bool failed) {
    const std::scoped_lock lock(mutex_);
    if (!failed) {
        if (state_ != CircuitState::Closed) log_.info("the portal answers again: circuit closed");
        state_ = CircuitState::Closed;
        consecutive_failures_ = 0;
        return;
    }
    ++consecutive_failures_;
    const bool probe_failed = state_ == CircuitState::HalfOpen;
    if (probe_failed || (settings_.failures_to_open > 0 && consecutive_failures_ >= settings_.failures_to_open &&
                         state_ == CircuitState::Closed)) {
        state_ = CircuitState::Open;
        opened_at_ = clock_.steady_now();
        const SystemTime until = clock_.now() + std::chrono::ceil<std::chrono::seconds>(settings_.cool_down);
        log_.error("portal unavailable, circuit open until {} ({} failed attempt(s) in a row)", format_utc(until),
                   consecutive_failures_);
    }
}

Expected<HttpResponse, TransportError> CircuitBreaker::send(const HttpRequest& request) {
    {
        const std::scoped_lock lock(mutex_);
        if (state_ == CircuitState::Open) {
            const SteadyTime reopens = opened_at_ + settings_.cool_down;
            const SteadyTime now = clock_.steady_now();
            if (now < reopens) {
                const SystemTime until = clock_.now() + std::chrono::ceil<std::chrono::seconds>(reopens - now);
                return unexpected(TransportError{TransportFailure::CircuitOpen,
                                                 "portal unavailable, circuit open until " + format_utc(until)});
            }
            state_ = CircuitState::HalfOpen;  // this request is the probe
            log_.info("circuit half open: probing the portal");
        }
    }
    auto outcome = inner_.send(request);
    record(counts_as_failure(outcome));
    return outcome;
}

}  // namespace taxsync::portal
