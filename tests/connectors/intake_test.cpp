// Intake of real-world damage: UTF-16 files, workbooks, Excel's lost zeros, rows that contradict
// themselves, and quarantine of files that can never be read.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "connectors/xlsx_reader.hpp"
#include "tests/connectors/connector_fixture.hpp"
#include "tests/connectors/xlsx_builder.hpp"

namespace taxsync::connectors {
namespace {

using testing::ConnectorFixture;
using testing::find_client;
using testing::problems_mentioning;
using testing::XlsxCell;
using testing::XlsxSheet;

namespace fs = std::filesystem;

class Intake : public ConnectorFixture {};

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string utf16le_with_bom(std::string_view ascii) {
    std::string out("\xFF\xFE", 2);
    for (const char c : ascii) {
        out.push_back(c);
        out.push_back('\0');
    }
    return out;
}

TEST_F(Intake, Utf16UnicodeTextIsRead) {
    write("unicode.txt.csv", utf16le_with_bom("Client ID\tFirst Name\tLast Name\r\n1001\tAnn\tLee\r\n"));
    const Batch batch = read_all("proseries");
    ASSERT_EQ(batch.clients.size(), 1U);
    EXPECT_EQ(batch.files[0].encoding, "utf-16le");
    EXPECT_EQ(batch.clients[0].people[0].last_name, "Lee");
}

TEST_F(Intake, BinaryFileIsQuarantinedWithItsReasonBeside) {
    write("good.csv", "Client ID,Last Name\n1001,Lee\n");
    write("broken.csv", std::string("Client ID,Last Name\n1002,Ki\0m\n", 29));
    const Batch batch = read_all("proseries");
    EXPECT_EQ(batch.clients.size(), 1U);
    EXPECT_FALSE(batch.complete);
    const fs::path moved = dir_.path() / "quarantine" / "broken.csv";
    EXPECT_FALSE(fs::exists(dir_.path() / "broken.csv"));
    ASSERT_TRUE(fs::exists(moved));
    const std::string note = slurp(moved.string() + ".error.txt");
    EXPECT_NE(note.find("line: 2"), std::string::npos) << note;
    EXPECT_NE(note.find("NUL bytes"), std::string::npos) << note;
    EXPECT_NE(note.find("connector: test-proseries"), std::string::npos) << note;
    const auto problem = problems_mentioning(batch, "moved to");
    ASSERT_EQ(problem.size(), 1U);
    EXPECT_EQ(problem[0].line, 2U);
    const auto failed =
        std::find_if(batch.files.begin(), batch.files.end(), [](const FileOutcome& f) { return f.failed; });
    ASSERT_NE(failed, batch.files.end());
    EXPECT_EQ(failed->quarantined_to, moved);
}

TEST_F(Intake, QuarantineFolderIsConfigurableAndNamesNeverCollide) {
    taxsync::testing::TempDir elsewhere;
    auto settings = this->settings("generic-csv");
    settings.quarantine = elsewhere.path() / "held";
    write("clients.csv", "no,id,column\n1,2,3\n");
    read_all(settings);
    write("clients.csv", "still,no,id\n1,2,3\n");
    read_all(settings);
    EXPECT_TRUE(fs::exists(elsewhere.path() / "held" / "clients.csv"));
    EXPECT_TRUE(fs::exists(elsewhere.path() / "held" / "clients.1.csv"));
    EXPECT_NE(slurp(elsewhere.path() / "held" / "clients.1.csv.error.txt").find("no client id column"),
              std::string::npos);
}

TEST_F(Intake, ReadOnlyLooksNeverMoveAFile) {
    auto settings = this->settings("proseries");
    settings.move_unreadable = false;
    write("broken.csv", std::string("\0\0\0", 3));
    const Batch batch = read_all(settings);
    EXPECT_TRUE(batch.files[0].failed);
    EXPECT_TRUE(fs::exists(dir_.path() / "broken.csv"));
    EXPECT_FALSE(fs::exists(dir_.path() / "quarantine"));
}

TEST_F(Intake, FilesStillBeingWrittenAreRetriedNotQuarantined) {
    write("open-quote.csv", "Client ID,Last Name\n1001,\"Lee\n");
    write("short-last.csv", "Client ID,First Name,Last Name\n1001,Ann,Lee\n1002,Bo");
    const Batch batch = read_all("proseries");
    EXPECT_TRUE(batch.clients.empty());
    EXPECT_FALSE(batch.complete);
    EXPECT_TRUE(fs::exists(dir_.path() / "open-quote.csv"));
    EXPECT_TRUE(fs::exists(dir_.path() / "short-last.csv"));
    EXPECT_FALSE(fs::exists(dir_.path() / "quarantine"));
}

TEST_F(Intake, NumericIdsShorterThanTheKnownWidthLostTheirZeros) {
    auto settings = this->settings("lacerte");
    settings.id_width = 5;
    write("clients.csv", "Client Number,Last Name,SSN\n00417,Berg,\n417,Berg,\nA17,Cho,\n00418,Diaz,1.23457E+08\n");
    const Batch batch = read_all(settings);
    EXPECT_NE(find_client(batch, "00417"), nullptr);
    EXPECT_EQ(find_client(batch, "417"), nullptr);
    EXPECT_NE(find_client(batch, "A17"), nullptr);  // not numeric: no width applies
    const auto lost = problems_mentioning(batch, "dropped its leading zeros");
    ASSERT_EQ(lost.size(), 1U);
    EXPECT_EQ(lost[0].line, 3U);
    EXPECT_EQ(lost[0].severity, Severity::Error);
    // A tax id in scientific notation is never a match key.
    const TaxClient* diaz = find_client(batch, "00418");
    ASSERT_NE(diaz, nullptr);
    EXPECT_FALSE(diaz->people[0].tax_id.has_value());
    EXPECT_EQ(problems_mentioning(batch, "scientific notation").size(), 1U);
}

TEST_F(Intake, MaskedTaxIdsAreNeverAMatchKey) {
    write("clients.csv", "Client ID,Last Name,SSN,Spouse First Name,Spouse SSN\n1,Lee,XXX-XX-1234,Bo,***-**-5678\n");
    const Batch batch = read_all("proseries");
    ASSERT_EQ(batch.clients.size(), 1U);
    for (const Person& person : batch.clients[0].people) EXPECT_FALSE(person.tax_id.has_value());
    EXPECT_EQ(problems_mentioning(batch, "masked").size(), 2U);
}

TEST_F(Intake, RowsThatContradictThemselvesAreReportedAndImported) {
    write("clients.csv",
          "Client ID,First Name,Last Name,Email,Spouse First Name,Spouse Last Name,Spouse Email,SSN,Spouse SSN,"
          "Filing Status\n"
          "1,Ann,Lee,ann@example.com,,,,,,MFJ\n"
          "2,Bo,Kim,bo@example.com,Cy,Park,bo@example.com,,,2\n"
          "3,Di,Roe,,Ed,Roe,,900-41-7001,900-41-7001,Married Filing Jointly\n"
          "4,Fa,Ng,,Gu,Ng,,,,Single\n"
          "5,Hu,Li,hu@example.com,Hu,Li,hu@example.com,,,MFJ\n"
          "6,Ix,Wu,ix@example.com,Jo,Wu,ix@example.com,,,MFJ\n");
    const Batch batch = read_all("proseries");
    EXPECT_EQ(batch.clients.size(), 6U);
    const auto line_of = [&](std::string_view text) {
        const auto found = problems_mentioning(batch, text);
        return found.size() == 1 ? found[0].line : 0;
    };
    EXPECT_EQ(line_of("names no spouse"), 2U);
    EXPECT_EQ(line_of("under different last names"), 3U);
    EXPECT_EQ(line_of("same tax id (ending 7001)"), 4U);
    EXPECT_EQ(line_of("is single, but"), 5U);
    EXPECT_EQ(line_of("repeat the taxpayer"), 6U);
    for (const Problem& problem : batch.problems) {
        EXPECT_EQ(problem.severity, Severity::Warning);
        EXPECT_EQ(problem.reason.find("900-41-7001"), std::string::npos);
        EXPECT_NE(problem.line, 7U) << problem.reason;  // a shared email within one family is normal
    }
}

TEST_F(Intake, WorkbooksAreReadByEveryTabularPreset) {
    XlsxSheet sheet;
    sheet.rows[1] = {{"Client ID"}, {"First Name"}, {"Last Name"}, {"Email"}, {"SSN"}};
    sheet.rows[2] = {{"00417"}, {"Ann", XlsxCell::Kind::Inline}, {"Lee"}, {"ann@example.com"}, {"900-41-7001"}};
    sheet.rows[3] = {{"1.23456789012346E+17", XlsxCell::Kind::Number}, {"Bo"}, {"Kim"}, {}, {}};
    sheet.rows[5] = {{"42", XlsxCell::Kind::Number}, {"Cy"}, {"Park"}, {}, {"12345678", XlsxCell::Kind::Number}};
    write("clients.xlsx", testing::build_xlsx({sheet}));
    auto settings = this->settings("ultratax");
    settings.patterns = {"*.xlsx"};
    const Batch batch = read_all(settings);
    ASSERT_EQ(batch.files.size(), 1U);
    EXPECT_EQ(batch.files[0].encoding, "xlsx");
    ASSERT_EQ(batch.clients.size(), 2U);
    const TaxClient* ann = find_client(batch, "00417");
    ASSERT_NE(ann, nullptr);
    EXPECT_EQ(ann->people[0].first_name, "Ann");
    ASSERT_TRUE(ann->people[0].tax_id.has_value());
    const auto lost_digits = problems_mentioning(batch, "scientific notation");
    ASSERT_EQ(lost_digits.size(), 1U);
    EXPECT_EQ(lost_digits[0].line, 3U);
    const TaxClient* cy = find_client(batch, "42");
    ASSERT_NE(cy, nullptr);
    EXPECT_EQ(cy->source.line, 5U);  // the row number in the sheet
    EXPECT_FALSE(cy->people[0].tax_id.has_value());
    EXPECT_EQ(problems_mentioning(batch, "8 digits, not 9").size(), 1U);
}

TEST_F(Intake, AConfiguredSheetIsChosenByName) {
    const std::string workbook =
        testing::build_xlsx({testing::text_sheet({{"Notes"}, {"ignore me"}}, "Notes"),
                             testing::text_sheet({{"Client ID", "Last Name"}, {"7", "Lee"}}, "Clients")});
    auto first = read_xlsx(workbook);
    ASSERT_TRUE(first.has_value()) << first.error().reason;
    EXPECT_EQ(first->records[0].fields[0], "Notes");
    auto named = read_xlsx(workbook, "Clients");
    ASSERT_TRUE(named.has_value());
    EXPECT_EQ(named->records[1].fields, (std::vector<std::string>{"7", "Lee"}));
    auto missing = read_xlsx(workbook, "Other");
    ASSERT_TRUE(missing.has_error());
    EXPECT_TRUE(missing.error().unreadable);
    EXPECT_NE(missing.error().reason.find("'Notes', 'Clients'"), std::string::npos);
}

TEST_F(Intake, DamagedWorkbookIsQuarantined) {
    std::string workbook = testing::build_xlsx({testing::text_sheet({{"Client ID"}, {"1"}})});
    workbook.resize(workbook.size() / 2);
    write("clients.xlsx", workbook);
    auto settings = this->settings("proseries");
    settings.patterns = {"*.xlsx"};
    const Batch batch = read_all(settings);
    EXPECT_TRUE(batch.files[0].failed);
    EXPECT_TRUE(fs::exists(dir_.path() / "quarantine" / "clients.xlsx.error.txt"));
}

TEST_F(Intake, TempAndLockFilesAreNeverRead) {
    write("~$clients.xlsx", "owner file");
    write("clients.csv.tmp", "x");
    write("HOMEBASE.LCK", "x");
    auto settings = this->settings("proseries");
    settings.patterns = {"*"};
    auto connector = make(settings);
    const auto state = connector->scan();
    ASSERT_TRUE(state.has_value());
    EXPECT_TRUE(state->ready.empty());
    EXPECT_TRUE(state->waiting.empty());
}

}  // namespace
}  // namespace taxsync::connectors
