#pragma once
// How long to wait before the next attempt: capped exponential backoff with full jitter, and
// never sooner than the portal's Retry-After.

#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

#include "core/clock.hpp"

namespace taxsync::portal {

struct RetryPolicy {
    int max_attempts = 5;                       // first try included
    Millis base_delay{500};
    Millis max_delay{30'000};
    Millis max_retry_after{5 * 60 * 1000};      // a longer Retry-After ends this cycle's attempts
};

class Backoff {
public:
    Backoff(RetryPolicy policy, std::uint64_t seed) : policy_(policy), random_(seed) {}

    [[nodiscard]] const RetryPolicy& policy() const { return policy_; }
    /// Delay before attempt `attempt + 1` after `attempt` failed (attempt counts from 1), or nullopt
    /// when no attempt is left or the portal asked for a pause longer than max_retry_after.
    std::optional<Millis> next_delay(int attempt, std::optional<Millis> retry_after);

private:
    RetryPolicy policy_;
    std::mt19937_64 random_;
};

/// Retry-After as delay-seconds or an HTTP-date (RFC 9110 10.2.3); nullopt when unreadable.
std::optional<Millis> parse_retry_after(std::string_view value, SystemTime now);

}  // namespace taxsync::portal

#include <functional>

#include "core/expected.hpp"
#include "portal/http.hpp"

namespace taxsync::portal {

/// Whether a request may be sent again when its answer was lost.
enum class Replay {
    Safe,    // GET, PUT, PATCH and no-op-on-repeat POSTs: resending cannot do anything twice
    Unsafe,  // creates and invitations: resend only what provably never arrived (or with honoured keys)
};

/// The verdict on one attempt.
struct AttemptResult {
    std::optional<HttpResponse> response;  // set on success
    Error error;                           // set otherwise
    bool retry = false;
    std::optional<Millis> retry_after;
};

/// Maps a transport outcome and status code to success, a final error, or a retry.
/// 2xx succeed; 429 retries after Retry-After; 5xx and lost answers retry when `replay` is Safe or
/// the portal honours idempotency keys, and are Ambiguous otherwise; a request never sent retries.
AttemptResult classify_attempt(const Expected<HttpResponse, TransportError>& outcome, Replay replay,
                               bool keys_honoured, SystemTime now,
                               const std::function<std::string(const HttpResponse&)>& error_text);

/// Calls `attempt(n)` (n from 1) until it succeeds, fails for good, or the policy runs out;
/// sleeps on `clock` between attempts.
Expected<HttpResponse> run_with_retries(Backoff& backoff, Clock& clock,
                                        const std::function<AttemptResult(int attempt)>& attempt);

}  // namespace taxsync::portal
