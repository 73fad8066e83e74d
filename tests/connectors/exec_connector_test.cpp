// The exec connector with real programs (/bin/sh scripts written by the test): JSON lines through
// the row checks, and failures, timeouts and garbage reported without taking anything down.

#include "connectors/exec_connector.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/connectors/connector_fixture.hpp"

namespace taxsync::connectors {
namespace {

using testing::ConnectorFixture;
using testing::find_client;
using testing::problems_mentioning;

class Exec : public ConnectorFixture {
protected:
    /// Settings running `script` (a /bin/sh body) from the temp folder.
    ConnectorSettings script(const std::string& body, std::chrono::seconds timeout = std::chrono::seconds(10)) {
        const auto path = dir_.write("export.sh", "#!/bin/sh\n" + body + "\n");
        ::chmod(path.c_str(), 0700);
        auto settings = this->settings("exec");
        settings.command = {"/bin/sh", path.string()};
        settings.timeout = timeout;
        return settings;
    }
};

TEST(JsonLines, ObjectsBecomeRecordsAndBadLinesAreSkipped) {
    const auto lines = parse_json_lines(
        "{\"client_id\":\"001\",\"email\":\"a@example.com\",\"nickname\":\"x\"}\n"
        "\n"
        "not json\n"
        "{\"client_id\":17}\n"
        "{\"client_id\":\"002\",\"spouse_first_name\":null}\n",
        "prog (stdout)");
    ASSERT_EQ(lines.document.records.size(), 3U);  // the header and two clients
    EXPECT_EQ(lines.document.records[1].line, 1U);
    EXPECT_EQ(lines.document.records[1].fields[0], "001");
    EXPECT_EQ(lines.document.records[2].line, 5U);
    EXPECT_FALSE(lines.all_lines_read);
    ASSERT_EQ(lines.problems.size(), 3U);
    EXPECT_EQ(lines.problems[0].line, 3U);
    EXPECT_EQ(lines.problems[1].line, 4U);
    EXPECT_NE(lines.problems[1].reason.find("must be a string"), std::string::npos);
    EXPECT_NE(lines.problems[2].reason.find("nickname"), std::string::npos);
}

TEST_F(Exec, PrintedClientsGoThroughTheSameRowChecks) {
    const Batch batch = read_all(script(R"(cat <<'EOF'
{"client_id":"00417","first_name":"Thomas","last_name":"Berg","email":"Tom@Example.com","tax_id":"900-41-7001","spouse_first_name":"Linda","spouse_email":"linda@example.com"}
{"client_id":"B-1","business_name":"Acme LLC","client_type":"Business","ein":"12-3456789","email":"not an email"}
{"client_id":"00417","last_name":"Again"}
EOF)"));
    ASSERT_EQ(batch.clients.size(), 2U);
    EXPECT_TRUE(batch.complete);
    const TaxClient* berg = find_client(batch, "00417");
    ASSERT_NE(berg, nullptr);
    ASSERT_EQ(berg->people.size(), 2U);
    EXPECT_EQ(berg->people[0].email, "tom@example.com");
    EXPECT_EQ(berg->people[0].tax_id->last4, "7001");
    EXPECT_EQ(berg->people[1].last_name, "Berg");
    EXPECT_EQ(find_client(batch, "B-1")->kind, EntityKind::Business);
    EXPECT_EQ(problems_mentioning(batch, "invalid email").size(), 1U);
    const auto duplicate = problems_mentioning(batch, "already appears on line 1");
    ASSERT_EQ(duplicate.size(), 1U);
    EXPECT_EQ(duplicate[0].line, 3U);
    EXPECT_EQ(batch.files[0].encoding, "json lines");
}

TEST_F(Exec, FailureIsAProblemNamingTheStatusAndWhatItSaid) {
    auto connector = make(script("echo '{\"client_id\":\"1\"}'; echo 'no licence for 900-41-7001' >&2; exit 3"));
    const auto state = connector->scan();
    ASSERT_TRUE(state.has_error());
    EXPECT_NE(state.error().message.find("exited with status 3"), std::string::npos);
    EXPECT_NE(state.error().message.find("no licence"), std::string::npos);
    EXPECT_EQ(state.error().message.find("900-41-7001"), std::string::npos);  // masked
}

TEST_F(Exec, TimeoutStopsTheProgramAndItsChildren) {
    auto connector = make(script("sleep 30 & sleep 30; echo late", std::chrono::seconds(1)));
    const auto started = std::chrono::steady_clock::now();
    const auto state = connector->scan();
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
    ASSERT_TRUE(state.has_error());
    EXPECT_NE(state.error().message.find("did not finish within 1 s"), std::string::npos);
}

TEST_F(Exec, AProgramThatCannotStartIsReported) {
    auto settings = this->settings("exec");
    settings.command = {"/nonexistent/taxsync-export"};
    auto connector = make(settings);
    const auto state = connector->scan();
    ASSERT_TRUE(state.has_error());
    EXPECT_NE(state.error().message.find("cannot start /nonexistent/taxsync-export"), std::string::npos);
}

TEST_F(Exec, UnchangedOutputKeepsItsFingerprint) {
    auto connector = make(script("echo '{\"client_id\":\"1\",\"last_name\":\"Lee\"}'"));
    const auto first = connector->scan();
    const auto second = connector->scan();
    ASSERT_TRUE(first.has_value());
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(first->fingerprint, second->fingerprint);
    EXPECT_EQ(connector->read(*second).clients.size(), 1U);
}

TEST_F(Exec, RefusesAMissingCommand) {
    auto settings = this->settings("exec");
    const auto connector = registry_.create(settings, ConnectorServices{clock_, hasher_, log_});
    ASSERT_TRUE(connector.has_error());
    EXPECT_NE(connector.error().message.find("command is empty"), std::string::npos);
}

}  // namespace
}  // namespace taxsync::connectors
