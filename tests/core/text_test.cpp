#include "core/text.hpp"

#include <gtest/gtest.h>

namespace taxsync {
namespace {

TEST(TrailingSlashes, AreDroppedAndNothingElse) {
    EXPECT_EQ(without_trailing_slashes("https://x.example.com/f//"), "https://x.example.com/f");
    EXPECT_EQ(without_trailing_slashes("acme/vault"), "acme/vault");
    EXPECT_EQ(without_trailing_slashes("///"), "");
    EXPECT_EQ(without_trailing_slashes(""), "");
}

TEST(Utf8, AcceptsWellFormedAndRejectsBrokenSequences) {
    EXPECT_TRUE(is_valid_utf8("plain ascii"));
    EXPECT_TRUE(is_valid_utf8("Jos\xC3\xA9 M\xC3\xBCller \xE2\x80\x99"));
    EXPECT_TRUE(is_valid_utf8("\xF0\x9F\x98\x80"));
    EXPECT_FALSE(is_valid_utf8("Jos\xE9"));              // Windows-1252 e-acute
    EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));             // overlong slash
    EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));         // surrogate
    EXPECT_FALSE(is_valid_utf8("\xE2\x80"));             // truncated
}

TEST(Windows1252, DecodesTheHighRangeAsExcelWritesIt) {
    EXPECT_EQ(windows1252_to_utf8("Jos\xE9"), "Jos\xC3\xA9");
    EXPECT_EQ(windows1252_to_utf8("O\x92" "Brien"), "O\xE2\x80\x99" "Brien");
    EXPECT_EQ(windows1252_to_utf8("\x80"), "\xE2\x82\xAC");
    EXPECT_TRUE(is_valid_utf8(windows1252_to_utf8("\x81\x8D\x8F\x90\x9D\xFF")));
}

TEST(Email, PlausibleAddressesPass) {
    for (const char* good : {"ann@example.com", "a.b+tax@sub.example.co", "o'neil@firm.us", "x_y-z@a-b.org"}) {
        EXPECT_TRUE(is_plausible_email(good)) << good;
    }
}

TEST(Email, MalformedAddressesFail) {
    for (const char* bad : {"", "ann", "ann@", "@example.com", "ann@@example.com", "ann@example", "ann example@x.com",
                            "ann@example.c", "ann@-example.com", "ann@example..com", ".ann@example.com",
                            "{email=ann@example.com}", "ann@example.123", "a@b.com; c@d.com"}) {
        EXPECT_FALSE(is_plausible_email(bad)) << bad;
    }
}

TEST(Email, NormalizeLowercasesAndTrims) { EXPECT_EQ(normalize_email("  Ann.Lee@Example.COM "), "ann.lee@example.com"); }

TEST(TidyName, FixesShoutingKeepsMixedCase) {
    EXPECT_EQ(tidy_name("SMITH"), "Smith");
    EXPECT_EQ(tidy_name("o'brien-jones"), "O'Brien-Jones");
    EXPECT_EQ(tidy_name("McDonald"), "McDonald");
    EXPECT_EQ(tidy_name("  MARY ANN "), "Mary Ann");
}

TEST(TidyName, LowersAccentedCapitalsInsideWords) {
    EXPECT_EQ(tidy_name("JOS\xC3\x89"), "Jos\xC3\xA9");          // JOSÉ -> José
    EXPECT_EQ(tidy_name("\xC3\x89MILE ZOLA"), "\xC3\x89mile Zola");  // ÉMILE ZOLA -> Émile Zola
    EXPECT_EQ(tidy_name("\xC3\xA9mile"), "\xC3\x89mile");          // émile -> Émile
    EXPECT_EQ(tidy_name("Ren\xC3\xA9" "e"), "Ren\xC3\xA9" "e");  // mixed case is left alone
    EXPECT_EQ(tidy_name("S\xC3\x98REN"), "S\xC3\xB8ren");          // SØREN -> Søren
}

TEST(Split, KeepsEmptyParts) {
    const auto parts = split("a,,b,", ',');
    ASSERT_EQ(parts.size(), 4U);
    EXPECT_EQ(parts[1], "");
    EXPECT_EQ(join(parts, "|"), "a||b|");
}

}  // namespace
}  // namespace taxsync
