// Whole files through the registry-built connectors: encodings, delimiters, truncation, several
// files, and the factory's checks.

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "core/digest.hpp"
#include "core/redact.hpp"
#include "tests/connectors/connector_fixture.hpp"

namespace taxsync::connectors {
namespace {

using testing::ConnectorFixture;
using testing::find_client;
using testing::problems_mentioning;
using testing::set_modified;
using namespace std::chrono_literals;

class Files : public ConnectorFixture {};
class Registry : public ConnectorFixture {};

constexpr std::string_view kGood = "Client ID,First Name,Last Name,Email\n1001,Ann,Lee,ann@example.com\n";

TEST_F(Registry, ListsTheBuiltinTypes) {
    std::vector<std::string> names;
    for (const ConnectorType* type : registry_.list()) {
        names.push_back(type->name);
        EXPECT_FALSE(type->description.empty());
    }
    EXPECT_EQ(names, (std::vector<std::string>{"cch-axcess", "drake", "exec", "generic-csv", "lacerte", "mef-xml", "proseries",
                                               "smartvault-csv", "taxact", "ultratax"}));
    EXPECT_NE(registry_.find("lacerte"), nullptr);
    EXPECT_EQ(registry_.find("atx"), nullptr);
}

TEST_F(Registry, RegisteringATypeTwiceIsAProgrammingError) {
    EXPECT_THROW(register_builtin_connectors(registry_), std::logic_error);
}

TEST_F(Registry, BuiltConnectorsReportTheirNameAndType) {
    const auto connector = make(settings("proseries"));
    ASSERT_NE(connector, nullptr);
    EXPECT_EQ(connector->name().value(), "test-proseries");
    EXPECT_EQ(connector->type(), "proseries");
}

TEST_F(Registry, RefusesUnknownTypes) {
    auto settings = this->settings("atx");
    const auto connector = registry_.create(settings, ConnectorServices{clock_, hasher_, log_});
    ASSERT_TRUE(connector.has_error());
    EXPECT_EQ(connector.error().kind, ErrorKind::InvalidInput);
    EXPECT_NE(connector.error().message.find("'atx'"), std::string::npos);
    EXPECT_NE(connector.error().message.find("generic-csv, lacerte, mef-xml, proseries"), std::string::npos);
}

TEST_F(Registry, RefusesBadSettingsWithClearMessages) {
    const ConnectorServices services{clock_, hasher_, log_};
    auto unknown_field = settings("lacerte");
    unknown_field.columns = {{"email_address", "E-mail"}};
    const auto a = registry_.create(unknown_field, services);
    ASSERT_TRUE(a.has_error());
    EXPECT_NE(a.error().message.find("test-lacerte"), std::string::npos);
    EXPECT_NE(a.error().message.find("unknown field 'email_address'"), std::string::npos);

    auto no_folder = settings("generic-csv");
    no_folder.folder.clear();
    const auto b = registry_.create(no_folder, services);
    ASSERT_TRUE(b.has_error());
    EXPECT_NE(b.error().message.find("folder is empty"), std::string::npos);

    auto bad_encoding = settings("proseries");
    bad_encoding.encoding = "latin1";
    EXPECT_TRUE(registry_.create(bad_encoding, services).has_error());

    auto negative_settle = settings("proseries");
    negative_settle.settle = std::chrono::seconds(-1);
    EXPECT_TRUE(registry_.create(negative_settle, services).has_error());
}

TEST_F(Registry, ScanOfAMissingFolderIsAnError) {
    auto settings = this->settings("lacerte");
    settings.folder = dir_.path() / "exports-not-there";
    const auto connector = make(settings);
    ASSERT_NE(connector, nullptr);
    const auto state = connector->scan();
    ASSERT_TRUE(state.has_error());
    EXPECT_NE(state.error().message.find("exports-not-there"), std::string::npos);
}

TEST_F(Files, ScanUsesPatternsAndSettleTime) {
    auto settings = this->settings("proseries");
    settings.patterns = {"homebase-*.csv"};
    settings.settle = 5s;
    write("homebase-2025.csv", kGood, 1h);
    write("homebase-2026.csv", kGood, 2s);
    write("other.csv", kGood, 1h);
    const auto connector = make(settings);
    ASSERT_NE(connector, nullptr);
    auto state = connector->scan();
    ASSERT_TRUE(state.has_value());
    ASSERT_EQ(state->ready.size(), 1U);
    EXPECT_EQ(state->ready[0].path.filename(), "homebase-2025.csv");
    ASSERT_EQ(state->waiting.size(), 1U);
    const std::string before = state->fingerprint;

    clock_.advance(3s);
    state = connector->scan();
    ASSERT_TRUE(state.has_value());
    EXPECT_EQ(state->ready.size(), 2U);
    EXPECT_NE(state->fingerprint, before);
}

TEST_F(Files, OutcomeDescribesEachFile) {
    const auto path = write("clients.csv", kGood);
    const Batch batch = read_all("proseries");
    ASSERT_EQ(batch.files.size(), 1U);
    const FileOutcome& outcome = batch.files[0];
    EXPECT_EQ(outcome.path, path);
    EXPECT_EQ(outcome.content_hash, sha256_hex(kGood));
    EXPECT_EQ(outcome.encoding, "utf-8");
    EXPECT_EQ(outcome.rows, 1U);
    EXPECT_EQ(outcome.imported, 1U);
    EXPECT_FALSE(outcome.failed);
    EXPECT_EQ(batch.clients[0].source.file, path.string());
}

TEST_F(Files, BomBeforeTheFirstHeaderDoesNotHideIt) {
    write("clients.csv", "\xEF\xBB\xBF" + std::string(kGood));
    const Batch batch = read_all("proseries");
    ASSERT_EQ(batch.clients.size(), 1U);
    EXPECT_EQ(batch.clients[0].id.value(), "1001");
    EXPECT_EQ(batch.files[0].encoding, "utf-8 with BOM");
    EXPECT_TRUE(batch.problems.empty());
}

TEST_F(Files, Windows1252FilesAreDetectedAndDecoded) {
    write("clients.csv",
          "Client ID,First Name,Last Name\r\n1001,Ren\xE9"
          "e,D\x92"
          "Angelo\r\n");
    const Batch batch = read_all("proseries");
    ASSERT_EQ(batch.clients.size(), 1U);
    EXPECT_EQ(batch.files[0].encoding, "windows-1252");
    EXPECT_EQ(batch.clients[0].people[0].first_name,
              "Ren\xC3\xA9"
              "e");
    EXPECT_EQ(batch.clients[0].people[0].last_name,
              "D\xE2\x80\x99"
              "Angelo");
}

TEST_F(Files, ForcedUtf8RefusesAWindows1252FileNamingTheLine) {
    auto settings = this->settings("proseries");
    settings.encoding = "utf-8";
    write("clients.csv", "Client ID,Last Name\r\n1001,Lee\r\n1002,Ren\xE9\r\n");
    const Batch batch = read_all(settings);
    EXPECT_TRUE(batch.clients.empty());
    EXPECT_FALSE(batch.complete);
    ASSERT_EQ(batch.problems.size(), 1U);
    EXPECT_EQ(batch.problems[0].line, 3U);
    EXPECT_TRUE(batch.files[0].failed);
}

TEST_F(Files, ForcedWindows1252ReadsAnsiEvenWhereItWouldPassAsUtf8) {
    auto settings = this->settings("proseries");
    settings.encoding = "windows-1252";
    write("clients.csv", "Client ID,Last Name\n1001,\xC3\xA9t\xC3\xA9\n");  // "Ã©tÃ©" in Windows-1252
    const Batch batch = read_all(settings);
    ASSERT_EQ(batch.clients.size(), 1U);
    EXPECT_EQ(batch.files[0].encoding, "windows-1252");
    EXPECT_EQ(batch.clients[0].people[0].last_name, "\xC3\x83\xC2\xA9t\xC3\x83\xC2\xA9");
}

TEST_F(Files, SemicolonFilesWithAnExcelSepLine) {
    write("clients.csv",
          "sep=;\r\nClient ID;Client Name;Email\r\n1001;\"Smith, John & Jane\";js@example.com\r\n"
          "1.2E+07;Broken;\r\n");
    const Batch batch = read_all("proseries");
    ASSERT_EQ(batch.clients.size(), 1U);
    EXPECT_EQ(batch.clients[0].people.size(), 2U);
    EXPECT_EQ(batch.clients[0].source.line, 3U);
    ASSERT_EQ(batch.problems.size(), 1U);
    EXPECT_EQ(batch.problems[0].line, 4U);  // physical line, counting the sep= line
}

TEST_F(Files, SemicolonAndTabFilesWithoutSepLine) {
    write("a.csv", "Client ID;Last Name;Email\n1001;Lee;lee@example.com\n", 2h);
    write("b.txt", "Client ID\tLast Name\tEmail\n1002\tKim\tkim@example.com\n", 1h);
    auto settings = this->settings("proseries");
    settings.patterns = {"*.csv", "*.txt"};
    const Batch batch = read_all(settings);
    ASSERT_EQ(batch.clients.size(), 2U);
    EXPECT_EQ(find_client(batch, "1001")->people[0].email, "lee@example.com");
    EXPECT_EQ(find_client(batch, "1002")->people[0].email, "kim@example.com");
}

TEST_F(Files, QuotedMultiLineValuesKeepTheRightLineNumbers) {
    write("clients.csv",
          "Client ID,Last Name,Street Address,Email\r\n"
          "1001,Lee,\"12 Oak St\r\nApt 4, Rear\",lee@example.com\r\n"
          "1002,Kim,\"9 Elm St\nSuite \"\"B\"\"\",bad-email\r\n");
    const Batch batch = read_all("proseries");
    ASSERT_EQ(batch.clients.size(), 2U);
    EXPECT_EQ(find_client(batch, "1001")->source.line, 2U);
    EXPECT_EQ(find_client(batch, "1002")->source.line, 4U);
    const auto invalid = problems_mentioning(batch, "bad-email");
    ASSERT_EQ(invalid.size(), 1U);
    EXPECT_EQ(invalid[0].line, 4U);
}

TEST_F(Files, FileEndingInsideAQuoteFailsWholeWhileOthersGoThrough) {
    write("good.csv", kGood, 2h);
    write("cut.csv", "Client ID,Last Name,Street Address\n2001,Ames,\"1 Oak St\n2002,Berg,2 Elm St\n", 1h);
    const Batch batch = read_all("proseries");
    EXPECT_FALSE(batch.complete);
    ASSERT_EQ(batch.clients.size(), 1U);  // nothing from cut.csv, not even 2001
    EXPECT_EQ(batch.clients[0].id.value(), "1001");
    ASSERT_EQ(batch.files.size(), 2U);
    EXPECT_FALSE(batch.files[0].failed);
    EXPECT_TRUE(batch.files[1].failed);
    EXPECT_EQ(batch.files[1].imported, 0U);
    ASSERT_EQ(batch.problems.size(), 1U);
    EXPECT_NE(batch.problems[0].file.find("cut.csv"), std::string::npos);
    EXPECT_EQ(batch.problems[0].line, 2U);
    EXPECT_EQ(batch.problems[0].severity, Severity::Error);
}

TEST_F(Files, ShortLastLineWithoutLineBreakFailsWhole) {
    write("cut.csv", "Client ID,First Name,Last Name,Email\n2001,Ann,Lee,ann@example.com\n2002,Bo,K");
    const Batch batch = read_all("proseries");
    EXPECT_FALSE(batch.complete);
    EXPECT_TRUE(batch.clients.empty());
    ASSERT_EQ(batch.problems.size(), 1U);
    EXPECT_EQ(batch.problems[0].line, 3U);
    EXPECT_NE(batch.problems[0].reason.find("truncated"), std::string::npos);
}

TEST_F(Files, CompleteLastLineWithoutLineBreakIsFine) {
    write("clients.csv", "Client ID,First Name,Last Name,Email\n2001,Ann,Lee,ann@example.com\n2002,Bo,Kim,");
    const Batch batch = read_all("proseries");
    EXPECT_TRUE(batch.complete);
    EXPECT_EQ(batch.clients.size(), 2U);
}

TEST_F(Files, EmptyFileFails) {
    write("clients.csv", "");
    const Batch batch = read_all("proseries");
    EXPECT_FALSE(batch.complete);
    ASSERT_EQ(batch.problems.size(), 1U);
    EXPECT_NE(batch.problems[0].reason.find("empty"), std::string::npos);
}

TEST_F(Files, HeaderOnlyFileHasNoClientsAndIsComplete) {
    write("clients.csv", "Client ID,Last Name\n");
    const Batch batch = read_all("proseries");
    EXPECT_TRUE(batch.complete);
    EXPECT_TRUE(batch.clients.empty());
    EXPECT_TRUE(batch.problems.empty());
}

TEST_F(Files, FileChangedAfterTheScanIsNotRead) {
    const auto path = write("clients.csv", kGood);
    const auto connector = make(settings("proseries"));
    ASSERT_NE(connector, nullptr);
    const auto state = connector->scan();
    ASSERT_TRUE(state.has_value());
    dir_.write("clients.csv", std::string(kGood) + "1002,Bo,Kim,bo@example.com\n");
    set_modified(path, clock_.now() - 1h);
    const Batch batch = connector->read(*state);
    EXPECT_FALSE(batch.complete);
    EXPECT_TRUE(batch.clients.empty());
    ASSERT_EQ(batch.problems.size(), 1U);
    EXPECT_NE(batch.problems[0].reason.find("changed since it was scanned"), std::string::npos);
}

TEST_F(Files, NewestFileWinsAndTheOlderRowIsReported) {
    write("older.csv", "Client ID,Last Name,Email\n1001,Lee,old@example.com\n1002,Kim,kim@example.com\n", 2h);
    write("newer.csv", "Client ID,Last Name,Email\n1003,Park,park@example.com\n1001,Lee,new@example.com\n", 1h);
    const Batch batch = read_all("proseries");
    EXPECT_TRUE(batch.complete);
    ASSERT_EQ(batch.clients.size(), 3U);
    const TaxClient* lee = find_client(batch, "1001");
    ASSERT_NE(lee, nullptr);
    EXPECT_EQ(lee->people[0].email, "new@example.com");
    EXPECT_NE(lee->source.file.find("newer.csv"), std::string::npos);
    EXPECT_EQ(lee->source.line, 3U);

    ASSERT_EQ(batch.problems.size(), 1U);
    const Problem& superseded = batch.problems[0];
    EXPECT_EQ(superseded.severity, Severity::Warning);
    EXPECT_NE(superseded.file.find("older.csv"), std::string::npos);
    EXPECT_EQ(superseded.line, 2U);
    EXPECT_NE(superseded.reason.find("newer.csv"), std::string::npos);

    ASSERT_EQ(batch.files.size(), 2U);
    EXPECT_NE(batch.files[0].path.string().find("older.csv"), std::string::npos);
    EXPECT_EQ(batch.files[0].rows, 2U);
    EXPECT_EQ(batch.files[0].imported, 1U);  // its 1001 was replaced
    EXPECT_EQ(batch.files[1].imported, 2U);
}

TEST_F(Files, LogsEachFileWithoutTaxIds) {
    auto text = std::make_shared<std::string>();
    log_ = Logger::to_string(text, std::make_shared<Redactor>());
    write("good.csv", "Client ID,Last Name,SSN\n1001,Lee,900-41-7001\n", 2h);
    write("cut.csv", "Client ID,Last Name\n1002,\"Kim\n", 1h);
    const Batch batch = read_all("proseries");
    EXPECT_EQ(batch.clients.size(), 1U);
    EXPECT_NE(text->find("good.csv (utf-8): 1 rows, 1 clients"), std::string::npos) << *text;
    EXPECT_NE(text->find("cut.csv not taken"), std::string::npos) << *text;
    EXPECT_EQ(text->find("900-41-7001"), std::string::npos);
    EXPECT_EQ(text->find("900417001"), std::string::npos);
}

TEST_F(Files, NewestWinsEvenWhenTheStateListsFilesOutOfOrder) {
    write("older.csv", "Client ID,Last Name\n1001,Old\n", 2h);
    write("newer.csv", "Client ID,Last Name\n1001,New\n", 1h);
    const auto connector = make(settings("proseries"));
    ASSERT_NE(connector, nullptr);
    auto state = connector->scan();
    ASSERT_TRUE(state.has_value());
    std::reverse(state->ready.begin(), state->ready.end());
    const Batch batch = connector->read(*state);
    ASSERT_EQ(batch.clients.size(), 1U);
    EXPECT_EQ(batch.clients[0].people[0].last_name, "New");
}

/// Writes down what a read hands over, in order: "begin <file>", "<client id> <last name>", "end taken|undone".
class RecordingSink final : public ClientSink {
public:
    void begin_file(const std::filesystem::path& file) override {
        events.push_back("begin " + file.filename().string());
    }
    void accept(const TaxClient& client) override {
        events.push_back(client.id.value() + " " + (client.people.empty() ? "" : client.people[0].last_name));
    }
    void end_file(bool taken) override { events.emplace_back(taken ? "end taken" : "end undone"); }

    std::vector<std::string> events;
};

TEST_F(Files, StreamsClientsFileByFileOldestFirstAndMarksACutFileUndone) {
    write("older.csv", "Client ID,Last Name\n1001,Lee\n1002,Kim\n", 2h);
    write("newer.csv", "Client ID,Last Name,Email\n1003,Park,park@example.com\n1001,Ch", 1h);
    const auto connector = make(settings("proseries"));
    ASSERT_NE(connector, nullptr);
    const auto state = connector->scan();
    ASSERT_TRUE(state.has_value());
    RecordingSink sink;
    const ReadSummary read = connector->stream(*state, sink);
    // The cut row is converted before the cut is found: the sink is told to forget the whole file.
    EXPECT_EQ(sink.events, (std::vector<std::string>{"begin older.csv", "1001 Lee", "1002 Kim", "end taken",
                                                     "begin newer.csv", "1003 Park", "1001 Ch", "end undone"}));
    EXPECT_FALSE(read.complete);
    ASSERT_EQ(read.files.size(), 2U);
    EXPECT_EQ(read.files[0].imported, 2U) << "an undone file replaces no older row";
    EXPECT_TRUE(read.files[1].failed);
    EXPECT_TRUE(std::none_of(read.problems.begin(), read.problems.end(), [](const Problem& problem) {
        return problem.reason.find("newer file") != std::string::npos;
    }));
}

TEST_F(Files, ACutNewerFileLeavesTheOlderRowsInTheBatch) {
    write("older.csv", "Client ID,Last Name\n1001,Lee\n", 2h);
    write("newer.csv", "Client ID,Last Name,Email\n1001,Cho,cho@example.com\n1004,It", 1h);
    const Batch batch = read_all("proseries");
    EXPECT_FALSE(batch.complete);
    ASSERT_EQ(batch.clients.size(), 1U);
    EXPECT_EQ(batch.clients[0].people[0].last_name, "Lee");
}

}  // namespace
}  // namespace taxsync::connectors
