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
    DropMode drop = DropMode::None;
    std::uint64_t fired = 0;

    [[nodiscard]] bool decides_outcome() const { return status.has_value() || drop != DropMode::None; }
};

struct FaultPlan {
    std::uint64_t seed = 1;
    bool expire_tokens = false;
    std::vector<FaultRule> rules;
};

/// Validates strictly: an unknown key (say "delay" for "delay_ms") is an error, not a silent no-op.
Expected<FaultPlan> parse_fault_plan(const nlohmann::json& body);

/// What happens to one request.
struct FaultDecision {
    std::chrono::milliseconds delay{0};
    std::optional<unsigned> status;
    std::optional<unsigned> retry_after_seconds;
    std::optional<std::string> error_text;
    DropMode drop = DropMode::None;
};

class FaultInjector {
public:
    FaultInjector() : random_state_(mix_seed(1)) {}

    /// Replaces the plan and restarts the random sequence from the plan's seed.
    void replace(FaultPlan plan);
    void clear() { replace(FaultPlan{}); }

    /// Every matching delay-only rule adds its latency; the first matching rule with a status or a
    /// drop that fires decides the outcome, and later outcome rules are not drawn (nor counted).
    FaultDecision decide(std::string_view method, std::string_view api_path);

    [[nodiscard]] nlohmann::json describe() const;

private:
    static std::uint64_t mix_seed(std::uint64_t seed);
    double next_unit();

    FaultPlan plan_;
    std::uint64_t random_state_;
};

}  // namespace taxsync::emulator
