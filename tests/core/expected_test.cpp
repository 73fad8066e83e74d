#include "core/expected.hpp"

#include <gtest/gtest.h>

#include <string>

namespace taxsync {
namespace {

Expected<int> parse_positive(int value) {
    if (value <= 0) return fail(ErrorKind::InvalidInput, "not positive");
    return value;
}

TEST(Expected, HoldsValueOrError) {
    const auto good = parse_positive(3);
    ASSERT_TRUE(good.has_value());
    EXPECT_EQ(*good, 3);

    const auto bad = parse_positive(-1);
    ASSERT_TRUE(bad.has_error());
    EXPECT_EQ(bad.error().kind, ErrorKind::InvalidInput);
    EXPECT_EQ(bad.error().message, "not positive");
    EXPECT_EQ(bad.value_or(7), 7);
}

TEST(Expected, VoidStatus) {
    Status fine = ok();
    EXPECT_TRUE(fine.has_value());
    Status broken = fail(ErrorKind::Io, "disk");
    ASSERT_TRUE(broken.has_error());
    EXPECT_EQ(broken.error().kind, ErrorKind::Io);
}

TEST(Expected, MovesOutValue) {
    Expected<std::string> text = std::string("abc");
    std::string taken = std::move(text).value();
    EXPECT_EQ(taken, "abc");
}

TEST(ErrorKind, TransientKindsAreTheRetryableOnes) {
    EXPECT_TRUE(is_transient(ErrorKind::RateLimited));
    EXPECT_TRUE(is_transient(ErrorKind::Unavailable));
    EXPECT_TRUE(is_transient(ErrorKind::Ambiguous));
    EXPECT_FALSE(is_transient(ErrorKind::Rejected));
    EXPECT_FALSE(is_transient(ErrorKind::Unauthorized));
    EXPECT_FALSE(is_transient(ErrorKind::Conflict));
}

}  // namespace
}  // namespace taxsync
