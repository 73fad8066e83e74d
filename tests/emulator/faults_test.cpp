#include "emulator/faults.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "emulator/ids.hpp"

namespace taxsync::emulator {
namespace {

using nlohmann::json;

FaultPlan plan_from(const json& body) {
    auto plan = parse_fault_plan(body);
    EXPECT_TRUE(plan.has_value()) << body.dump() << ": " << (plan.has_error() ? plan.error().message : "");
    return plan.has_value() ? plan.value() : FaultPlan{};
}

std::string plan_error(const json& body) {
    auto plan = parse_fault_plan(body);
    EXPECT_TRUE(plan.has_error()) << body.dump() << " should be refused";
    return plan.has_error() ? plan.error().message : "";
}

TEST(FaultPlanParsing, ReadsEveryRuleField) {
    const auto plan = plan_from(json::parse(R"({"seed": 7, "expire_tokens": true, "rules": [
        {"method": "POST", "path": "/users", "status": 503, "times": 2, "rate": 0.5, "retry_after": 1, "delay_ms": 20},
        {"path": "*", "drop": "after"}]})"));
    EXPECT_EQ(plan.seed, 7U);
    EXPECT_TRUE(plan.expire_tokens);
    ASSERT_EQ(plan.rules.size(), 2U);
    EXPECT_EQ(plan.rules[0].method, "POST");
    EXPECT_EQ(plan.rules[0].path_prefix, "/users");
    EXPECT_EQ(plan.rules[0].status, 503U);
    EXPECT_EQ(plan.rules[0].times, 2U);
    EXPECT_DOUBLE_EQ(plan.rules[0].rate, 0.5);
    EXPECT_EQ(plan.rules[0].retry_after_seconds, 1U);
    EXPECT_EQ(plan.rules[0].delay.count(), 20);
    EXPECT_EQ(plan.rules[1].drop, DropMode::AfterApply);
    EXPECT_FALSE(plan.rules[1].method.has_value());
}

TEST(FaultPlanParsing, RefusesMistakes) {
    EXPECT_NE(plan_error(json::parse(R"({"rules": [{"path": "/users", "delay": 5}]})")).find("unknown key delay"),
              std::string::npos);
    EXPECT_NE(plan_error(json::parse(R"({"rules": [{"status": 503, "drop": "before"}]})")).find("exclude"),
              std::string::npos);
    EXPECT_NE(plan_error(json::parse(R"({"rules": [{"rate": 1.5}]})")).find("rate"), std::string::npos);
    EXPECT_NE(plan_error(json::parse(R"({"rules": [{"status": 302}]})")).find("status"), std::string::npos);
    EXPECT_NE(plan_error(json::parse(R"({"rules": [{"error_text": "invalid_token"}]})")).find("needs a status"),
              std::string::npos);
    // 200 is SmartVault's failure envelope inside an HTTP 200.
    EXPECT_EQ(plan_from(json::parse(R"({"rules": [{"status": 200, "error_text": "x"}]})")).rules[0].error_text, "x");
    EXPECT_NE(plan_error(json::parse(R"({"rules": [{"drop": "sometimes"}]})")).find("drop"), std::string::npos);
    EXPECT_NE(plan_error(json::parse(R"({"rules": [{"retry_after": 1}]})")).find("needs a status"), std::string::npos);
    EXPECT_NE(plan_error(json::parse(R"({"rules": [{"times": -1}]})")).find("times"), std::string::npos);
    EXPECT_NE(plan_error(json::parse(R"({"rulez": []})")).find("unknown key rulez"), std::string::npos);
    EXPECT_NE(plan_error(json::parse("[]")).find("object"), std::string::npos);
}

TEST(FaultInjector, MatchesMethodAndPathPrefix) {
    FaultInjector injector;
    injector.replace(plan_from(json::parse(R"({"rules": [{"method": "post", "path": "/users", "status": 503}]})")));
    EXPECT_EQ(injector.decide("POST", "/users").status, 503U);
    EXPECT_EQ(injector.decide("POST", "/users/abc/invitations").status, 503U);
    EXPECT_FALSE(injector.decide("GET", "/users").status.has_value());
    EXPECT_FALSE(injector.decide("POST", "/entities").status.has_value());
}

TEST(FaultInjector, StarMatchesEveryPath) {
    FaultInjector injector;
    injector.replace(plan_from(json::parse(R"({"rules": [{"path": "*", "drop": "before"}]})")));
    EXPECT_EQ(injector.decide("GET", "/roles").drop, DropMode::BeforeApply);
    EXPECT_EQ(injector.decide("POST", "/auth/token").drop, DropMode::BeforeApply);
}

TEST(FaultInjector, TimesLimitsHowOftenARuleFires) {
    FaultInjector injector;
    injector.replace(plan_from(json::parse(R"({"rules": [{"path": "/users", "status": 429, "times": 2}]})")));
    EXPECT_EQ(injector.decide("POST", "/users").status, 429U);
    EXPECT_EQ(injector.decide("POST", "/users").status, 429U);
    EXPECT_FALSE(injector.decide("POST", "/users").status.has_value());
    EXPECT_EQ(injector.describe()["rules"][0]["fired"], 2);
}

TEST(FaultInjector, DelaysAddUpAndTheFirstOutcomeWins) {
    FaultInjector injector;
    injector.replace(plan_from(json::parse(R"({"rules": [
        {"path": "*", "delay_ms": 10},
        {"path": "/users", "status": 503, "delay_ms": 5},
        {"path": "/users", "drop": "before", "times": 1}]})")));
    const auto decision = injector.decide("POST", "/users");
    EXPECT_EQ(decision.delay.count(), 15);
    EXPECT_EQ(decision.status, 503U);
    EXPECT_EQ(decision.drop, DropMode::None);
    // The losing outcome rule was not consumed.
    EXPECT_EQ(injector.describe()["rules"][2]["fired"], 0);
    const auto elsewhere = injector.decide("GET", "/roles");
    EXPECT_EQ(elsewhere.delay.count(), 10);
    EXPECT_FALSE(elsewhere.status.has_value());
}

TEST(FaultInjector, RateIsAReproducibleDrawFromTheSeed) {
    const auto plan = plan_from(json::parse(R"({"seed": 7, "rules": [{"path": "*", "status": 503, "rate": 0.5}]})"));
    auto run = [&] {
        FaultInjector injector;
        injector.replace(plan);
        std::vector<bool> failed;
        for (int i = 0; i < 64; ++i) failed.push_back(injector.decide("GET", "/roles").status.has_value());
        return failed;
    };
    const auto first = run();
    EXPECT_EQ(first, run());
    const auto failures = std::count(first.begin(), first.end(), true);
    EXPECT_GT(failures, 16);  // about half; far from none or all
    EXPECT_LT(failures, 48);
}

TEST(FaultInjector, ClearingRemovesEveryRule) {
    FaultInjector injector;
    injector.replace(plan_from(json::parse(R"({"rules": [{"path": "*", "status": 500}]})")));
    injector.clear();
    EXPECT_FALSE(injector.decide("GET", "/roles").status.has_value());
    EXPECT_TRUE(injector.describe()["rules"].empty());
}

TEST(FaultInjector, JitterIsASeededDrawWithinTheBound) {
    const auto plan =
        plan_from(json::parse(R"({"seed": 11, "rules": [{"path": "*", "delay_ms": 20, "jitter_ms": 30}]})"));
    auto delays = [](const FaultPlan& chosen) {
        FaultInjector injector;
        injector.replace(chosen);
        std::vector<std::int64_t> out;
        for (int i = 0; i < 200; ++i) out.push_back(injector.decide("GET", "/roles").delay.count());
        return out;
    };
    const auto first = delays(plan);
    EXPECT_EQ(first, delays(plan));  // the same seed, the same latencies
    EXPECT_EQ(*std::min_element(first.begin(), first.end()), 20);
    EXPECT_EQ(*std::max_element(first.begin(), first.end()), 50);
    EXPECT_GT(std::set<std::int64_t>(first.begin(), first.end()).size(), 20U);  // spread, not a constant
    FaultPlan reseeded = plan;
    reseeded.seed = 12;
    EXPECT_NE(first, delays(reseeded));
}

TEST(FaultInjector, ErrorRatesPerEndpointAndStatusFollowTheSeed) {
    const auto plan = plan_from(json::parse(R"({"seed": 3, "rules": [
        {"path": "/users", "status": 500, "rate": 0.1},
        {"path": "/users", "status": 502, "rate": 0.1},
        {"path": "/users", "status": 503, "rate": 0.1},
        {"path": "*", "status": 429, "retry_after": 2, "rate": 0.05}]})"));
    auto run = [&] {
        FaultInjector injector;
        injector.replace(plan);
        std::map<unsigned, int> statuses;
        std::vector<unsigned> sequence;
        for (int i = 0; i < 2000; ++i) {
            const auto decision = injector.decide(i % 2 == 0 ? "POST" : "GET", i % 2 == 0 ? "/users" : "/entities");
            const unsigned status = decision.status.value_or(0);
            sequence.push_back(status);
            ++statuses[status];
            if (status == 429) {
                EXPECT_EQ(decision.retry_after_seconds, 2U);
            }
            if (i % 2 == 1) {
                EXPECT_TRUE(status == 0 || status == 429) << status;  // /entities: only the 429 rule
            }
        }
        return std::pair{statuses, sequence};
    };
    const auto [statuses, sequence] = run();
    EXPECT_EQ(sequence, run().second);
    for (const unsigned status : {500U, 502U, 503U}) {
        EXPECT_GT(statuses.at(status), 40) << status;  // about 100, 90 and 81 of 1000
        EXPECT_LT(statuses.at(status), 140) << status;
    }
    EXPECT_GT(statuses.at(429), 30);
    EXPECT_LT(statuses.at(429), 120);
}

TEST(FaultInjector, TokenExpiryFiresMidSequence) {
    FaultInjector injector;
    injector.replace(plan_from(json::parse(R"({"rules": [{"path": "/users", "expire_tokens": true, "times": 1}]})")));
    EXPECT_FALSE(injector.decide("GET", "/entities").expire_tokens);
    const auto expiring = injector.decide("POST", "/users");
    EXPECT_TRUE(expiring.expire_tokens);
    EXPECT_FALSE(expiring.status.has_value());  // the request itself goes on (and meets the expiry)
    EXPECT_FALSE(injector.decide("POST", "/users").expire_tokens);
    EXPECT_EQ(injector.describe()["rules"][0]["expire_tokens"], true);
}

TEST(FaultPlanParsing, ReadsTextAndRefusesBadJitterOrExpiry) {
    EXPECT_TRUE(parse_fault_plan_text(R"({"rules": [{"jitter_ms": 5}]})").has_value());
    const auto broken = parse_fault_plan_text("{\"rules\": [");
    ASSERT_TRUE(broken.has_error());
    EXPECT_NE(broken.error().message.find("not valid JSON"), std::string::npos);
    EXPECT_NE(plan_error(json::parse(R"({"rules": [{"jitter_ms": -1}]})")).find("jitter_ms"), std::string::npos);
    EXPECT_NE(plan_error(json::parse(R"({"rules": [{"expire_tokens": 1}]})")).find("expire_tokens"), std::string::npos);
}

TEST(FaultInjector, RateLimitIsATokenBucketAnsweringRetryAfter) {
    FaultInjector injector;
    injector.replace(plan_from(json::parse(R"({"rate_limit": {"requests_per_minute": 120, "burst": 3}})")));
    const SteadyTime start{};
    for (int i = 0; i < 3; ++i) EXPECT_FALSE(injector.throttle(start).has_value()) << i;
    EXPECT_EQ(injector.throttle(start), 1U);  // 2 per second: a token within the second
    EXPECT_FALSE(injector.throttle(start + std::chrono::milliseconds(500)).has_value());
    EXPECT_TRUE(injector.throttle(start + std::chrono::milliseconds(600)).has_value());
    // Over a minute, no more than the limit (plus the burst) gets through.
    int admitted = 0;
    for (int ms = 1000; ms < 61'000; ms += 50) {
        admitted += injector.throttle(start + std::chrono::milliseconds(ms)).has_value() ? 0 : 1;
    }
    EXPECT_GE(admitted, 119);
    EXPECT_LE(admitted, 121);
    EXPECT_GT(injector.describe()["rate_limit"]["throttled"].get<int>(), 1000);
    EXPECT_NE(plan_error(json::parse(R"({"rate_limit": {"rpm": 5}})")).find("unknown key rpm"), std::string::npos);
    EXPECT_NE(plan_error(json::parse(R"({"rate_limit": {"burst": 0}})")).find("positive"), std::string::npos);
}

TEST(GuidGenerator, IsDeterministicPerSeedAndGuidShaped) {
    const GuidGenerator a(42);
    const GuidGenerator b(42);
    const GuidGenerator c(43);
    EXPECT_EQ(a.guid_for(1), b.guid_for(1));
    EXPECT_NE(a.guid_for(1), c.guid_for(1));
    std::set<std::string> seen;
    for (std::uint64_t i = 0; i < 1000; ++i) {
        const std::string guid = a.guid_for(i);
        ASSERT_EQ(guid.size(), 36U);
        EXPECT_EQ(guid[8], '-');
        EXPECT_EQ(guid[13], '-');
        EXPECT_EQ(guid[14], '4');  // version 4 layout
        EXPECT_EQ(guid[18], '-');
        EXPECT_EQ(guid[23], '-');
        seen.insert(guid);
    }
    EXPECT_EQ(seen.size(), 1000U);
    EXPECT_EQ(guid_from_name("Contact - Entity Access"), guid_from_name("Contact - Entity Access"));
}

}  // namespace
}  // namespace taxsync::emulator
