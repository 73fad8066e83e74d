#include "portal/retry.hpp"

#include <gtest/gtest.h>

#include "tests/support/manual_clock.hpp"

namespace taxsync::portal {
namespace {

TEST(Backoff, DelaysStayUnderTheGrowingCapAndTheMaximum) {
    Backoff backoff({10, Millis{500}, Millis{4000}, Millis{60'000}}, 42);
    for (int attempt = 1; attempt < 10; ++attempt) {
        const auto delay = backoff.next_delay(attempt, std::nullopt);
        ASSERT_TRUE(delay.has_value());
        const auto cap = std::min<std::int64_t>(4000, 500LL << (attempt - 1));
        EXPECT_GE(delay->count(), 0);
        EXPECT_LE(delay->count(), cap) << "attempt " << attempt;
    }
    EXPECT_FALSE(backoff.next_delay(10, std::nullopt).has_value());
}

TEST(Backoff, JitterSpreadsDelays) {
    Backoff backoff({100, Millis{1000}, Millis{1000}, Millis{60'000}}, 7);
    std::set<std::int64_t> seen;
    for (int i = 0; i < 20; ++i) seen.insert(backoff.next_delay(5, std::nullopt)->count());
    EXPECT_GT(seen.size(), 10U);
}

TEST(Backoff, NeverSoonerThanRetryAfterAndGivesUpOnHugeOnes) {
    Backoff backoff({5, Millis{10}, Millis{20}, Millis{60'000}}, 1);
    EXPECT_EQ(backoff.next_delay(1, Millis{3000}), Millis{3000});
    EXPECT_FALSE(backoff.next_delay(1, Millis{3'600'000}).has_value());
}

TEST(RetryAfter, ParsesSecondsAndHttpDates) {
    const SystemTime now = from_unix_seconds(1'700'000'000);  // 2023-11-14T22:13:20Z
    EXPECT_EQ(parse_retry_after("7", now), Millis{7000});
    EXPECT_EQ(parse_retry_after("Tue, 14 Nov 2023 22:13:50 GMT", now), Millis{30'000});
    EXPECT_EQ(parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now), Millis{0});
    EXPECT_FALSE(parse_retry_after("soon", now).has_value());
    EXPECT_FALSE(parse_retry_after("", now).has_value());
}

Expected<HttpResponse, TransportError> answer(int status, std::map<std::string, std::string> headers = {}) {
    return HttpResponse{status, std::move(headers), "{\"errors\":[{\"message\":\"why\"}]}"};
}

std::string text(const HttpResponse&) { return "why"; }

TEST(Classify, StatusCodesMapToKindsAndRetries) {
    const SystemTime now = from_unix_seconds(0);
    EXPECT_TRUE(classify_attempt(answer(201), Replay::Unsafe, false, now, text).response.has_value());

    const auto limited = classify_attempt(answer(429, {{"retry-after", "2"}}), Replay::Unsafe, false, now, text);
    EXPECT_EQ(limited.error.kind, ErrorKind::RateLimited);
    EXPECT_TRUE(limited.retry);
    EXPECT_EQ(limited.retry_after, Millis{2000});

    const auto server_safe = classify_attempt(answer(502), Replay::Safe, false, now, text);
    EXPECT_TRUE(server_safe.retry);
    const auto server_unsafe = classify_attempt(answer(502), Replay::Unsafe, false, now, text);
    EXPECT_FALSE(server_unsafe.retry);
    EXPECT_EQ(server_unsafe.error.kind, ErrorKind::Ambiguous);
    const auto server_keyed = classify_attempt(answer(503), Replay::Unsafe, true, now, text);
    EXPECT_TRUE(server_keyed.retry);

    const auto invalid = classify_attempt(answer(400), Replay::Safe, false, now, text);
    EXPECT_FALSE(invalid.retry);
    EXPECT_EQ(invalid.error.kind, ErrorKind::Rejected);
    EXPECT_NE(invalid.error.message.find("HTTP 400: why"), std::string::npos);
    EXPECT_EQ(classify_attempt(answer(401), Replay::Safe, false, now, text).error.kind, ErrorKind::Unauthorized);
    EXPECT_EQ(classify_attempt(answer(409), Replay::Safe, false, now, text).error.kind, ErrorKind::Conflict);
    EXPECT_EQ(classify_attempt(answer(404), Replay::Safe, false, now, text).error.kind, ErrorKind::NotFound);
}

TEST(Classify, TransportFailures) {
    const SystemTime now = from_unix_seconds(0);
    const Expected<HttpResponse, TransportError> refused = unexpected(TransportError{TransportFailure::NotSent, "refused"});
    EXPECT_TRUE(classify_attempt(refused, Replay::Unsafe, false, now, text).retry);
    const Expected<HttpResponse, TransportError> lost =
        unexpected(TransportError{TransportFailure::ConnectionLost, "reset"});
    const auto unsafe = classify_attempt(lost, Replay::Unsafe, false, now, text);
    EXPECT_FALSE(unsafe.retry);
    EXPECT_EQ(unsafe.error.kind, ErrorKind::Ambiguous);
    EXPECT_TRUE(classify_attempt(lost, Replay::Safe, false, now, text).retry);
}

TEST(RunWithRetries, SleepsBetweenAttemptsAndStopsAtTheLimit) {
    testing::ManualClock clock;
    Backoff backoff({3, Millis{100}, Millis{100}, Millis{60'000}}, 3);
    int calls = 0;
    const auto result = run_with_retries(backoff, clock, [&](int) {
        ++calls;
        AttemptResult attempt;
        attempt.error = {ErrorKind::Unavailable, "down"};
        attempt.retry = true;
        return attempt;
    });
    EXPECT_EQ(calls, 3);
    EXPECT_EQ(clock.sleeps().size(), 2U);
    ASSERT_TRUE(result.has_error());
    EXPECT_NE(result.error().message.find("gave up after 3 attempts"), std::string::npos);
}

}  // namespace
}  // namespace taxsync::portal
