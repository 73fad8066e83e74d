// The open-addressed index of client ids: every key found again after growth, values kept.

#include "core/string_index.hpp"

#include <gtest/gtest.h>

#include <string>

namespace taxsync {
namespace {

TEST(StringIndex, FindsEveryKeyAgainAfterGrowingAndKeepsValues) {
    StringIndex<int> index;
    for (int i = 0; i < 5000; ++i) {
        auto [value, inserted] = index.try_emplace("id-" + std::to_string(i));
        ASSERT_TRUE(inserted);
        value = i;
    }
    EXPECT_EQ(index.size(), 5000U);
    for (int i = 0; i < 5000; ++i) {
        const int* found = index.find("id-" + std::to_string(i));
        ASSERT_NE(found, nullptr) << i;
        EXPECT_EQ(*found, i);
    }
    auto [again, inserted] = index.try_emplace("id-42");
    EXPECT_FALSE(inserted);
    EXPECT_EQ(again, 42);
    EXPECT_EQ(index.find("id-5000"), nullptr);
    EXPECT_EQ(index.find(""), nullptr);
    EXPECT_EQ(index.entries().front().key, "id-0") << "entries keep the order of insertion";
}

TEST(StringIndex, AnEmptyIndexFindsNothingAndReserveKeepsNothing) {
    StringIndex<int> index;
    EXPECT_EQ(index.find("00417I"), nullptr);
    index.reserve(100);
    EXPECT_EQ(index.size(), 0U);
    EXPECT_EQ(index.find("00417I"), nullptr);
    EXPECT_TRUE(index.try_emplace("00417I").second);
    EXPECT_NE(index.find("00417I"), nullptr);
    EXPECT_EQ(index.find("00417i"), nullptr) << "keys are compared exactly";
}

}  // namespace
}  // namespace taxsync
