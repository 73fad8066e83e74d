#include "portal/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

#include "portal/retry.hpp"

namespace taxsync::portal {

RateLimitedHttpClient::RateLimitedHttpClient(HttpClient& inner, Clock& clock, RateLimit limit, const Logger& log)
    : inner_(inner),
      clock_(clock),
      limit_(limit),
      log_(log),
      rate_per_second_(limit.requests_per_minute / 60.0),
      tokens_(std::max(1.0, limit.burst)),
      refilled_at_(clock.steady_now()),
      last_slowdown_(clock.steady_now()) {}

double RateLimitedHttpClient::current_rate_per_minute() const {
    const std::scoped_lock lock(mutex_);
    return rate_per_second_ * 60.0;
}

void RateLimitedHttpClient::refill(SteadyTime at) {
    if (rate_per_second_ <= 0 || at <= refilled_at_) return;
    const double elapsed = std::chrono::duration<double>(at - refilled_at_).count();
    tokens_ = std::min(std::max(1.0, limit_.burst), tokens_ + elapsed * rate_per_second_);
    refilled_at_ = at;
    // Slow recovery: each quiet step regains a tenth of the configured rate.
    const double configured = limit_.requests_per_minute / 60.0;
    if (rate_per_second_ < configured && at - last_slowdown_ >= limit_.recovery_step_every) {
        rate_per_second_ = std::min(configured, rate_per_second_ + configured / 10.0);
        last_slowdown_ = at;
        log_.debug("portal request rate back up to {:.0f}/min", rate_per_second_ * 60.0);
    }
}

Millis RateLimitedHttpClient::reserve() {
    const std::scoped_lock lock(mutex_);
    const SteadyTime now = clock_.steady_now();
    // A Retry-After pause moves the earliest send; no tokens accrue during it.
    SteadyTime at = now;
    if (paused_until_ && *paused_until_ > now) {
        at = *paused_until_;
    } else {
        paused_until_.reset();
    }
    Millis wait = std::chrono::ceil<Millis>(at - now);
    if (rate_per_second_ <= 0) return wait;
    refill(at);
    // The token is taken now and the bucket may go negative: the debt is this request's wait,
    // and it makes the next one wait its turn too.
    tokens_ -= 1.0;
    if (tokens_ < 0) wait += std::chrono::ceil<Millis>(std::chrono::duration<double>(-tokens_ / rate_per_second_));
    return wait;
}

void RateLimitedHttpClient::on_answer(const HttpResponse& response) {
    if (response.status != 429) return;
    const std::scoped_lock lock(mutex_);
    const SteadyTime now = clock_.steady_now();
    if (const auto header = response.header("retry-after")) {
        if (const auto pause = parse_retry_after(*header, clock_.now())) {
            const SteadyTime until = now + std::min(*pause, limit_.max_pause);
            if (!paused_until_ || *paused_until_ < until) paused_until_ = until;
        }
    }
    if (limit_.requests_per_minute <= 0) {
        log_.warn("the portal is rate limiting (429); pausing as it asks");
        return;
    }
    const double floor = limit_.requests_per_minute / 60.0 * limit_.floor_fraction;
    rate_per_second_ = std::max(floor, rate_per_second_ / 2.0);
    tokens_ = std::min(tokens_, 0.0);  // no burst right after being told off
    refilled_at_ = std::max(refilled_at_, paused_until_.value_or(now));
    last_slowdown_ = now;
    log_.warn("the portal is rate limiting (429): slowing to {:.0f} requests/minute", rate_per_second_ * 60.0);
}

Expected<HttpResponse, TransportError> RateLimitedHttpClient::send(const HttpRequest& request) {
    if (const Millis wait = reserve(); wait.count() > 0) clock_.sleep_for(wait);
    auto outcome = inner_.send(request);
    if (outcome.has_value()) on_answer(*outcome);
    return outcome;
}

}  // namespace taxsync::portal
