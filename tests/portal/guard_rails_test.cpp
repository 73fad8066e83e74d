// The rate limiter and the circuit breaker around a portal's HttpClient, on a ManualClock: every
// wait they impose is a recorded sleep, so the pacing can be checked to the millisecond.

#include <gtest/gtest.h>

#include <memory>

#include "portal/circuit_breaker.hpp"
#include "portal/rate_limiter.hpp"
#include "portal/retry.hpp"
#include "tests/support/fake_http.hpp"
#include "tests/support/manual_clock.hpp"

namespace taxsync::portal {
namespace {

using testing::FakeHttp;
using testing::ManualClock;
using testing::respond;

const HttpRequest kGet{"GET", "https://portal.example.com/x", {}, ""};

TEST(RateLimiter, BurstGoesAtOnceThenRequestsArePacedAtTheRate) {
    ManualClock clock;
    FakeHttp http([](const HttpRequest&) { return respond(200, "{}"); });
    const Logger log = Logger::null();
    RateLimitedHttpClient limited(http, clock, RateLimit{120, 5}, log);  // 2 per second
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(limited.send(kGet).has_value());
    EXPECT_TRUE(clock.sleeps().empty());
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(limited.send(kGet).has_value());
    ASSERT_EQ(clock.sleeps().size(), 10U);
    for (const Millis sleep : clock.sleeps()) EXPECT_EQ(sleep.count(), 500);
    EXPECT_EQ(http.requests.size(), 15U);
}

TEST(RateLimiter, QuietTimeRefillsTheBucketUpToTheBurstOnly) {
    ManualClock clock;
    FakeHttp http([](const HttpRequest&) { return respond(200, "{}"); });
    const Logger log = Logger::null();
    RateLimitedHttpClient limited(http, clock, RateLimit{60, 3}, log);
    for (int i = 0; i < 3; ++i) (void)limited.send(kGet);
    clock.advance(std::chrono::minutes(10));  // far more than 3 tokens' worth
    for (int i = 0; i < 3; ++i) (void)limited.send(kGet);
    EXPECT_TRUE(clock.sleeps().empty());
    (void)limited.send(kGet);
    ASSERT_EQ(clock.sleeps().size(), 1U);
    EXPECT_EQ(clock.sleeps()[0].count(), 1000);
}

TEST(RateLimiter, TooManyRequestsHalvesTheRateAndHonoursRetryAfter) {
    ManualClock clock;
    int calls = 0;
    FakeHttp http([&](const HttpRequest&) {
        return ++calls == 2 ? respond(429, "", {{"retry-after", "7"}}) : respond(200, "{}");
    });
    const Logger log = Logger::null();
    RateLimitedHttpClient limited(http, clock, RateLimit{120, 2}, log);
    (void)limited.send(kGet);
    EXPECT_EQ(limited.send(kGet)->status, 429);
    EXPECT_DOUBLE_EQ(limited.current_rate_per_minute(), 60.0);
    (void)limited.send(kGet);  // waits out the Retry-After, then its turn at the halved rate (1/s)
    ASSERT_FALSE(clock.sleeps().empty());
    EXPECT_EQ(clock.sleeps().back().count(), 8000);
    (void)limited.send(kGet);  // then one per second: the halved rate
    EXPECT_EQ(clock.sleeps().back().count(), 1000);
}

TEST(RateLimiter, RecoversSlowlyAndNeverBelowTheFloor) {
    ManualClock clock;
    FakeHttp http([](const HttpRequest& request) {
        return request.url.ends_with("/limited") ? respond(429, "") : respond(200, "{}");
    });
    const Logger log = Logger::null();
    RateLimitedHttpClient limited(http, clock, RateLimit{600, 1}, log);
    const HttpRequest limited_request{"GET", "https://portal.example.com/limited", {}, ""};
    for (int i = 0; i < 10; ++i) (void)limited.send(limited_request);
    EXPECT_DOUBLE_EQ(limited.current_rate_per_minute(), 60.0);  // 10% floor of 600
    // Each quiet 30 s regains 60/min: from 60 to 600 takes nine steps, not one.
    clock.advance(std::chrono::seconds(31));
    (void)limited.send(kGet);
    EXPECT_DOUBLE_EQ(limited.current_rate_per_minute(), 120.0);
    for (int step = 0; step < 12; ++step) {
        clock.advance(std::chrono::seconds(31));
        (void)limited.send(kGet);
    }
    EXPECT_DOUBLE_EQ(limited.current_rate_per_minute(), 600.0);
}

TEST(RateLimiter, UnlimitedStillPausesForRetryAfter) {
    ManualClock clock;
    int calls = 0;
    FakeHttp http([&](const HttpRequest&) {
        return ++calls == 1 ? respond(429, "", {{"retry-after", "3"}}) : respond(200, "");
    });
    const Logger log = Logger::null();
    RateLimitedHttpClient limited(http, clock, RateLimit{}, log);
    (void)limited.send(kGet);
    (void)limited.send(kGet);
    (void)limited.send(kGet);
    ASSERT_EQ(clock.sleeps().size(), 1U);
    EXPECT_EQ(clock.sleeps()[0].count(), 3000);
}

TEST(CircuitBreaker, OpensAfterConsecutiveFailuresAndFailsFastUntilTheCoolDown) {
    ManualClock clock;
    bool portal_up = false;
    FakeHttp http([&](const HttpRequest&) -> Expected<HttpResponse, TransportError> {
        if (portal_up) return respond(200, "{}");
        return unexpected(TransportError{TransportFailure::NotSent, "connection refused"});
    });
    const Logger log = Logger::null();
    CircuitBreaker breaker(http, clock, BreakerSettings{3, Millis{60'000}}, log);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(breaker.send(kGet).error().failure, TransportFailure::NotSent);
    EXPECT_EQ(breaker.state(), CircuitState::Open);
    ASSERT_TRUE(breaker.open_until().has_value());
    EXPECT_EQ(*breaker.open_until(), clock.now() + std::chrono::seconds(60));

    const auto fast = breaker.send(kGet);
    ASSERT_TRUE(fast.has_error());
    EXPECT_EQ(fast.error().failure, TransportFailure::CircuitOpen);
    EXPECT_NE(fast.error().message.find("portal unavailable, circuit open until 2026-"), std::string::npos)
        << fast.error().message;
    EXPECT_EQ(http.requests.size(), 3U);  // not sent

    clock.advance(std::chrono::seconds(61));
    EXPECT_FALSE(breaker.open_until().has_value());
    portal_up = true;
    EXPECT_TRUE(breaker.send(kGet).has_value());  // the probe
    EXPECT_EQ(breaker.state(), CircuitState::Closed);
    EXPECT_EQ(http.requests.size(), 4U);
}

TEST(CircuitBreaker, AFailedProbeReopensAtOnce) {
    ManualClock clock;
    FakeHttp http([](const HttpRequest&) { return respond(503, ""); });
    const Logger log = Logger::null();
    CircuitBreaker breaker(http, clock, BreakerSettings{2, Millis{10'000}}, log);
    (void)breaker.send(kGet);
    (void)breaker.send(kGet);
    EXPECT_EQ(breaker.state(), CircuitState::Open);
    clock.advance(std::chrono::seconds(11));
    EXPECT_EQ(breaker.send(kGet)->status, 503);  // one probe goes out, fails
    EXPECT_EQ(breaker.state(), CircuitState::Open);
    EXPECT_EQ(breaker.send(kGet).error().failure, TransportFailure::CircuitOpen);
    EXPECT_EQ(http.requests.size(), 3U);
}

TEST(CircuitBreaker, RefusalsAndRateLimitsDoNotCountAndSuccessResetsTheCount) {
    ManualClock clock;
    std::vector<int> statuses{503, 503, 404, 503, 503, 429, 400, 200, 503, 503, 503};
    std::size_t next = 0;
    FakeHttp http([&](const HttpRequest&) { return respond(statuses.at(next++), ""); });
    const Logger log = Logger::null();
    CircuitBreaker breaker(http, clock, BreakerSettings{3, Millis{1000}}, log);
    for (std::size_t i = 0; i + 1 < statuses.size(); ++i) {
        (void)breaker.send(kGet);
        EXPECT_EQ(breaker.state(), CircuitState::Closed) << "after answer " << i;
    }
    (void)breaker.send(kGet);
    EXPECT_EQ(breaker.state(), CircuitState::Open);
}

TEST(CircuitBreaker, RetryLayerDoesNotRetryAnOpenCircuit) {
    const Expected<HttpResponse, TransportError> open =
        unexpected(TransportError{TransportFailure::CircuitOpen, "portal unavailable, circuit open until x"});
    const auto result =
        classify_attempt(open, Replay::Safe, true, SystemTime{}, [](const HttpResponse&) { return ""; });
    EXPECT_FALSE(result.retry);
    EXPECT_EQ(result.error.kind, ErrorKind::Unavailable);
    EXPECT_EQ(result.error.message, "portal unavailable, circuit open until x");
}

}  // namespace
}  // namespace taxsync::portal
