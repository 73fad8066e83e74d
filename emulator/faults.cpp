#include "emulator/faults.hpp"

#include <strings.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "emulator/ids.hpp"

namespace taxsync::emulator {
namespace {

using nlohmann::json;

Unexpected<Error> invalid(const std::string& message) { return fail(ErrorKind::InvalidInput, message); }

bool same_method(std::string_view a, std::string_view b) {
    return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

Expected<std::uint64_t> read_unsigned(const json& value, const std::string& where, std::uint64_t max) {
    if (!value.is_number_integer() || value.get<std::int64_t>() < 0 ||
        static_cast<std::uint64_t>(value.get<std::int64_t>()) > max) {
        return invalid(where + " must be an integer from 0 to " + std::to_string(max));
    }
    return static_cast<std::uint64_t>(value.get<std::int64_t>());
}

Expected<FaultRule> parse_rule(const json& item, std::size_t index) {
    static const std::set<std::string, std::less<>> known{"method",   "path",      "status", "times",         "rate",
                                                          "retry_after", "delay_ms", "jitter_ms", "drop", "expire_tokens",
                                                          "error_text"};
    const std::string where = "rules[" + std::to_string(index) + "]";
    if (!item.is_object()) return invalid(where + " must be an object");
    for (const auto& [key, value] : item.items()) {
        if (!known.contains(key)) return invalid(where + ": unknown key " + key);
    }
    FaultRule rule;
    if (const auto it = item.find("method"); it != item.end() && !it->is_null()) {
        if (!it->is_string() || it->get<std::string>().empty()) return invalid(where + ".method must be a string");
        rule.method = it->get<std::string>();
    }
    if (const auto it = item.find("path"); it != item.end() && !it->is_null()) {
        if (!it->is_string() || it->get<std::string>().empty())
            return invalid(where + ".path must be a non-empty string");
        rule.path_prefix = it->get<std::string>();
    }
    if (const auto it = item.find("status"); it != item.end() && !it->is_null()) {
        // 200 is SmartVault's failure envelope in an HTTP 200 (error.success == false).
        if (!it->is_number_integer() || ((it->get<int>() < 400 || it->get<int>() > 599) && it->get<int>() != 200)) {
            return invalid(where + ".status must be an HTTP error status from 400 to 599, or 200 (a failure envelope)");
        }
        rule.status = it->get<unsigned>();
    }
    if (const auto it = item.find("error_text"); it != item.end() && !it->is_null()) {
        if (!it->is_string() || it->get<std::string>().empty()) return invalid(where + ".error_text must be a string");
        rule.error_text = it->get<std::string>();
    }
    if (const auto it = item.find("times"); it != item.end() && !it->is_null()) {
        auto times = read_unsigned(*it, where + ".times", 1'000'000'000);
        if (times.has_error()) return Unexpected<Error>(std::move(times).error());
        rule.times = times.value();
    }
    if (const auto it = item.find("rate"); it != item.end() && !it->is_null()) {
        if (!it->is_number() || it->get<double>() < 0.0 || it->get<double>() > 1.0) {
            return invalid(where + ".rate must be a number from 0 to 1");
        }
        rule.rate = it->get<double>();
    }
    if (const auto it = item.find("retry_after"); it != item.end() && !it->is_null()) {
        auto seconds = read_unsigned(*it, where + ".retry_after", 86'400);
        if (seconds.has_error()) return Unexpected<Error>(std::move(seconds).error());
        rule.retry_after_seconds = static_cast<unsigned>(seconds.value());
    }
    if (const auto it = item.find("delay_ms"); it != item.end() && !it->is_null()) {
        auto milliseconds = read_unsigned(*it, where + ".delay_ms", 600'000);
        if (milliseconds.has_error()) return Unexpected<Error>(std::move(milliseconds).error());
        rule.delay = std::chrono::milliseconds(milliseconds.value());
    }
    if (const auto it = item.find("jitter_ms"); it != item.end() && !it->is_null()) {
        auto milliseconds = read_unsigned(*it, where + ".jitter_ms", 600'000);
        if (milliseconds.has_error()) return Unexpected<Error>(std::move(milliseconds).error());
        rule.jitter = std::chrono::milliseconds(milliseconds.value());
    }
    if (const auto it = item.find("expire_tokens"); it != item.end() && !it->is_null()) {
        if (!it->is_boolean()) return invalid(where + ".expire_tokens must be true or false");
        rule.expire_tokens = it->get<bool>();
    }
    if (const auto it = item.find("drop"); it != item.end() && !it->is_null()) {
        if (*it == "before") {
            rule.drop = DropMode::BeforeApply;
        } else if (*it == "after") {
            rule.drop = DropMode::AfterApply;
        } else {
            return invalid(where + ".drop must be \"before\", \"after\" or null");
        }
    }
    if (rule.status && rule.drop != DropMode::None) return invalid(where + ": status and drop exclude each other");
    if (rule.retry_after_seconds && !rule.status) return invalid(where + ": retry_after needs a status");
    if (rule.error_text && !rule.status) return invalid(where + ": error_text needs a status");
    return rule;
}

bool path_matches(std::string_view prefix, std::string_view api_path) {
    return prefix == "*" || api_path.starts_with(prefix);
}

std::string_view drop_name(DropMode drop) {
    switch (drop) {
        case DropMode::None: return "";
        case DropMode::BeforeApply: return "before";
        case DropMode::AfterApply: return "after";
    }
    return "";
}

}  // namespace

Expected<FaultPlan> parse_fault_plan_text(std::string_view text) {
    const json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) return invalid("the fault plan is not valid JSON");
    return parse_fault_plan(parsed);
}

Expected<FaultPlan> parse_fault_plan(const json& body) {
    if (!body.is_object()) return invalid("the faults body must be a JSON object");
    FaultPlan plan;
    for (const auto& [key, value] : body.items()) {
        if (key == "seed") {
            if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<std::int64_t>() >= 0)) {
                return invalid("seed must be a non-negative integer");
            }
            plan.seed = value.get<std::uint64_t>();
        } else if (key == "expire_tokens") {
            if (!value.is_boolean()) return invalid("expire_tokens must be true or false");
            plan.expire_tokens = value.get<bool>();
        } else if (key == "rate_limit") {
            if (value.is_null()) continue;
            if (!value.is_object()) return invalid("rate_limit must be an object");
            RateLimitRule limit;
            for (const auto& [name, setting] : value.items()) {
                if (name != "requests_per_minute" && name != "burst") {
                    return invalid("rate_limit: unknown key " + name + " (expected requests_per_minute, burst)");
                }
                if (!setting.is_number() || setting.get<double>() <= 0 || setting.get<double>() > 1e6) {
                    return invalid("rate_limit." + name + " must be a positive number");
                }
                (name == "burst" ? limit.burst : limit.requests_per_minute) = setting.get<double>();
            }
            plan.rate_limit = limit;
        } else if (key == "rules") {
            if (!value.is_array()) return invalid("rules must be an array");
            for (std::size_t i = 0; i < value.size(); ++i) {
                auto rule = parse_rule(value[i], i);
                if (rule.has_error()) return Unexpected<Error>(std::move(rule).error());
                plan.rules.push_back(std::move(rule).value());
            }
        } else {
            return invalid("unknown key " + key + " (expected seed, expire_tokens, rate_limit, rules)");
        }
    }
    return plan;
}

std::uint64_t FaultInjector::mix_seed(std::uint64_t seed) { return mix64(seed ^ 0xA0761D6478BD642FULL); }

void FaultInjector::replace(FaultPlan plan) {
    plan_ = std::move(plan);
    random_state_ = mix_seed(plan_.seed);
    tokens_ = plan_.rate_limit ? std::max(1.0, plan_.rate_limit->burst) : 0.0;
    refilled_at_.reset();
    throttled_ = 0;
}

std::optional<unsigned> FaultInjector::throttle(SteadyTime now) {
    if (!plan_.rate_limit) return std::nullopt;
    const double per_second = plan_.rate_limit->requests_per_minute / 60.0;
    if (refilled_at_ && now > *refilled_at_) {
        const double elapsed = std::chrono::duration<double>(now - *refilled_at_).count();
        tokens_ = std::min(std::max(1.0, plan_.rate_limit->burst), tokens_ + elapsed * per_second);
    }
    if (!refilled_at_ || now > *refilled_at_) refilled_at_ = now;
    if (tokens_ >= 1.0) {
        tokens_ -= 1.0;
        return std::nullopt;
    }
    ++throttled_;
    return static_cast<unsigned>(std::max(1.0, std::ceil((1.0 - tokens_) / per_second)));
}

double FaultInjector::next_unit() {
    // SplitMix64 sequence: the same numbers on every platform, unlike std::uniform_real_distribution.
    random_state_ += 0x9E3779B97F4A7C15ULL;
    const std::uint64_t bits = mix64(random_state_);
    return static_cast<double>(bits >> 11U) * 0x1.0p-53;
}

FaultDecision FaultInjector::decide(std::string_view method, std::string_view api_path) {
    FaultDecision decision;
    bool outcome_decided = false;
    for (auto& rule : plan_.rules) {
        if (rule.method && !same_method(*rule.method, method)) continue;
        if (!path_matches(rule.path_prefix, api_path)) continue;
        if (rule.decides_outcome() && outcome_decided) continue;
        if (rule.times && rule.fired >= *rule.times) continue;
        // rate 1 needs no draw, so adding an always-on rule does not shift the sequence of others
        if (rule.rate < 1.0 && next_unit() >= rule.rate) continue;
        ++rule.fired;
        decision.delay += rule.delay;
        if (rule.jitter.count() > 0) {
            const auto spread = static_cast<double>(rule.jitter.count() + 1);
            decision.delay += std::chrono::milliseconds(
                std::min<std::int64_t>(rule.jitter.count(), static_cast<std::int64_t>(next_unit() * spread)));
        }
        decision.expire_tokens = decision.expire_tokens || rule.expire_tokens;
        if (rule.decides_outcome()) {
            outcome_decided = true;
            decision.status = rule.status;
            decision.error_text = rule.error_text;
            decision.retry_after_seconds = rule.retry_after_seconds;
            decision.drop = rule.drop;
        }
    }
    return decision;
}

json FaultInjector::describe() const {
    json rules = json::array();
    for (const auto& rule : plan_.rules) {
        json item{
            {"path", rule.path_prefix}, {"rate", rule.rate}, {"delay_ms", rule.delay.count()}, {"fired", rule.fired}};
        item["jitter_ms"] = rule.jitter.count();
        item["expire_tokens"] = rule.expire_tokens;
        item["method"] = rule.method ? json(*rule.method) : json(nullptr);
        item["status"] = rule.status ? json(*rule.status) : json(nullptr);
        item["retry_after"] = rule.retry_after_seconds ? json(*rule.retry_after_seconds) : json(nullptr);
        item["times"] = rule.times ? json(*rule.times) : json(nullptr);
        item["drop"] = rule.drop == DropMode::None ? json(nullptr) : json(drop_name(rule.drop));
        rules.push_back(std::move(item));
    }
    json limit = nullptr;
    if (plan_.rate_limit) {
        limit = json{{"requests_per_minute", plan_.rate_limit->requests_per_minute},
                     {"burst", plan_.rate_limit->burst},
                     {"throttled", throttled_}};
    }
    return json{{"seed", plan_.seed},
                {"expire_tokens", plan_.expire_tokens},
                {"rate_limit", std::move(limit)},
                {"rules", std::move(rules)}};
}

}  // namespace taxsync::emulator
