// Applying several clients at once ([portal] concurrency): the real binary against the emulator
// with faults on. Every eligible address is invited exactly once, each client's steps run in
// their planned order, and a client whose step fails does not hold up the others.

#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <regex>
#include <thread>

#include "store/sqlite.hpp"
#include "tests/integration/harness.hpp"

namespace taxsync::testing {
namespace {

using nlohmann::json;

constexpr int kClients = 18;

// Joint filers, single filers, and a business whose owner is also a 1040 client (one address for
// two clients), so two workers may reach for the same contact in one cycle.
std::vector<std::string> firm_rows() {
    std::vector<std::string> rows;
    for (int i = 1; i <= kClients; ++i) {
        char id[16];
        std::snprintf(id, sizeof id, "%05dI", i);
        const std::string n = std::to_string(i);
        if (i % 3 == 0) {
            rows.push_back(Exports::lacerte_row(id, "First" + n, "Last", "", "p" + n + "@example.com", "Spouse" + n,
                                                "Last", "", "s" + n + "@example.com"));
        } else {
            rows.push_back(Exports::lacerte_row(id, "First" + n, "Last", "", "p" + n + "@example.com"));
        }
    }
    rows.push_back(Exports::lacerte_row("00001C", "First1", "Last", "", "p1@example.com"));  // p1 owns a business
    return rows;
}

std::size_t eligible_addresses() { return kClients + kClients / 3; }

// For every client, the operations it recorded (in the audit, in the order they finished) must be
// in outbox order: its steps ran one after another, as planned.
void expect_steps_in_order(const std::filesystem::path& database) {
    auto db = sqlite::Database::open(database, sqlite::OpenMode::ReadOnly);
    ASSERT_TRUE(db.has_value()) << db.error().message;
    auto rows =
        db->prepare("SELECT connector || ':' || client_id, op_id FROM audit WHERE op_id IS NOT NULL ORDER BY id");
    std::map<std::string, std::int64_t> last_op;
    std::size_t checked = 0;
    while (rows.step()) {
        const std::string client = rows.column_text(0);
        const std::int64_t op = rows.column_int(1);
        if (const auto previous = last_op.find(client); previous != last_op.end()) {
            EXPECT_LT(previous->second, op) << client << ": operation " << op << " finished after " << previous->second;
        }
        last_op[client] = op;
        ++checked;
    }
    EXPECT_GT(checked, static_cast<std::size_t>(kClients) * 3);
}

TEST(Concurrency, ManyClientsAtOnceUnderFaultsInviteEachAddressOnceInOrder) {
    TempDir dir;
    Emulator emulator(dir.path() / "emulator");
    Workspace workspace(emulator);
    workspace.write_config("concurrency = 6\nmax_attempts = 6\nbreaker_failures = 0\n");
    workspace.write_lacerte(firm_rows());
    emulator.faults({{"rules", json::array({
                                   // One contact is refused for good: its client fails, the rest go on.
                                   {{"method", "POST"}, {"path", "/users"}, {"status", 400}, {"times", 1}},
                                   {{"method", "POST"}, {"path", "/entities"}, {"status", 503}, {"times", 3}},
                                   {{"method", "POST"}, {"path", "/users"}, {"drop", "after"}, {"times", 2}},
                                   {{"method", "GET"}, {"path", "/users"}, {"status", 502}, {"times", 2}},
                                   {{"path", "*"}, {"delay_ms", 15}, {"rate", 0.3}},
                               })}});

    const auto first = workspace.taxsync({"once"});
    EXPECT_EQ(first.exit_code, 3) << first.out << first.err;  // done, with problems
    // The refused client failed (and, when the refused contact is the shared one, the client that
    // shares it with its next step); everyone else went on.
    EXPECT_NE(first.out.find("HTTP 400: injected fault"), std::string::npos) << first.out;
    std::smatch failed;
    ASSERT_TRUE(std::regex_search(first.out, failed, std::regex(R"((\d+) failed)"))) << first.out;
    EXPECT_GE(std::stoi(failed[1].str()), 1);
    EXPECT_LE(std::stoi(failed[1].str()), 2);
    EXPECT_NE(workspace.transcript().find("6 at a time"), std::string::npos);
    const auto invitations = emulator.invitations();
    for (const auto& [email, count] : invitations) EXPECT_EQ(count, 1) << email;
    // Only the refused client is missing: at most its two people.
    EXPECT_GE(invitations.size(), eligible_addresses() - 2);
    EXPECT_LT(invitations.size(), eligible_addresses());
    expect_steps_in_order(workspace.database());

    emulator.faults({{"rules", json::array({{{"path", "*"}, {"delay_ms", 5}, {"rate", 0.3}}})}});
    const auto second = workspace.taxsync({"once"});
    EXPECT_EQ(second.exit_code, 0) << second.out << second.err;
    expect_each_invited_once(emulator, eligible_addresses());
    EXPECT_TRUE(emulator.has_access("p1@example.com", "lacerte:00001I"));
    EXPECT_TRUE(emulator.has_access("p1@example.com", "lacerte:00001C"));
    EXPECT_FALSE(emulator.has_access("p2@example.com", "lacerte:00001I"));
    expect_steps_in_order(workspace.database());
    EXPECT_EQ(workspace.taxsync({"plan"}).exit_code, 0);  // nothing left to do
}

TEST(Concurrency, EveryClientIsMarkedAppliedByTheCycleThatFinishedIt) {
    TempDir dir;
    Emulator emulator(dir.path() / "emulator");
    Workspace workspace(emulator);
    workspace.write_config("concurrency = 6\n");
    workspace.write_lacerte(firm_rows());
    // Uneven answers, so clients finish in another order than they started; the two clients that
    // share p1's address are settled only once neither has a step on it left.
    emulator.faults({{"rules", json::array({{{"path", "*"}, {"delay_ms", 10}, {"rate", 0.3}}})}});
    const auto result = workspace.taxsync({"once"});
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
    expect_each_invited_once(emulator, eligible_addresses());

    auto db = sqlite::Database::open(workspace.database(), sqlite::OpenMode::ReadOnly);
    ASSERT_TRUE(db.has_value()) << db.error().message;
    EXPECT_EQ(db->query_int("SELECT count(*) FROM clients"), kClients + 1);
    EXPECT_EQ(db->query_int("SELECT count(*) FROM clients WHERE applied_hash IS NULL"), 0);
}

TEST(Concurrency, RefusedCredentialsStopTheCycleAfterTheWaveUnderWay) {
    TempDir dir;
    Emulator emulator(dir.path() / "emulator");
    Workspace workspace(emulator);
    workspace.write_config("concurrency = 4\n");
    workspace.write_lacerte(firm_rows());
    // The sign-in works, but creating a contact is refused as unauthorized, even with a new token.
    emulator.faults({{"rules", json::array({{{"method", "POST"}, {"path", "/users"}, {"status", 401}}})}});
    const auto result = workspace.taxsync({"once"});
    EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
    EXPECT_NE(result.out.find("refused taxsync's credentials"), std::string::npos) << result.out;
    EXPECT_TRUE(emulator.invitations().empty());
    // One wave of at most four contact creations, each sent twice (once more after renewing the token).
    const std::size_t creates = emulator.count_requests("POST", "/users");
    EXPECT_GE(creates, 2U);
    EXPECT_LE(creates, 8U);
}

TEST(Concurrency, PortalDownStopsTheCycleAfterOneWaveAndTheNextCycleFinishes) {
    TempDir dir;
    Emulator emulator(dir.path() / "emulator");
    Workspace workspace(emulator);
    workspace.write_config("concurrency = 4\nmax_attempts = 2\nbreaker_failures = 3\nbreaker_cooldown_seconds = 1\n");
    workspace.write_lacerte(firm_rows());
    emulator.faults({{"rules", json::array({{{"path", "/entities"}, {"status", 503}}})}});
    const auto down = workspace.taxsync({"once"});
    EXPECT_EQ(down.exit_code, 1) << down.out << down.err;
    EXPECT_NE(down.out.find("Stopped early: "), std::string::npos) << down.out;
    // One wave of four entity look-ups, two attempts each at most; the circuit stopped the rest.
    EXPECT_LE(emulator.count_requests("GET", "/entities"), 8U);
    EXPECT_EQ(emulator.count_requests("POST", "/entities"), 0U);

    emulator.faults({{"rules", json::array()}});
    const auto up = workspace.taxsync({"once"});
    EXPECT_EQ(up.exit_code, 0) << up.out << up.err;
    expect_each_invited_once(emulator, eligible_addresses());
}

// The workers' adapters share one sign-in: one token request per run, however many workers, and
// when tokens expire mid-cycle, the workers that find theirs refused take the renewed one.
TEST(Concurrency, WorkersShareOneSignInAndRenewItWhenItExpires) {
    TempDir dir;
    Emulator emulator(dir.path() / "emulator");
    Workspace workspace(emulator);
    workspace.write_config("concurrency = 6\n");
    workspace.write_lacerte(firm_rows());
    const auto result = workspace.taxsync({"once"});
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    expect_each_invited_once(emulator, eligible_addresses());
    EXPECT_EQ(emulator.count_requests("POST", "/auth/token"), 1U);

    TempDir other;
    Emulator short_tokens(other.path() / "emulator", "emulator-secret-0123456789", {"--token-ttl", "1"});
    Workspace space(short_tokens);
    space.write_config("concurrency = 6\n");
    space.write_lacerte(firm_rows());
    short_tokens.faults({{"rules", json::array({{{"path", "*"}, {"delay_ms", 60}}})}});  // the cycle outlives a token
    const auto renewed = space.taxsync({"once"});
    EXPECT_EQ(renewed.exit_code, 0) << renewed.out << renewed.err;
    expect_each_invited_once(short_tokens, eligible_addresses());
    EXPECT_GE(short_tokens.count_requests("POST", "/auth/token"), 2U);
}

// Marks are made ahead: many operations are durably in flight while only two are at the portal.
// Killed then, and while two contact creations are under way whose outcomes are not recorded yet,
// the next run sends none of them twice, loses none, and still invites a contact that staff made
// without portal access whose creation step had been marked.
TEST(Concurrency, KilledWithMarksAheadOnDiskTheNextRunInvitesEachAddressOnce) {
    TempDir dir;
    Emulator emulator(dir.path() / "emulator");
    Workspace workspace(emulator);
    workspace.write_config("concurrency = 2\n");
    workspace.write_lacerte(firm_rows());
    // p5 (whose steps are marked ahead, not sent, when the kill comes) exists on the portal already,
    // without access.
    const json entity = emulator.api("POST", "/entities", {{"Name", "Other"}, {"EntityNo", "staff:1"}});
    emulator.api("POST", "/users",
                 {{"FirstName", "First5"},
                  {"LastName", "Last"},
                  {"Email", "p5@example.com"},
                  {"OwnerType", "Contact"},
                  {"EntityId", entity["CWGuid"]},
                  {"CanLogin", false}});
    emulator.faults({{"rules", json::array({{{"path", "*"}, {"delay_ms", 150}}})}});

    const auto in_flight = [&] {
        auto db = sqlite::Database::open(workspace.database(), sqlite::OpenMode::ReadOnly, 1000);
        if (db.has_error()) return std::int64_t{0};
        try {
            return db->query_int("SELECT count(*) FROM outbox WHERE state = 'in_flight'").value_or(0);
        } catch (const sqlite::Error&) {
            return std::int64_t{0};  // the schema is not there yet
        }
    };
    Process cycle(taxsync_binary(), {"--config", workspace.config_file().string(), "once"}, workspace.dir() / "logs");
    std::int64_t marked = 0;
    for (int i = 0; i < 200 && marked <= 2; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        marked = in_flight();
    }
    // Let a few steps reach the portal (each request takes 150 ms), then kill in the middle of some.
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    ASSERT_FALSE(cycle.wait_for(std::chrono::milliseconds(0)).has_value()) << "the cycle finished before the kill";
    cycle.kill(SIGKILL);
    cycle.wait_for(std::chrono::seconds(10));
    EXPECT_GT(marked, 2) << "more operations marked in flight than are at the portal";
    EXPECT_GT(in_flight(), 2);
    for (const auto& [email, count] : emulator.invitations()) EXPECT_EQ(count, 1) << email;
    EXPECT_LT(emulator.invitations().size(), eligible_addresses());

    emulator.faults({{"rules", json::array()}});
    const auto next = workspace.taxsync({"once"});
    EXPECT_EQ(next.exit_code, 0) << next.out << next.err;
    expect_each_invited_once(emulator, eligible_addresses());
    EXPECT_EQ(emulator.invitations()["p5@example.com"], 1);
    EXPECT_TRUE(emulator.has_access("p5@example.com", "lacerte:00005I"));
    expect_steps_in_order(workspace.database());
    auto db = sqlite::Database::open(workspace.database(), sqlite::OpenMode::ReadOnly).value();
    EXPECT_EQ(db.query_int("SELECT count(*) FROM outbox WHERE state IN ('pending', 'in_flight')"), 0);
    EXPECT_EQ(workspace.taxsync({"plan"}).exit_code, 0);
}

// A cycle that stops takes back the marks it made ahead for operations it never sent: they wait
// as pending, with no attempt counted, so the next cycle does not take them for lost answers.
TEST(Concurrency, MarksOfOperationsNeverSentAreTakenBackWhenTheCycleStops) {
    TempDir dir;
    Emulator emulator(dir.path() / "emulator");
    Workspace workspace(emulator);
    workspace.write_config("concurrency = 2\nmax_attempts = 1\nbreaker_failures = 2\nbreaker_cooldown_seconds = 60\n");
    workspace.write_lacerte(firm_rows());
    emulator.faults({{"rules", json::array({{{"method", "POST"}, {"path", "/entities"}, {"status", 503}}})}});
    const auto down = workspace.taxsync({"once"});
    EXPECT_EQ(down.exit_code, 1) << down.out << down.err;
    auto db = sqlite::Database::open(workspace.database(), sqlite::OpenMode::ReadOnly).value();
    EXPECT_EQ(db.query_int("SELECT count(*) FROM outbox WHERE state = 'in_flight'"), 0);
    EXPECT_GT(db.query_int("SELECT count(*) FROM outbox WHERE state = 'pending' AND attempts = 0").value_or(0), 20);

    emulator.faults({{"rules", json::array()}});
    const auto up = workspace.taxsync({"once"});
    EXPECT_EQ(up.exit_code, 0) << up.out << up.err;
    expect_each_invited_once(emulator, eligible_addresses());
}

}  // namespace
}  // namespace taxsync::testing
