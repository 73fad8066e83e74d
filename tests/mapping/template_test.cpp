#include "mapping/template.hpp"

#include <gtest/gtest.h>

namespace taxsync::mapping {
namespace {

const std::set<std::string, std::less<>> fields = {"tax_year", "client_id"};

TEST(Template, RendersFieldsAndLiteralBraces) {
    const auto parsed = Template::parse("{tax_year}/Returns {{draft}} #{client_id}", fields);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    const auto text = parsed->render([](std::string_view f) { return f == "tax_year" ? "2025" : "0042"; });
    EXPECT_EQ(text, "2025/Returns {draft} #0042");
    EXPECT_TRUE(parsed->uses("tax_year"));
    EXPECT_FALSE(parsed->uses("office"));
}

TEST(Template, UnknownPlaceholderNamesTheColumnAndTheKnownFields) {
    const auto parsed = Template::parse("Hi {tax_yaer}", fields);
    ASSERT_TRUE(parsed.has_error());
    EXPECT_NE(parsed.error().message.find("{tax_yaer}"), std::string::npos);
    EXPECT_NE(parsed.error().message.find("column 4"), std::string::npos);
    EXPECT_NE(parsed.error().message.find("client_id, tax_year"), std::string::npos);
}

TEST(Template, UnbalancedBracesAreErrors) {
    EXPECT_TRUE(Template::parse("open {tax_year", fields).has_error());
    EXPECT_TRUE(Template::parse("close }", fields).has_error());
}

}  // namespace
}  // namespace taxsync::mapping
