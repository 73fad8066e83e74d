// What goes wrong in real life: a broken config, refused credentials, a portal that rejects,
// fails, throttles, loses answers or expires tokens, a crash in the middle of a cycle.

#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <thread>

#include "store/sqlite.hpp"
#include "tests/integration/harness.hpp"

namespace taxsync::testing {
namespace {

using nlohmann::json;

std::vector<std::string> rows(int count) { return Exports::numbered_rows(count, "c"); }

class FailureTest : public ::testing::Test {
protected:
    TempDir dir;
    Emulator emulator{dir.path() / "emulator"};
    Workspace workspace{emulator};
};

TEST_F(FailureTest, ConfigErrorsNameFileLineAndColumnAndNothingRuns) {
    workspace.write_lacerte(rows(2));
    std::filesystem::path config = workspace.config_file();
    std::string text = read_file(config);
    text.replace(text.find("[[connector]]\nname"), 18, "[[connector]]\nnme");  // a typo on a known line
    {
        std::ofstream out(config);
        out << text << "\n[mapping.extra]\n";
    }
    const auto check = workspace.taxsync({"config", "check"});
    EXPECT_EQ(check.exit_code, 1);
    EXPECT_NE(check.err.find("taxsync.toml:"), std::string::npos) << check.err;
    EXPECT_NE(check.err.find("unknown key 'nme' in [[connector]]"), std::string::npos) << check.err;
    EXPECT_NE(check.err.find("missing 'name' in [[connector]]"), std::string::npos) << check.err;
    // A line and a column, e.g. "taxsync.toml:21:1: unknown key 'nme'"
    const auto at = check.err.find("taxsync.toml:");
    EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(check.err[at + 13]))) << check.err;

    const auto once = workspace.taxsync({"once"});
    EXPECT_EQ(once.exit_code, 1);
    EXPECT_TRUE(emulator.requests().empty());
    EXPECT_FALSE(std::filesystem::exists(workspace.database()));
}

TEST_F(FailureTest, SyntaxErrorIsReportedWithItsPosition) {
    {
        std::ofstream out(workspace.config_file());
        out << "[service]\nstate_dir = \"state\n";
    }
    const auto check = workspace.taxsync({"config", "check"});
    EXPECT_EQ(check.exit_code, 1);
    EXPECT_NE(check.err.find("taxsync.toml:2:"), std::string::npos) << check.err;
}

TEST_F(FailureTest, SecretReadableByOthersIsRefused) {
    std::filesystem::permissions(workspace.dir() / "portal-secret", std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::add);
    const auto check = workspace.taxsync({"config", "check"});
    EXPECT_EQ(check.exit_code, 1);
    EXPECT_NE(check.err.find("is accessible by others"), std::string::npos) << check.err;
    EXPECT_NE(check.err.find("chmod 600"), std::string::npos) << check.err;
}

TEST_F(FailureTest, PlainHttpToARemotePortalIsRefused) {
    std::string text = read_file(workspace.config_file());
    text.replace(text.find(emulator.base_url()), emulator.base_url().size(), "http://portal.example.com/firm");
    {
        std::ofstream out(workspace.config_file());
        out << text;
    }
    const auto check = workspace.taxsync({"config", "check"});
    EXPECT_EQ(check.exit_code, 1);
    EXPECT_NE(check.err.find("only allowed to this machine (loopback)"), std::string::npos) << check.err;
}

TEST_F(FailureTest, RefusedCredentialsStopTheCycleAndLoseNothing) {
    workspace.write_lacerte(rows(3));
    workspace.write_secret("not-the-right-secret");
    const auto refused = workspace.taxsync({"once"});
    EXPECT_EQ(refused.exit_code, 1) << refused.out;
    EXPECT_NE(refused.out.find("refused taxsync's credentials"), std::string::npos) << refused.out;
    EXPECT_NE(refused.out.find("client id 'taxsync-test'"), std::string::npos) << refused.out;
    EXPECT_TRUE(emulator.state()["entities"].empty());
    EXPECT_EQ(refused.out.find("not-the-right-secret"), std::string::npos);
    EXPECT_EQ(refused.err.find("not-the-right-secret"), std::string::npos);

    workspace.write_secret(emulator.secret());
    const auto fixed = workspace.taxsync({"once"});
    EXPECT_EQ(fixed.exit_code, 0) << fixed.out << fixed.err;
    expect_each_invited_once(emulator, 3);
}

TEST_F(FailureTest, ValidationErrorIsNotRetriedAndTheOthersGoThrough) {
    workspace.write_lacerte(rows(4));
    emulator.faults({{"rules", json::array({{{"method", "POST"}, {"path", "/users"}, {"status", 400}, {"times", 1}}})}});
    const auto first = workspace.taxsync({"once"});
    EXPECT_EQ(first.exit_code, 3) << first.out;
    EXPECT_NE(first.out.find("Failed (1)"), std::string::npos) << first.out;
    std::size_t rejected = 0;
    for (const auto& request : emulator.requests()) rejected += request["status"] == 400 ? 1 : 0;
    EXPECT_EQ(rejected, 1U);  // never sent again in the same cycle
    expect_each_invited_once(emulator, 3);

    const auto status = workspace.taxsync({"status", "--json"});
    EXPECT_EQ(json::parse(status.out)["people"]["failed"], 1);

    emulator.faults({{"rules", json::array()}});
    const auto second = workspace.taxsync({"once"});
    EXPECT_EQ(second.exit_code, 0) << second.out;
    expect_each_invited_once(emulator, 4);
    EXPECT_EQ(workspace.taxsync({"plan"}).exit_code, 0);
}

TEST_F(FailureTest, ServerErrorsAndRateLimitsAreRetriedWithBackoff) {
    workspace.write_lacerte(rows(3));
    emulator.faults({{"rules", json::array({
                                   {{"method", "POST"}, {"path", "/entities"}, {"status", 503}, {"times", 2}},
                                   {{"method", "POST"}, {"path", "/users"}, {"status", 429}, {"retry_after", 1}, {"times", 1}},
                                   {{"method", "GET"}, {"path", "/users"}, {"status", 502}, {"times", 1}},
                               })}});
    const auto started = std::chrono::steady_clock::now();
    const auto result = workspace.taxsync({"once"});
    const auto elapsed = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    expect_each_invited_once(emulator, 3);
    EXPECT_EQ(emulator.state()["entities"].size(), 3U);
    EXPECT_GE(elapsed, std::chrono::seconds(1));  // the Retry-After was honoured
    std::size_t throttled = 0;
    for (const auto& request : emulator.requests()) throttled += request["status"] == 429 ? 1 : 0;
    EXPECT_EQ(throttled, 1U);
}

TEST_F(FailureTest, LostAnswersNeverDuplicateAnInvitation) {
    workspace.write_lacerte(rows(4));
    // The portal applies the create, then the connection drops before the answer.
    emulator.faults({{"rules", json::array({{{"method", "POST"}, {"path", "/users"}, {"drop", "after"}, {"times", 3}},
                                            {{"method", "POST"}, {"path", "/entities"}, {"drop", "after"}, {"times", 1}}})}});
    const auto result = workspace.taxsync({"once"});
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    expect_each_invited_once(emulator, 4);
    EXPECT_EQ(emulator.state()["users"].size(), 4U);
    EXPECT_EQ(emulator.state()["entities"].size(), 4U);
    EXPECT_EQ(emulator.count_requests("POST", "/users"), 4U);  // each create sent once: lost answers were looked up
    EXPECT_EQ(workspace.taxsync({"plan"}).exit_code, 0);
}

TEST_F(FailureTest, PortalThatIsDownStopsTheCycleEarlyAndTheNextOneFinishes) {
    workspace.write_lacerte(rows(5));
    // One operation at a time: three failed in a row end the cycle before the circuit opens (with
    // several in flight the circuit opens first; Concurrency.* covers that).
    workspace.write_config("max_attempts = 2\nconcurrency = 1\n");
    emulator.faults({{"rules", json::array({{{"path", "*"}, {"status", 503}}})}});
    const auto down = workspace.taxsync({"once"});
    EXPECT_EQ(down.exit_code, 1) << down.out;
    EXPECT_NE(down.out.find("the portal is not answering"), std::string::npos) << down.out;
    const auto status = json::parse(workspace.taxsync({"status", "--json"}).out);
    EXPECT_GT(status["outbox"]["pending"].get<int>(), 0);  // the rest waits, nothing lost

    emulator.faults({{"rules", json::array()}});
    const auto up = workspace.taxsync({"once"});
    EXPECT_EQ(up.exit_code, 0) << up.out << up.err;
    expect_each_invited_once(emulator, 5);
    EXPECT_EQ(workspace.taxsync({"plan"}).exit_code, 0);
}

TEST_F(FailureTest, ExpiredTokenMidCycleIsRenewedOnce) {
    TempDir other;
    Emulator short_tokens(other.path() / "emulator", "emulator-secret-0123456789", {"--token-ttl", "1"});
    Workspace space(short_tokens);
    space.write_config("concurrency = 1\n");  // one worker: the cycle (~3 s) outlives its 1-second token
    space.write_lacerte(rows(4));
    short_tokens.faults({{"rules", json::array({{{"path", "*"}, {"delay_ms", 60}}})}});  // the cycle outlives a token
    const auto result = space.taxsync({"once"});
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    expect_each_invited_once(short_tokens, 4);
    EXPECT_GE(short_tokens.count_requests("POST", "/auth/token"), 2U);
}

TEST_F(FailureTest, KilledMidCycleTheNextRunFinishesWithoutDuplicates) {
    workspace.write_lacerte(rows(12));
    emulator.faults({{"rules", json::array({{{"path", "*"}, {"delay_ms", 40}}})}});
    {
        Process cycle(taxsync_binary(), {"--config", workspace.config_file().string(), "once"}, workspace.dir() / "logs");
        // Wait until some, but not all, invitations went out, then pull the plug.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (emulator.invitations().size() < 3 && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        cycle.kill(SIGKILL);
        cycle.wait_for(std::chrono::seconds(5));
    }
    ASSERT_LT(emulator.invitations().size(), 12U) << "the cycle finished before it could be killed";
    emulator.faults({{"rules", json::array()}});
    const auto resumed = workspace.taxsync({"once"});
    EXPECT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
    expect_each_invited_once(emulator, 12);
    EXPECT_EQ(emulator.state()["users"].size(), 12U);
    EXPECT_EQ(emulator.state()["entities"].size(), 12U);

    auto db = sqlite::Database::open(workspace.database(), sqlite::OpenMode::ReadOnly).value();
    EXPECT_EQ(db.query_text("PRAGMA integrity_check"), "ok");
    EXPECT_EQ(db.query_int("SELECT count(*) FROM outbox WHERE state IN ('pending', 'in_flight')"), 0);
    EXPECT_EQ(db.query_int("SELECT count(*) FROM cycles WHERE outcome = 'interrupted'"), 1);
}

TEST_F(FailureTest, ExportCutOffMidRecordIsNotTakenUntilItIsWhole) {
    // The tax package is still writing: the file ends inside a quoted field.
    const auto file = workspace.dir() / "exports" / "lacerte" / "clients.csv";
    {
        std::ofstream out(file, std::ios::binary);
        out << Exports::lacerte_header() << "\r\n" << rows(1)[0] << "\r\n00002I,\"Second";
    }
    const auto partial = workspace.taxsync({"once"});
    EXPECT_EQ(partial.exit_code, 3) << partial.out;
    EXPECT_NE(partial.out.find("clients.csv:3"), std::string::npos) << partial.out;
    EXPECT_NE(partial.out.find("could not be read whole"), std::string::npos) << partial.out;
    EXPECT_TRUE(emulator.state()["entities"].empty());  // not even the complete first row

    workspace.write_lacerte(rows(2));
    const auto whole = workspace.taxsync({"once"});
    EXPECT_EQ(whole.exit_code, 0) << whole.out;
    expect_each_invited_once(emulator, 2);
}

TEST_F(FailureTest, TimeoutsAreRetriedAndASlowCreateIsNeverDoubled) {
    workspace.write_lacerte(rows(3));
    workspace.write_config("timeout_seconds = 1\n");
    // A read that hangs is simply asked again; a create that hangs may still be applied after
    // taxsync gave up, so it must be looked up, and the portal's uniqueness keeps it single.
    emulator.faults({{"rules", json::array({{{"method", "GET"}, {"path", "/entities"}, {"delay_ms", 1500}, {"times", 1}},
                                            {{"method", "POST"}, {"path", "/users"}, {"delay_ms", 1500}, {"times", 1}}})}});
    const auto result = workspace.taxsync({"once"});
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    expect_each_invited_once(emulator, 3);
    EXPECT_EQ(emulator.state()["users"].size(), 3U);
    EXPECT_NE(result.err.find("Timeout"), std::string::npos) << result.err;
    EXPECT_EQ(workspace.taxsync({"plan"}).exit_code, 0);
}

TEST_F(FailureTest, DatabaseFromANewerTaxsyncIsRefusedUntouched) {
    workspace.write_lacerte(rows(1));
    ASSERT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    {
        auto db = sqlite::Database::open(workspace.database(), sqlite::OpenMode::ReadWrite).value();
        db.exec("PRAGMA user_version = 99");
    }
    workspace.write_lacerte(rows(2));
    const auto result = workspace.taxsync({"once"});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("schema version 99"), std::string::npos) << result.err;
    expect_each_invited_once(emulator, 1);
    auto db = sqlite::Database::open(workspace.database(), sqlite::OpenMode::ReadOnly).value();
    EXPECT_EQ(db.query_int("PRAGMA user_version"), 99);
}

}  // namespace
}  // namespace taxsync::testing
