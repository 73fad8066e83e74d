// The whole flow through real processes: exports on disk, the taxsync binary, the emulator over
// loopback HTTP, and the SQLite state file.

#include <gtest/gtest.h>

#include "store/sqlite.hpp"
#include "tests/integration/harness.hpp"

namespace taxsync::testing {
namespace {

using nlohmann::json;

// Five clients: joint filers sharing one address, joint filers with two addresses, one without an
// email, one with a malformed email, and a business owned by a 1040 client (the same address).
std::vector<std::string> demo_rows() {
    return {
        Exports::lacerte_row("00101I", "Thomas", "Berg", "900-31-0001", "berg@example.net", "Linda", "Berg",
                             "900-31-0002", "berg@example.net"),
        Exports::lacerte_row("00102I", "Marcus", "Whitfield", "900-31-0003", "marcus@example.com", "Elena",
                             "Whitfield", "900-31-0004", "elena@example.org"),
        Exports::lacerte_row("00103I", "Harold", "Finch", "900-31-0005", ""),
        Exports::lacerte_row("00104I", "Gloria", "Mendes", "900-31-0006", "gloria@@example.com"),
        Exports::lacerte_row("00105I", "Olivia", "Chen", "900-31-0007", "olivia@example.com"),
        Exports::lacerte_row("00106C", "Olivia", "Chen", "98-7000001", "olivia@example.com"),
    };
}

const std::set<std::string> kEligible = {"berg@example.net", "marcus@example.com", "elena@example.org",
                                         "olivia@example.com"};

class CycleTest : public ::testing::Test {
protected:
    TempDir dir;
    Emulator emulator{dir.path() / "emulator"};
    Workspace workspace{emulator};

    std::string user_id(const std::string& email) {
        const json state = emulator.state();  // a range-for over a temporary's member would dangle
        for (const auto& user : state["users"]) {
            if (user["Email"] == email) return user["CWGuid"];
        }
        return {};
    }
};

TEST_F(CycleTest, FirstSyncInvitesEveryEligibleContactExactlyOnce) {
    workspace.write_lacerte(demo_rows());
    const auto result = workspace.taxsync({"once"});
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;

    const auto invitations = emulator.invitations();
    std::set<std::string> invited;
    for (const auto& [email, count] : invitations) {
        EXPECT_EQ(count, 1) << email;
        invited.insert(email);
    }
    EXPECT_EQ(invited, kEligible);
    EXPECT_NE(result.out.find("4 invitation(s) sent"), std::string::npos) << result.out;

    const json state = emulator.state();
    EXPECT_EQ(state["entities"].size(), 6U);  // every client gets an entity, with or without contacts
    EXPECT_EQ(state["users"].size(), 4U);
    // The business owner has the role on both of her clients' entities.
    const std::string olivia = user_id("olivia@example.com");
    std::size_t olivia_shares = 0;
    for (const auto& assignment : state["role_assignments"]) olivia_shares += assignment["PersonId"] == olivia ? 1 : 0;
    EXPECT_EQ(olivia_shares, 2U);
    // Two folders per entity, with the configured access.
    EXPECT_EQ(state["folders"].size(), 6U * 3U);  // "2025" plus its two children
    std::size_t uploads = 0;
    for (const auto& permission : state["permissions"]) uploads += permission["Access"] == "upload" ? 1 : 0;
    EXPECT_EQ(uploads, 5U);  // one upload folder per contact per client: berg, marcus, elena, olivia x2

    const auto status = workspace.taxsync({"status", "--json"});
    ASSERT_EQ(status.exit_code, 0) << status.err;
    const json people = json::parse(status.out)["people"];
    EXPECT_EQ(people["invited"], 6);  // both Bergs share one contact; Olivia counts once per client
    EXPECT_EQ(people["missing_email"], 1);
    EXPECT_EQ(people["invalid_email"], 1);
    EXPECT_EQ(people["failed"], 0);
}

TEST_F(CycleTest, SecondSyncOfTheSameExportSendsNothing) {
    workspace.write_lacerte(demo_rows());
    ASSERT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    const std::size_t requests_after_first = emulator.requests().size();

    const auto plan = workspace.taxsync({"plan"});
    EXPECT_EQ(plan.exit_code, 0) << plan.out;
    EXPECT_NE(plan.out.find("Nothing to do"), std::string::npos);
    const auto second = workspace.taxsync({"once"});
    EXPECT_EQ(second.exit_code, 0) << second.out << second.err;
    EXPECT_NE(second.out.find("0 invitation(s) sent"), std::string::npos);
    EXPECT_EQ(emulator.requests().size(), requests_after_first);  // not even a read
    EXPECT_EQ(emulator.invitations().size(), kEligible.size());
}

TEST_F(CycleTest, RewrittenExportWithTheSameClientsSendsNothing) {
    workspace.write_lacerte(demo_rows());
    ASSERT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    auto reordered = demo_rows();
    std::reverse(reordered.begin(), reordered.end());
    workspace.write_lacerte(reordered);  // a new file: read again, but no client changed
    const auto result = workspace.taxsync({"once"});
    EXPECT_EQ(result.exit_code, 0) << result.out;
    EXPECT_NE(result.out.find("0 new, 0 changed"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("0 operation(s) done"), std::string::npos) << result.out;
    EXPECT_EQ(emulator.count_requests("POST", "/users"), kEligible.size());
}

TEST_F(CycleTest, PlanShowsTheWorkAndTouchesNeitherPortalNorState) {
    workspace.write_lacerte(demo_rows());
    const auto plan = workspace.taxsync({"plan", "--json"});
    ASSERT_EQ(plan.exit_code, 2) << plan.out << plan.err;
    const json report = json::parse(plan.out);
    EXPECT_TRUE(report["changes_pending"].get<bool>());
    EXPECT_EQ(report["summary"]["invitations"], kEligible.size());
    EXPECT_EQ(report["summary"]["clients"], 6);
    EXPECT_TRUE(emulator.requests().empty());

    const auto status = workspace.taxsync({"status", "--json"});
    EXPECT_TRUE(json::parse(status.out)["last_cycle"].is_null());  // the plan left no trace
    const auto again = workspace.taxsync({"plan", "--json"});
    EXPECT_EQ(json::parse(again.out)["summary"], report["summary"]);
}

TEST_F(CycleTest, ChangedEmailUpdatesTheContactInPlace) {
    workspace.write_lacerte(demo_rows());
    ASSERT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    const std::string elena = user_id("elena@example.org");
    ASSERT_FALSE(elena.empty());

    auto rows = demo_rows();
    rows[1] = Exports::lacerte_row("00102I", "Marcus", "Whitfield", "900-31-0003", "marcus@example.com", "Elena",
                                   "Whitfield", "900-31-0004", "elena.w@example.org");
    workspace.write_lacerte(rows);
    const auto plan = workspace.taxsync({"plan"});
    EXPECT_NE(plan.out.find("change contact email elena@example.org -> elena.w@example.org"), std::string::npos)
        << plan.out;
    const auto result = workspace.taxsync({"once"});
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;

    EXPECT_EQ(user_id("elena.w@example.org"), elena);  // the same portal contact, new address
    EXPECT_TRUE(user_id("elena@example.org").empty());
    EXPECT_EQ(emulator.invitations()["elena.w@example.org"], 1);  // the new address is invited, once
    EXPECT_EQ(emulator.state()["users"].size(), 4U);
    EXPECT_EQ(workspace.taxsync({"plan"}).exit_code, 0);
}

TEST_F(CycleTest, MissingEmailIsReportedAndNothingIsInvented) {
    workspace.write_lacerte(demo_rows());
    ASSERT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    const auto status = workspace.taxsync({"status"});
    EXPECT_NE(status.out.find("lacerte:00103I taxpayer Harold Finch: missing email"), std::string::npos) << status.out;
    EXPECT_NE(status.out.find("invalid email \"gloria@@example.com\""), std::string::npos) << status.out;
    const json state = emulator.state();
    for (const auto& user : state["users"]) {
        EXPECT_NE(user["LastName"], "Finch");
        EXPECT_NE(user["LastName"], "Mendes");
    }
    // Adding the address in the tax package later invites the person on the next cycle.
    auto rows = demo_rows();
    rows[2] = Exports::lacerte_row("00103I", "Harold", "Finch", "900-31-0005", "harold@example.com");
    workspace.write_lacerte(rows);
    EXPECT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    EXPECT_EQ(emulator.invitations()["harold@example.com"], 1);
}

TEST_F(CycleTest, ContactAndEntityThatAlreadyExistAreAdoptedNotDuplicated) {
    // Staff made the entity and the contact by hand, the contact already with portal access.
    const json entity = emulator.api("POST", "/entities", {{"Name", "Whitfield (by hand)"}, {"EntityNo", "lacerte:00102I"}});
    const json user = emulator.api("POST", "/users",
                                   {{"FirstName", "Marcus"}, {"LastName", "Whitfield"}, {"Email", "Marcus@Example.com"},
                                    {"OwnerType", "Contact"}, {"EntityId", entity["CWGuid"]}, {"CanLogin", true}});
    workspace.write_lacerte(demo_rows());
    const auto result = workspace.taxsync({"once"});
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;

    const json state = emulator.state();
    EXPECT_EQ(state["entities"].size(), 6U);
    EXPECT_EQ(state["users"].size(), 4U);
    EXPECT_EQ(user_id("Marcus@Example.com"), user["CWGuid"].get<std::string>());
    EXPECT_EQ(emulator.invitations().count("marcus@example.com"), 0U);  // already had access: no second email
    EXPECT_EQ(emulator.invitations().count("Marcus@Example.com"), 0U);
    bool shared = false;
    for (const auto& assignment : state["role_assignments"]) {
        shared = shared || (assignment["PersonId"] == user["CWGuid"] && assignment["EntityId"] == entity["CWGuid"]);
    }
    EXPECT_TRUE(shared);
    for (const auto& e : state["entities"]) {
        if (e["CWGuid"] == entity["CWGuid"]) {
            EXPECT_EQ(e["Name"], "Whitfield, Marcus & Elena");  // renamed as the rules say
        }
    }
    EXPECT_EQ(workspace.taxsync({"plan"}).exit_code, 0);
}

TEST_F(CycleTest, ExistingContactWithoutPortalAccessIsInvitedOnce) {
    const json entity = emulator.api("POST", "/entities", {{"Name", "Other"}, {"EntityNo", "staff:1"}});
    emulator.api("POST", "/users", {{"FirstName", "Elena"}, {"LastName", "Whitfield"}, {"Email", "elena@example.org"},
                                    {"OwnerType", "Contact"}, {"EntityId", entity["CWGuid"]}, {"CanLogin", false}});
    workspace.write_lacerte(demo_rows());
    ASSERT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    ASSERT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    EXPECT_EQ(emulator.invitations()["elena@example.org"], 1);
    EXPECT_EQ(emulator.state()["users"].size(), 4U);
}

TEST_F(CycleTest, BadRowsAreReportedWithFileLineAndReasonAndTheRestGoThrough) {
    auto rows = demo_rows();
    rows.insert(rows.begin() + 1, Exports::lacerte_row("1.2E+07", "Excel", "Damage", "", "excel@example.com"));
    rows.insert(rows.begin() + 3, Exports::lacerte_row("", "No", "Id", "", "noid@example.com"));
    workspace.write_lacerte(rows);
    const auto result = workspace.taxsync({"once"});
    EXPECT_EQ(result.exit_code, 3) << result.out;  // done, with problems
    EXPECT_NE(result.out.find("clients.csv:3: error: client id '1.2E+07' is in scientific notation"), std::string::npos)
        << result.out;
    EXPECT_NE(result.out.find("clients.csv:5: error:"), std::string::npos) << result.out;
    std::set<std::string> invited;
    for (const auto& [email, count] : emulator.invitations()) invited.insert(email);
    EXPECT_EQ(invited, kEligible);
}

TEST_F(CycleTest, TaxIdsAndSecretsNeverLeaveTheMachine) {
    workspace.write_lacerte(demo_rows());
    workspace.taxsync({"config", "check"});
    workspace.taxsync({"plan", "--json"});
    workspace.taxsync({"once"});
    workspace.taxsync({"status", "--json"});
    workspace.taxsync({"status"});
    const std::string everything = workspace.transcript() + emulator.state().dump() + emulator.requests().dump();
    for (const std::string ssn : {"900-31-0001", "900310001", "900-31-0007", "900310007", "98-7000001", "987000001"}) {
        EXPECT_EQ(everything.find(ssn), std::string::npos) << ssn;
    }
    EXPECT_EQ(everything.find(emulator.secret()), std::string::npos);
    EXPECT_NE(workspace.transcript().find("POST /users -> 201"), std::string::npos);  // debug logging was on

    const std::string database = read_file(workspace.database());
    const std::string wal = std::filesystem::exists(workspace.database().string() + "-wal")
                                ? read_file(workspace.database().string() + "-wal")
                                : std::string();
    for (const std::string ssn : {"900-31-0001", "900310001", "98-7000001", "987000001"}) {
        EXPECT_EQ(database.find(ssn), std::string::npos) << ssn;
        EXPECT_EQ(wal.find(ssn), std::string::npos) << ssn;
    }
}

}  // namespace
}  // namespace taxsync::testing
