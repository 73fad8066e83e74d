#pragma once
// Fault injection for the portal API: error statuses (with Retry-After), latency, connections
// dropped before or after the request is applied, and mass token expiry. A plan is posted as JSON
// to /_emulator/faults and replaces the previous one; draws use a PRNG seeded from the plan so a
// run with the same plan and the same request sequence fails the same way.

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/expected.hpp"

namespace taxsync::emulator {

enum class DropMode {
    None,
    BeforeApply,  // close the connection; nothing applied, nothing answered
    AfterApply,   // apply, then close without answering: "applied, response lost"
};

struct FaultRule {
    std::optional<std::string> method;  // any method when absent
    std::string path_prefix = "*";      // prefix of the API-relative path, or "*" for every path
    std::optional<unsigned> status;     // answer this instead of applying
    std::optional<unsigned> retry_after_seconds;
    std::optional<std::string> error_text;  // the injected failure's text (e.g. SmartVault's "invalid_token")
    std::optional<std::uint64_t> times;     // fire at most this many times; unlimited when absent
    double rate = 1.0;                      // probability of firing for each matching request
    std::chrono::milliseconds delay{0};
    std::chrono::milliseconds jitter{0};  // plus a seeded draw from 0 to this, each time the rule fires
    DropMode drop = DropMode::None;
    bool expire_tokens = false;  // when it fires, every token issued so far expires (mid-cycle expiry)
    std::uint64_t fired = 0;

    [[nodiscard]] bool decides_outcome() const { return status.has_value() || drop != DropMode::None; }
};

/// The firm's request limit, as a portal's gateway enforces it: a token bucket over every API
/// request; a request over the limit is answered 429 with Retry-After and not applied.
struct RateLimitRule {
    double requests_per_minute = 60;
    double burst = 10;
};

struct FaultPlan {
    std::uint64_t seed = 1;
    bool expire_tokens = false;
    std::optional<RateLimitRule> rate_limit;
    std::vector<FaultRule> rules;
};

/// Validates strictly: an unknown key (say "delay" for "delay_ms") is an error, not a silent no-op.
Expected<FaultPlan> parse_fault_plan(const nlohmann::json& body);
/// The same from JSON text (a --faults file or argument); a syntax error is an InvalidInput.
Expected<FaultPlan> parse_fault_plan_text(std::string_view text);

/// What happens to one request.
struct FaultDecision {
    std::chrono::milliseconds delay{0};
    std::optional<unsigned> status;
    std::optional<unsigned> retry_after_seconds;
    std::optional<std::string> error_text;
    DropMode drop = DropMode::None;
    bool expire_tokens = false;  // expire every token before the request is looked at
};

class FaultInjector {
public:
    FaultInjector() : random_state_(mix_seed(1)) {}

    /// Replaces the plan and restarts the random sequence from the plan's seed.
    void replace(FaultPlan plan);
    void clear() { replace(FaultPlan{}); }

    /// Every matching delay-only rule adds its latency (and jitter, and token expiry); the first matching rule with a
    /// status or a drop that fires decides the outcome, and later outcome rules are not drawn (nor counted).
    FaultDecision decide(std::string_view method, std::string_view api_path);

    /// With a rate limit in the plan: takes a token, or answers the Retry-After (seconds) of a 429.
    std::optional<unsigned> throttle(SteadyTime now);

    [[nodiscard]] nlohmann::json describe() const;

private:
    static std::uint64_t mix_seed(std::uint64_t seed);
    double next_unit();

    FaultPlan plan_;
    std::uint64_t random_state_;
    double tokens_ = 0;
    std::optional<SteadyTime> refilled_at_;
    std::uint64_t throttled_ = 0;
};

}  // namespace taxsync::emulator
