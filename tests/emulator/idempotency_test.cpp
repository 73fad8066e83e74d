#include "emulator/idempotency.hpp"

#include <gtest/gtest.h>

#include "tests/support/manual_clock.hpp"

namespace taxsync::emulator {
namespace {

class IdempotencyStoreTest : public ::testing::Test {
protected:
    taxsync::testing::ManualClock clock_;
    sqlite::Database db_ = sqlite::Database::open_in_memory();
    IdempotencyStore store_{db_, clock_};
};

TEST_F(IdempotencyStoreTest, FirstUseProceedsAndReservesTheKey) {
    EXPECT_EQ(store_.begin("client", "k1", "fp").verdict, IdempotencyVerdict::Proceed);
    EXPECT_EQ(store_.begin("client", "k1", "fp").verdict, IdempotencyVerdict::InProgress);
}

TEST_F(IdempotencyStoreTest, CompletedKeyReplaysTheStoredAnswer) {
    ASSERT_EQ(store_.begin("client", "k1", "fp").verdict, IdempotencyVerdict::Proceed);
    store_.complete("client", "k1", 201, R"({"CWGuid":"x"})");
    const auto decision = store_.begin("client", "k1", "fp");
    EXPECT_EQ(decision.verdict, IdempotencyVerdict::Replay);
    EXPECT_EQ(decision.status, 201U);
    EXPECT_EQ(decision.body, R"({"CWGuid":"x"})");
}

TEST_F(IdempotencyStoreTest, SameKeyDifferentRequestIsAMismatch) {
    ASSERT_EQ(store_.begin("client", "k1", "fp-a").verdict, IdempotencyVerdict::Proceed);
    EXPECT_EQ(store_.begin("client", "k1", "fp-b").verdict, IdempotencyVerdict::Mismatch);
    store_.complete("client", "k1", 201, "{}");
    EXPECT_EQ(store_.begin("client", "k1", "fp-b").verdict, IdempotencyVerdict::Mismatch);
}

TEST_F(IdempotencyStoreTest, ReleasedKeyMayBeUsedAgain) {
    ASSERT_EQ(store_.begin("client", "k1", "fp-a").verdict, IdempotencyVerdict::Proceed);
    store_.release("client", "k1");
    EXPECT_EQ(store_.begin("client", "k1", "fp-b").verdict, IdempotencyVerdict::Proceed);
}

TEST_F(IdempotencyStoreTest, ReleaseDoesNotForgetAFinishedAnswer) {
    ASSERT_EQ(store_.begin("client", "k1", "fp").verdict, IdempotencyVerdict::Proceed);
    store_.complete("client", "k1", 201, "{}");
    store_.release("client", "k1");
    EXPECT_EQ(store_.begin("client", "k1", "fp").verdict, IdempotencyVerdict::Replay);
}

TEST_F(IdempotencyStoreTest, KeysAreScopedPerClient) {
    ASSERT_EQ(store_.begin("client-a", "k1", "fp").verdict, IdempotencyVerdict::Proceed);
    store_.complete("client-a", "k1", 201, "{}");
    EXPECT_EQ(store_.begin("client-b", "k1", "fp").verdict, IdempotencyVerdict::Proceed);
}

TEST_F(IdempotencyStoreTest, ARestartForgetsReservationsButKeepsAnswers) {
    ASSERT_EQ(store_.begin("client", "running", "fp").verdict, IdempotencyVerdict::Proceed);
    ASSERT_EQ(store_.begin("client", "done", "fp").verdict, IdempotencyVerdict::Proceed);
    store_.complete("client", "done", 201, "{}");
    const IdempotencyStore restarted(db_, clock_);
    EXPECT_EQ(store_.begin("client", "running", "fp").verdict, IdempotencyVerdict::Proceed);
    EXPECT_EQ(store_.begin("client", "done", "fp").verdict, IdempotencyVerdict::Replay);
}

TEST_F(IdempotencyStoreTest, ClearForgetsEverything) {
    ASSERT_EQ(store_.begin("client", "k1", "fp").verdict, IdempotencyVerdict::Proceed);
    store_.complete("client", "k1", 201, "{}");
    store_.clear();
    EXPECT_EQ(store_.begin("client", "k1", "other").verdict, IdempotencyVerdict::Proceed);
}

TEST(RequestFingerprint, ComparesJsonBodiesByValue) {
    EXPECT_EQ(request_fingerprint("POST", "/entities", R"({"Name":"A","EntityNo":"1"})"),
              request_fingerprint("POST", "/entities", R"({ "EntityNo": "1",  "Name": "A" })"));
    EXPECT_NE(request_fingerprint("POST", "/entities", R"({"Name":"A"})"),
              request_fingerprint("POST", "/entities", R"({"Name":"B"})"));
    EXPECT_NE(request_fingerprint("POST", "/entities", "{}"), request_fingerprint("POST", "/groups", "{}"));
    EXPECT_NE(request_fingerprint("POST", "/x", "not json"), request_fingerprint("POST", "/x", "not  json"));
}

TEST(IdempotencyKeyHeader, AcceptsStructuredAndBareForms) {
    EXPECT_EQ(normalize_idempotency_key(R"("8e03978e-40d5")"), "8e03978e-40d5");
    EXPECT_EQ(normalize_idempotency_key("plain-key"), "plain-key");
    EXPECT_FALSE(normalize_idempotency_key(R"("")").has_value());
    EXPECT_FALSE(normalize_idempotency_key("").has_value());
    EXPECT_TRUE(normalize_idempotency_key(std::string(255, 'k')).has_value());
    EXPECT_FALSE(normalize_idempotency_key(std::string(256, 'k')).has_value());
}

}  // namespace
}  // namespace taxsync::emulator
