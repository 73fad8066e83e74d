#include "connectors/text_decoding.hpp"

#include <gtest/gtest.h>

namespace taxsync::connectors {
namespace {

TEST(TextDecoding, PlainUtf8IsTakenAsIs) {
    const auto decoded = decode_export_text("id,name\n1,Ren\xC3\xA9\n", EncodingChoice::Auto);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->encoding, "utf-8");
    EXPECT_EQ(decoded->text, "id,name\n1,Ren\xC3\xA9\n");
}

TEST(TextDecoding, Utf8IsUsedInPlaceAndOnlyOtherEncodingsAreConverted) {
    const std::string plain = "id,name\n1,Ren\xC3\xA9\n";
    const auto as_is = decode_export_text_in_place(plain, EncodingChoice::Auto);
    ASSERT_TRUE(as_is.has_value());
    EXPECT_TRUE(as_is->as_is);
    EXPECT_TRUE(as_is->converted.empty());
    EXPECT_EQ(as_is->text(plain).data(), plain.data()) << "no copy of text that already is UTF-8";

    const std::string with_bom = "\xEF\xBB\xBFid\n1,Ren\xC3\xA9\n";
    const auto past_bom = decode_export_text_in_place(with_bom, EncodingChoice::Auto);
    ASSERT_TRUE(past_bom.has_value());
    EXPECT_EQ(past_bom->encoding, "utf-8 with BOM");
    EXPECT_EQ(past_bom->text(with_bom), "id\n1,Ren\xC3\xA9\n");

    const std::string ansi = "id\n1,Ren\xE9\n";
    const auto converted = decode_export_text_in_place(ansi, EncodingChoice::Auto);
    ASSERT_TRUE(converted.has_value());
    EXPECT_FALSE(converted->as_is);
    EXPECT_EQ(converted->encoding, "windows-1252");
    EXPECT_EQ(converted->text(ansi), "id\n1,Ren\xC3\xA9\n");
}

TEST(TextDecoding, Utf8BomIsStrippedAndReported) {
    const auto decoded = decode_export_text(
        "\xEF\xBB\xBF"
        "Client ID,Email\n",
        EncodingChoice::Auto);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->encoding, "utf-8 with BOM");
    EXPECT_EQ(decoded->text, "Client ID,Email\n");
}

TEST(TextDecoding, InvalidUtf8IsWindows1252InAutoMode) {
    // 0xE9 is é and 0x92 the curly apostrophe in Windows-1252 (not a C1 control as in Latin-1).
    const auto decoded = decode_export_text(
        "1,Ren\xE9 O\x92"
        "Brien\n",
        EncodingChoice::Auto);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->encoding, "windows-1252");
    EXPECT_EQ(decoded->text,
              "1,Ren\xC3\xA9 O\xE2\x80\x99"
              "Brien\n");
}

TEST(TextDecoding, ForcedUtf8FailsNamingTheLine) {
    const auto decoded = decode_export_text("id,name\r\n1,ok\r\n2,Ren\xE9\r\n", EncodingChoice::Utf8);
    ASSERT_TRUE(decoded.has_error());
    EXPECT_EQ(decoded.error().line, 3U);
    EXPECT_NE(decoded.error().reason.find("line 3"), std::string::npos);
}

TEST(TextDecoding, ForcedWindows1252DecodesEvenValidUtf8Bytes) {
    const auto decoded = decode_export_text("Ren\xC3\xA9", EncodingChoice::Windows1252);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->encoding, "windows-1252");
    EXPECT_EQ(decoded->text, "Ren\xC3\x83\xC2\xA9");  // "RenÃ©": what the setting asked for
}

TEST(TextDecoding, Utf8BomWinsOverForcedWindows1252) {
    const auto decoded = decode_export_text("\xEF\xBB\xBFRen\xC3\xA9", EncodingChoice::Windows1252);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->encoding, "utf-8 with BOM");
    EXPECT_EQ(decoded->text, "Ren\xC3\xA9");
}

TEST(TextDecoding, BomFollowedByInvalidUtf8FailsTheFile) {
    const auto decoded = decode_export_text("\xEF\xBB\xBFid\n1,Ren\xE9\n", EncodingChoice::Auto);
    ASSERT_TRUE(decoded.has_error());
    EXPECT_EQ(decoded.error().line, 2U);
}

TEST(TextDecoding, RefusesWorkbooksAndBinaryFilesAsUnreadable) {
    const auto workbook = decode_export_text(std::string("PK\x03\x04rest", 8), EncodingChoice::Auto);
    ASSERT_TRUE(workbook.has_error());
    EXPECT_TRUE(workbook.error().unreadable);
    EXPECT_TRUE(
        decode_export_text(std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1xx", 10), EncodingChoice::Auto).has_error());
    const auto nul = decode_export_text(std::string("id\nx\0y\n", 7), EncodingChoice::Auto);
    ASSERT_TRUE(nul.has_error());
    EXPECT_EQ(nul.error().line, 2U);
    EXPECT_TRUE(nul.error().unreadable);
}

TEST(TextDecoding, Utf16WithEitherBomIsDecoded) {
    // "id\tRené\n" and a character outside the BMP (U+1F600) as a surrogate pair.
    const std::string little("\xFF\xFEi\0d\0\t\0R\0e\0n\0\xE9\0\n\0\x3D\xD8\x00\xDE", 22);
    const auto le = decode_export_text(little, EncodingChoice::Auto);
    ASSERT_TRUE(le.has_value()) << le.error().reason;
    EXPECT_EQ(le->encoding, "utf-16le");
    EXPECT_EQ(le->text, "id\tRen\xC3\xA9\n\xF0\x9F\x98\x80");
    const std::string big("\xFE\xFF\0i\0d\0\n\0\xE9", 10);
    const auto be = decode_export_text(big, EncodingChoice::Utf8);
    ASSERT_TRUE(be.has_value());
    EXPECT_EQ(be->encoding, "utf-16be");
    EXPECT_EQ(be->text, "id\n\xC3\xA9");
}

TEST(TextDecoding, BrokenUtf16IsUnreadableNamingTheLine) {
    const auto lone = decode_export_text(std::string("\xFF\xFEi\0\n\0\x00\xDC", 8), EncodingChoice::Auto);
    ASSERT_TRUE(lone.has_error());
    EXPECT_EQ(lone.error().line, 2U);
    EXPECT_TRUE(lone.error().unreadable);
    EXPECT_TRUE(decode_export_text(std::string("\xFF\xFEi\0d", 5), EncodingChoice::Auto).has_error());  // odd size
}

TEST(TextDecoding, FindsTheFirstInvalidLineAcrossLineEndings) {
    EXPECT_EQ(first_invalid_utf8_line("a\rb\r\nc\n\xFF"), 4U);
    EXPECT_EQ(first_invalid_utf8_line("all fine\n"), 0U);
}

TEST(TextDecoding, ParsesTheEncodingSetting) {
    EXPECT_EQ(parse_encoding_choice("auto").value(), EncodingChoice::Auto);
    EXPECT_EQ(parse_encoding_choice("UTF-8").value(), EncodingChoice::Utf8);
    EXPECT_EQ(parse_encoding_choice("cp1252").value(), EncodingChoice::Windows1252);
    EXPECT_EQ(parse_encoding_choice("Windows-1252").value(), EncodingChoice::Windows1252);
    const auto latin1 = parse_encoding_choice("latin1");
    ASSERT_TRUE(latin1.has_error());
    EXPECT_NE(latin1.error().message.find("latin1"), std::string::npos);
}

}  // namespace
}  // namespace taxsync::connectors
