#include "connectors/name_parsing.hpp"

#include <gtest/gtest.h>

namespace taxsync::connectors {
namespace {

using Pair = std::pair<std::string, std::string>;

TEST(NameParsing, CleansWhitespaceAndShoutedNames) {
    EXPECT_EQ(collapse_whitespace("  Birch \t Lane\nBakery "), "Birch Lane Bakery");
    EXPECT_EQ(clean_person_name("  SMITH  "), "Smith");
    EXPECT_EQ(clean_person_name("o'connor"), "O'Connor");
    EXPECT_EQ(clean_person_name("McDonald"), "McDonald");
    EXPECT_EQ(clean_person_name("MARY  ANN"), "Mary Ann");
}

TEST(NameParsing, SplitsJointFirstNames) {
    EXPECT_EQ(split_joint_first_names("John & Jane"), (Pair{"John", "Jane"}));
    EXPECT_EQ(split_joint_first_names("John&Jane"), (Pair{"John", "Jane"}));
    EXPECT_EQ(split_joint_first_names("John and Jane"), (Pair{"John", "Jane"}));
    EXPECT_EQ(split_joint_first_names("JOHN AND JANE"), (Pair{"JOHN", "JANE"}));
    EXPECT_EQ(split_joint_first_names("Mary Ann & Bob"), (Pair{"Mary Ann", "Bob"}));
    EXPECT_FALSE(split_joint_first_names("Andrew").has_value());
    EXPECT_FALSE(split_joint_first_names("Sandy Anderson").has_value());
    EXPECT_FALSE(split_joint_first_names("John &").has_value());
    EXPECT_FALSE(split_joint_first_names("A & B & C").has_value());
}

TEST(NameParsing, SplitsClientNamesIntoLastAndFirstNames) {
    const auto comma = split_client_name("Smith, John & Jane");
    ASSERT_TRUE(comma.has_value());
    EXPECT_EQ(comma->last_name, "Smith");
    EXPECT_EQ(comma->first_names, "John & Jane");

    const auto words = split_client_name("John and Jane Smith");
    ASSERT_TRUE(words.has_value());
    EXPECT_EQ(words->last_name, "Smith");
    EXPECT_EQ(words->first_names, "John and Jane");

    const auto suffix = split_client_name("Ann Lee Jr.");
    ASSERT_TRUE(suffix.has_value());
    EXPECT_EQ(suffix->last_name, "Lee Jr.");
    EXPECT_EQ(suffix->first_names, "Ann");

    const auto single = split_client_name("Cher");
    ASSERT_TRUE(single.has_value());
    EXPECT_EQ(single->last_name, "Cher");
    EXPECT_EQ(single->first_names, "");

    EXPECT_FALSE(split_client_name("   ").has_value());
}

TEST(NameParsing, RecognizesBusinessWords) {
    EXPECT_TRUE(looks_like_business_name("Birch Lane Bakery, Inc."));
    EXPECT_TRUE(looks_like_business_name("Northwind L.L.C."));
    EXPECT_TRUE(looks_like_business_name("Estate of Ruth Palmer"));
    EXPECT_FALSE(looks_like_business_name("Smith, John & Jane"));
    EXPECT_FALSE(looks_like_business_name("Corbin Incle"));
}

}  // namespace
}  // namespace taxsync::connectors
