#include "emulator/search.hpp"

#include <gtest/gtest.h>

#include <array>

namespace taxsync::emulator {
namespace {

SearchExpression parsed(std::string_view text) {
    auto result = parse_search(text);
    EXPECT_TRUE(result.has_value()) << text << ": " << (result.has_error() ? result.error().message : "");
    return result.has_value() ? result.value() : SearchExpression{};
}

std::string parse_error(std::string_view text) {
    auto result = parse_search(text);
    EXPECT_TRUE(result.has_error()) << text << " should not parse";
    return result.has_error() ? result.error().message : "";
}

TEST(SearchParser, ParsesQuotedStringEquality) {
    const auto expression = parsed("EntityNo='ultratax:1001'");
    EXPECT_EQ(expression.field, "EntityNo");
    EXPECT_EQ(expression.op, SearchOperator::Equal);
    EXPECT_EQ(std::get<std::string>(expression.value), "ultratax:1001");
}

TEST(SearchParser, ParsesEveryOperator) {
    EXPECT_EQ(parsed("Name<>'a'").op, SearchOperator::NotEqual);
    EXPECT_EQ(parsed("Name<'a'").op, SearchOperator::Less);
    EXPECT_EQ(parsed("Name>'a'").op, SearchOperator::Greater);
    EXPECT_EQ(parsed("Name='a'").op, SearchOperator::Equal);
}

TEST(SearchParser, UnescapesQuoteAndBackslash) {
    EXPECT_EQ(std::get<std::string>(parsed(R"(LastName='O\'Brien')").value), "O'Brien");
    EXPECT_EQ(std::get<std::string>(parsed(R"(Name='a\\b')").value), R"(a\b)");
    EXPECT_EQ(std::get<std::string>(parsed(R"(Name='\\\'')").value), R"(\')");
}

TEST(SearchParser, KeepsOtherCharactersVerbatim) {
    EXPECT_EQ(std::get<std::string>(parsed("Name='a = b <> c'").value), "a = b <> c");
    EXPECT_EQ(std::get<std::string>(parsed("Name=''").value), "");
    EXPECT_EQ(std::get<std::string>(parsed("Email='ann+tax@example.com'").value), "ann+tax@example.com");
}

TEST(SearchParser, ParsesUnquotedLiterals) {
    EXPECT_EQ(std::get<std::int64_t>(parsed("Count=42").value), 42);
    EXPECT_EQ(std::get<std::int64_t>(parsed("Count>-7").value), -7);
    EXPECT_DOUBLE_EQ(std::get<double>(parsed("Amount<2.5").value), 2.5);
    EXPECT_EQ(std::get<bool>(parsed("Activated=true").value), true);
    EXPECT_EQ(std::get<bool>(parsed("Activated=false").value), false);
    EXPECT_TRUE(std::holds_alternative<std::nullptr_t>(parsed("InActiveDate=null").value));
}

TEST(SearchParser, AllowsSpacesAroundTheOperator) {
    const auto expression = parsed("  Name = 'Acme'  ");
    EXPECT_EQ(expression.field, "Name");
    EXPECT_EQ(std::get<std::string>(expression.value), "Acme");
}

TEST(SearchParser, RejectsMalformedExpressions) {
    EXPECT_NE(parse_error("").find("empty"), std::string::npos);
    EXPECT_NE(parse_error("Name").find("expected one of"), std::string::npos);
    EXPECT_NE(parse_error("Name=").find("missing"), std::string::npos);
    EXPECT_NE(parse_error("Name='open").find("closing quote"), std::string::npos);
    EXPECT_NE(parse_error(R"(Name='a\nb')").find("unknown escape"), std::string::npos);
    EXPECT_NE(parse_error(R"(Name='a\)").find("backslash"), std::string::npos);
    EXPECT_NE(parse_error("Name='a' OR 1=1").find("after the closing quote"), std::string::npos);
    EXPECT_NE(parse_error("Name=Acme").find("single quotes"), std::string::npos);
    EXPECT_NE(parse_error("1Name='a'").find("field name"), std::string::npos);
    EXPECT_NE(parse_error("Name=='a'").find("single quotes"), std::string::npos);
    EXPECT_NE(parse_error("Count=99999999999999999999").find("too large"), std::string::npos);
}

constexpr std::array kFields{
    SearchableField{"Name", "name", FieldType::Text},
    SearchableField{"Activated", "activated", FieldType::Boolean},
    SearchableField{"Count", "count", FieldType::Integer},
};

TEST(SearchSql, TranslatesToAParameterisedCondition) {
    auto condition = to_sql_condition(parsed("Name='x'"), kFields);
    ASSERT_TRUE(condition.has_value());
    EXPECT_EQ(condition->clause, "name = ?");
    EXPECT_EQ(std::get<std::string>(condition->argument), "x");
    EXPECT_EQ(to_sql_condition(parsed("Name<>'x'"), kFields)->clause, "name IS NOT ?");
    EXPECT_EQ(to_sql_condition(parsed("Count>3"), kFields)->clause, "count > ?");
    EXPECT_EQ(to_sql_condition(parsed("Name=null"), kFields)->clause, "name IS NULL");
    EXPECT_EQ(to_sql_condition(parsed("Name<>null"), kFields)->clause, "name IS NOT NULL");
}

TEST(SearchSql, RejectsFieldsOutsideTheWhitelist) {
    auto condition = to_sql_condition(parsed("Password='x'"), kFields);
    ASSERT_TRUE(condition.has_error());
    EXPECT_NE(condition.error().message.find("unknown field Password"), std::string::npos);
    EXPECT_NE(condition.error().message.find("Name, Activated, Count"), std::string::npos);
    // Field names are exact: the column name is not an alias.
    EXPECT_TRUE(to_sql_condition(parsed("name='x'"), kFields).has_error());
}

TEST(SearchSql, RejectsValuesOfTheWrongType) {
    EXPECT_NE(to_sql_condition(parsed("Name=5"), kFields).error().message.find("quote the value"), std::string::npos);
    EXPECT_NE(to_sql_condition(parsed("Activated='yes'"), kFields).error().message.find("true or false"),
              std::string::npos);
    EXPECT_TRUE(to_sql_condition(parsed("Count='3'"), kFields).has_error());
    EXPECT_TRUE(to_sql_condition(parsed("Activated>false"), kFields).has_error());
    EXPECT_TRUE(to_sql_condition(parsed("Name<null"), kFields).has_error());
    EXPECT_TRUE(to_sql_condition(parsed("Activated=true"), kFields).has_value());
    EXPECT_TRUE(to_sql_condition(parsed("Count<2.5"), kFields).has_value());
}

}  // namespace
}  // namespace taxsync::emulator
