#pragma once
// A token bucket in front of a portal's HttpClient, so every dialect keeps to the firm's request
// limit. It slows down when the portal answers 429 (halving the rate, down to a floor), pauses
// every request until a Retry-After has passed, and creeps back to the configured rate while the
// portal stays quiet: quick to back off, slow to recover, so a limit is not hit again and again.

#include <mutex>
#include <optional>

#include "core/clock.hpp"
#include "core/logger.hpp"
#include "portal/http.hpp"

namespace taxsync::portal {

struct RateLimit {
    double requests_per_minute = 0;      // 0: no bucket (a Retry-After still pauses every request)
    double burst = 10;                   // requests that may go at once after a quiet spell
    double floor_fraction = 0.1;         // 429s never slow it below this share of the limit
    Millis recovery_step_every{30'000};  // without a 429 for this long, regain a tenth of the limit
    Millis max_pause{5 * 60'000};        // a longer Retry-After is cut to this
};

class RateLimitedHttpClient final : public HttpClient {
public:
    RateLimitedHttpClient(HttpClient& inner, Clock& clock, RateLimit limit, const Logger& log);

    /// Waits for a token (and for any Retry-After pause), then sends.
    Expected<HttpResponse, TransportError> send(const HttpRequest& request) override;

    /// The rate in force now, in requests per minute (0 when unlimited).
    [[nodiscard]] double current_rate_per_minute() const;

private:
    /// How long the next request must wait; takes its token.
    Millis reserve();
    void on_answer(const HttpResponse& response);
    void refill(SteadyTime at);

    HttpClient& inner_;
    Clock& clock_;
    RateLimit limit_;
    const Logger& log_;
    mutable std::mutex mutex_;
    double rate_per_second_ = 0;  // adapted
    double tokens_ = 0;
    SteadyTime refilled_at_{};
    SteadyTime last_slowdown_{};
    std::optional<SteadyTime> paused_until_;
};

}  // namespace taxsync::portal
