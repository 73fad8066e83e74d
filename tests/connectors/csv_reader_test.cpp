#include "connectors/csv_reader.hpp"

#include <gtest/gtest.h>

namespace taxsync::connectors {
namespace {

using Fields = std::vector<std::string>;

CsvDocument parse_ok(std::string_view text, char delimiter = ',') {
    auto document = parse_csv(text, delimiter);
    EXPECT_TRUE(document.has_value()) << (document.has_error() ? document.error().reason : "");
    return document.has_value() ? std::move(document).value() : CsvDocument{};
}

TEST(CsvReader, QuotedFieldsKeepDelimitersDoubledQuotesAndLineBreaks) {
    const auto document = parse_ok("a,\"b,c\",\"say \"\"hi\"\"\",\"one\r\ntwo\",\"three\nfour\"\r\nx,y,z,w,v\r\n");
    ASSERT_EQ(document.records.size(), 2U);
    EXPECT_EQ(document.records[0].fields, (Fields{"a", "b,c", "say \"hi\"", "one\ntwo", "three\nfour"}));
    EXPECT_EQ(document.records[1].fields, (Fields{"x", "y", "z", "w", "v"}));
    EXPECT_TRUE(document.last_record_terminated);
}

TEST(CsvReader, EmptyFieldsAndEmptyQuotedFieldsAreKept) {
    const auto document = parse_ok("a,,\"\",\n");
    ASSERT_EQ(document.records.size(), 1U);
    EXPECT_EQ(document.records[0].fields, (Fields{"a", "", "", ""}));
}

TEST(CsvReader, RecordsRememberThePhysicalLineWhereTheyStart) {
    // Line 1: header. Line 2-4: one record with two embedded breaks (CRLF and LF). Line 5: blank.
    // Line 6: record ending with a bare CR. Line 7: record with an embedded bare CR, ending on line 8.
    const auto document = parse_ok("id,note\r\n1,\"a\r\nb\nc\"\r\n\r\n2,x\r3,\"p\rq\"\n");
    ASSERT_EQ(document.records.size(), 5U);
    EXPECT_EQ(document.records[0].line, 1U);
    EXPECT_EQ(document.records[1].line, 2U);
    EXPECT_EQ(document.records[1].fields[1], "a\nb\nc");
    EXPECT_EQ(document.records[2].line, 5U);
    EXPECT_TRUE(document.records[2].is_blank());
    EXPECT_EQ(document.records[3].line, 6U);
    EXPECT_EQ(document.records[3].fields, (Fields{"2", "x"}));
    EXPECT_EQ(document.records[4].line, 7U);
    EXPECT_EQ(document.records[4].fields, (Fields{"3", "p\nq"}));
}

TEST(CsvReader, FirstLineNumberCanBeShifted) {
    const auto document = parse_csv("a\nb\n", ',', 2);
    ASSERT_TRUE(document.has_value());
    EXPECT_EQ(document->records[0].line, 2U);
    EXPECT_EQ(document->records[1].line, 3U);
}

TEST(CsvReader, TextEndingInsideQuotesIsTruncatedAtTheLineTheQuoteOpened) {
    const auto document = parse_csv("id,note\n1,ok\n2,\"started\nbut never\n", ',');
    ASSERT_TRUE(document.has_error());
    EXPECT_EQ(document.error().line, 3U);
    EXPECT_NE(document.error().reason.find("truncated"), std::string::npos);
}

TEST(CsvReader, ClosedQuoteAtTheVeryEndIsNotTruncated) {
    const auto document = parse_ok("id,note\n1,\"done\"");
    ASSERT_EQ(document.records.size(), 2U);
    EXPECT_EQ(document.records[1].fields, (Fields{"1", "done"}));
    EXPECT_FALSE(document.last_record_terminated);
}

TEST(CsvReader, MissingFinalLineBreakIsFlagged) {
    EXPECT_FALSE(parse_ok("a,b\n1,2").last_record_terminated);
    EXPECT_TRUE(parse_ok("a,b\n1,2\n").last_record_terminated);
    EXPECT_TRUE(parse_ok("a,b\r\n1,2\r\n").last_record_terminated);
}

TEST(CsvReader, StrayQuotesInUnquotedFieldsAreKeptAsText) {
    const auto document = parse_ok("5'10\" tall,\"quoted\"tail\n");
    EXPECT_EQ(document.records[0].fields, (Fields{"5'10\" tall", "quotedtail"}));
}

TEST(CsvReader, BlankRecordsAreRecognized) {
    const auto document = parse_ok("a,b\n,\n , \n\n1,\n");
    ASSERT_EQ(document.records.size(), 5U);
    EXPECT_FALSE(document.records[0].is_blank());
    EXPECT_TRUE(document.records[1].is_blank());
    EXPECT_TRUE(document.records[2].is_blank());
    EXPECT_TRUE(document.records[3].is_blank());
    EXPECT_FALSE(document.records[4].is_blank());
}

TEST(CsvReader, SniffsTheDelimiterFromTheHeaderLineOnly) {
    EXPECT_EQ(sniff_delimiter("a;b;c\n1,2,3,4,5,6\n"), ';');
    EXPECT_EQ(sniff_delimiter("a\tb\tc\n"), '\t');
    EXPECT_EQ(sniff_delimiter("a,b,c\n"), ',');
    EXPECT_EQ(sniff_delimiter("\"x;y;z\",b\n"), ',');  // delimiters inside quotes do not count
    EXPECT_EQ(sniff_delimiter("a;b,c\n"), ',');        // a tie goes to the comma
    EXPECT_EQ(sniff_delimiter("single\n"), ',');
}

TEST(CsvReader, ReadsSemicolonAndTabFiles) {
    const auto semicolon = read_csv("id;name\n1;\"Smith; John\"\n");
    ASSERT_TRUE(semicolon.has_value());
    EXPECT_EQ(semicolon->delimiter, ';');
    EXPECT_EQ(semicolon->records[1].fields, (Fields{"1", "Smith; John"}));

    const auto tab = read_csv("id\tname\n1\tSmith, John\n");
    ASSERT_TRUE(tab.has_value());
    EXPECT_EQ(tab->delimiter, '\t');
    EXPECT_EQ(tab->records[1].fields, (Fields{"1", "Smith, John"}));
}

TEST(CsvReader, ExcelSepLineIsHonouredAndSkipped) {
    // The header would sniff as comma; the sep= line says semicolon and wins.
    const auto document = read_csv("sep=;\r\nid;name,suffix\r\n1;Smith, Jr.\r\n");
    ASSERT_TRUE(document.has_value());
    EXPECT_EQ(document->delimiter, ';');
    ASSERT_EQ(document->records.size(), 2U);
    EXPECT_EQ(document->records[0].line, 2U);
    EXPECT_EQ(document->records[0].fields, (Fields{"id", "name,suffix"}));
    EXPECT_EQ(document->records[1].line, 3U);
}

TEST(CsvReader, RecognizesSepDirectives) {
    EXPECT_EQ(excel_separator_directive("sep=;"), ';');
    EXPECT_EQ(excel_separator_directive("SEP=,"), ',');
    EXPECT_EQ(excel_separator_directive("\"sep=;\""), ';');
    EXPECT_EQ(excel_separator_directive("sep=\t"), '\t');
    EXPECT_FALSE(excel_separator_directive("sep=;;").has_value());
    EXPECT_FALSE(excel_separator_directive("separator,name").has_value());
}

}  // namespace
}  // namespace taxsync::connectors
