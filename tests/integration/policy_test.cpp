// Sync policy through real processes: the safety gate and its approve/reject, the removal policy
// after N absences, the review queue, invitations on demand, staging, explain and the audit trail.

#include <gtest/gtest.h>

#include "store/sqlite.hpp"
#include "tests/integration/harness.hpp"

namespace taxsync::testing {
namespace {

using nlohmann::json;

std::string row(const std::string& id, const std::string& first, const std::string& last, const std::string& ssn,
                const std::string& email, const std::string& spouse_first = "", const std::string& spouse_email = "") {
    return Exports::lacerte_row(id, first, last, ssn, email, spouse_first, spouse_first.empty() ? "" : last,
                                spouse_first.empty() ? "" : "900-41-9999", spouse_email);
}

// Four clients, five eligible addresses; Olivia files a 1040 and owns a business.
std::vector<std::string> base_rows() {
    return {
        row("00201I", "Ruth", "Okafor", "900-41-0001", "ruth@example.net"),
        row("00202I", "Marcus", "Whitfield", "900-41-0003", "marcus@example.com", "Elena", "elena@example.org"),
        row("00203I", "Olivia", "Chen", "900-41-0005", "olivia@example.com"),
        Exports::lacerte_row("00204C", "Olivia", "Chen", "98-7000002", "olivia@example.com"),
        row("00205I", "Sam", "Reyes", "900-41-0007", "sam@example.org"),
    };
}

std::vector<std::string> without(std::vector<std::string> rows, const std::string& id) {
    rows.erase(std::remove_if(rows.begin(), rows.end(), [&](const std::string& r) { return r.rfind(id + ",", 0) == 0; }),
               rows.end());
    return rows;
}

class PolicyTest : public ::testing::Test {
protected:
    TempDir dir;
    Emulator emulator{dir.path() / "emulator"};
    Workspace workspace{emulator};

    void configure(const std::string& policy, const std::string& service_extra = "") {
        workspace.write_config("", policy, service_extra);
    }

    std::string user_id(const std::string& email) {
        const json state = emulator.state();
        for (const auto& user : state["users"]) {
            if (user["Email"] == email) return user["CWGuid"];
        }
        return {};
    }

    json user(const std::string& email) {
        const json state = emulator.state();
        for (const auto& found : state["users"]) {
            if (found["Email"] == email) return found;
        }
        return nullptr;
    }

    std::string entity_id(const std::string& client) {
        const json state = emulator.state();
        for (const auto& entity : state["entities"]) {
            if (entity["EntityNo"] == "lacerte:" + client) return entity["CWGuid"];
        }
        return {};
    }

    // What a person can reach in the portal: entity role shares, and folders with access other than none.
    std::size_t shares(const std::string& email) {
        const std::string id = user_id(email);
        const json state = emulator.state();
        std::size_t count = 0;
        for (const auto& assignment : state["role_assignments"]) count += assignment["PersonId"] == id ? 1 : 0;
        return count;
    }
    std::size_t open_folders(const std::string& email) {
        const std::string id = user_id(email);
        const json state = emulator.state();
        std::size_t count = 0;
        for (const auto& permission : state["permissions"]) {
            count += permission["PersonId"] == id && permission["Access"] != "none" ? 1 : 0;
        }
        return count;
    }

    std::int64_t outbox_rows(const std::string& where) {
        auto db = sqlite::Database::open(workspace.database(), sqlite::OpenMode::ReadOnly);
        return db->query_int("SELECT count(*) FROM outbox WHERE " + where).value_or(-1);
    }
};

TEST_F(PolicyTest, GateHoldsABigImportUntilApproved) {
    configure("[safety]\nmax_invitations = 3\n");
    workspace.write_lacerte(base_rows());
    const auto first = workspace.taxsync({"once"});
    EXPECT_EQ(first.exit_code, 3) << first.out << first.err;  // problems: held
    EXPECT_NE(first.out.find("Held at the safety gate: 5 invitations (limit 3)"), std::string::npos) << first.out;
    EXPECT_TRUE(emulator.mailbox().empty());
    EXPECT_TRUE(emulator.state()["entities"].empty());  // nothing at all was sent, not even the entities

    const json status = json::parse(workspace.taxsync({"status", "--json"}).out);
    ASSERT_FALSE(status["held"].is_null()) << status.dump(2);
    const int cycle = status["held"]["cycle"];
    EXPECT_GT(status["held"]["operations"].get<int>(), 5);

    // A cycle in between plans the same work again and holds it under its own number.
    const auto again = workspace.taxsync({"once"});
    EXPECT_EQ(again.exit_code, 3);
    const json status2 = json::parse(workspace.taxsync({"status", "--json"}).out);
    const int newer = status2["held"]["cycle"];
    EXPECT_GT(newer, cycle);
    const auto stale = workspace.taxsync({"approve", std::to_string(cycle)});
    EXPECT_EQ(stale.exit_code, 1);
    EXPECT_NE(stale.err.find("decide on cycle " + std::to_string(newer)), std::string::npos) << stale.err;

    const auto approved = workspace.taxsync({"approve", std::to_string(newer)});
    ASSERT_EQ(approved.exit_code, 0) << approved.out << approved.err;
    EXPECT_NE(approved.out.find("approved"), std::string::npos);
    const auto sent = workspace.taxsync({"once"});
    EXPECT_EQ(sent.exit_code, 0) << sent.out << sent.err;
    expect_each_invited_once(emulator, 5U);
    EXPECT_TRUE(json::parse(workspace.taxsync({"status", "--json"}).out)["held"].is_null());
    // Approved work is not held a second time, and a quiet cycle sends nothing more.
    EXPECT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    EXPECT_EQ(emulator.mailbox().size(), 5U);
}

TEST_F(PolicyTest, RejectedWorkIsNeverSent) {
    configure("[safety]\nmax_invitations = 3\n");
    workspace.write_lacerte(base_rows());
    EXPECT_EQ(workspace.taxsync({"once"}).exit_code, 3);
    const auto rejected = workspace.taxsync({"reject"});
    ASSERT_EQ(rejected.exit_code, 0) << rejected.out << rejected.err;
    EXPECT_NE(rejected.out.find("rejected"), std::string::npos);
    EXPECT_EQ(outbox_rows("state = 'held'"), 0);
    EXPECT_GT(outbox_rows("state = 'rejected'"), 0);
    // The export did not change: the next cycle is held again, and sends nothing.
    EXPECT_EQ(workspace.taxsync({"once"}).exit_code, 3);
    EXPECT_TRUE(emulator.mailbox().empty());
    // With the export fixed to what the firm meant (two clients), the cycle is under the limit.
    workspace.write_lacerte({base_rows()[0], base_rows()[4]});
    const auto fixed = workspace.taxsync({"once"});
    EXPECT_EQ(fixed.exit_code, 0) << fixed.out;
    EXPECT_EQ(emulator.invitations(), (std::map<std::string, int>{{"ruth@example.net", 1}, {"sam@example.org", 1}}));
}

TEST_F(PolicyTest, RevokeActsOnlyAfterTheConfiguredAbsencesAndComesBackWithoutANewInvitation) {
    configure("[removal]\npolicy = \"revoke\"\nafter_absences = 2\n");
    workspace.write_lacerte(base_rows());
    ASSERT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    ASSERT_EQ(shares("marcus@example.com"), 1U);
    ASSERT_EQ(open_folders("elena@example.org"), 2U);

    workspace.write_lacerte(without(base_rows(), "00202I"));
    EXPECT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    EXPECT_EQ(shares("marcus@example.com"), 1U) << "one absence must not revoke anything";

    const auto second = workspace.taxsync({"once"});  // the file is unchanged: still absent, now twice
    EXPECT_EQ(second.exit_code, 0) << second.out << second.err;
    EXPECT_EQ(shares("marcus@example.com"), 0U);
    EXPECT_EQ(shares("elena@example.org"), 0U);
    EXPECT_EQ(open_folders("marcus@example.com"), 0U);
    EXPECT_EQ(open_folders("elena@example.org"), 0U);
    EXPECT_TRUE(user("marcus@example.com")["InActiveDate"].is_null()) << "revoke keeps the login";
    EXPECT_EQ(shares("ruth@example.net"), 1U) << "nobody else loses anything";
    const auto explained = workspace.taxsync({"explain", "00202I"});
    EXPECT_NE(explained.out.find("The removal policy (revoke) has acted"), std::string::npos) << explained.out;

    workspace.write_lacerte(base_rows());
    EXPECT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    EXPECT_EQ(shares("marcus@example.com"), 1U);
    EXPECT_EQ(open_folders("elena@example.org"), 2U);
    for (const auto& [email, count] : emulator.invitations()) EXPECT_EQ(count, 1) << email;
}

TEST_F(PolicyTest, PreserveKeepsAccessOfClientsThatLeftTheExport) {
    configure("[removal]\nafter_absences = 1\n");  // preserve is the default
    workspace.write_lacerte(base_rows());
    ASSERT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    workspace.write_lacerte(without(base_rows(), "00202I"));
    EXPECT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    EXPECT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    EXPECT_EQ(shares("marcus@example.com"), 1U);
    EXPECT_EQ(emulator.count_requests("DELETE", "/itest/entities"), 0U);
}

TEST_F(PolicyTest, ArchiveTurnsOffLoginsOnlyOfContactsLeftWithNoClient) {
    configure("[removal]\npolicy = \"archive\"\nafter_absences = 1\n[safety]\nmax_revocations = 20\n");
    workspace.write_lacerte(base_rows());
    ASSERT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    // Marcus and Elena's only client leaves; Olivia's 1040 leaves but her business stays.
    workspace.write_lacerte(without(without(base_rows(), "00202I"), "00203I"));
    const auto result = workspace.taxsync({"once"});
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_FALSE(user("marcus@example.com")["InActiveDate"].is_null());
    EXPECT_FALSE(user("elena@example.org")["InActiveDate"].is_null());
    EXPECT_TRUE(user("olivia@example.com")["InActiveDate"].is_null());
    EXPECT_EQ(shares("olivia@example.com"), 1U);  // the business entity only
    EXPECT_EQ(shares("marcus@example.com"), 0U);
}

TEST_F(PolicyTest, SpouseLeavingTheExportLosesAccessUnderRevoke) {
    configure("[removal]\npolicy = \"revoke\"\n");
    workspace.write_lacerte(base_rows());
    ASSERT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    auto rows = base_rows();
    rows[1] = row("00202I", "Marcus", "Whitfield", "900-41-0003", "marcus@example.com");
    workspace.write_lacerte(rows);
    const auto result = workspace.taxsync({"once"});
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_EQ(shares("elena@example.org"), 0U);
    EXPECT_EQ(open_folders("elena@example.org"), 0U);
    EXPECT_EQ(shares("marcus@example.com"), 1U);
}

TEST_F(PolicyTest, MassRemovalIsHeldAtTheGate) {
    configure("[removal]\npolicy = \"revoke\"\nafter_absences = 1\n[safety]\nmax_revocations = 4\n");
    workspace.write_lacerte(base_rows());
    ASSERT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    workspace.write_lacerte({base_rows()[0]});
    const auto held = workspace.taxsync({"once"});
    EXPECT_EQ(held.exit_code, 3) << held.out;
    EXPECT_NE(held.out.find("revocations (limit 4)"), std::string::npos) << held.out;
    EXPECT_EQ(shares("marcus@example.com"), 1U);
    EXPECT_EQ(shares("sam@example.org"), 1U);
    ASSERT_EQ(workspace.taxsync({"approve"}).exit_code, 0);
    EXPECT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    EXPECT_EQ(shares("marcus@example.com"), 0U);
    EXPECT_EQ(shares("sam@example.org"), 0U);
    EXPECT_EQ(shares("ruth@example.net"), 1U);
}

TEST_F(PolicyTest, StaffAddressSendsTheClientToReviewAndTheRestGoesThrough) {
    // Someone at the firm uses the client's address for a staff login.
    const json staff = emulator.api("POST", "/users",
                                    {{"FirstName", "Olivia"}, {"LastName", "Chen"}, {"Email", "olivia@example.com"},
                                     {"OwnerType", "Staff"}, {"CanLogin", true}, {"SendWelcomeEmail", false}});
    workspace.write_lacerte(base_rows());
    const auto first = workspace.taxsync({"once"});
    EXPECT_EQ(first.exit_code, 3) << first.out << first.err;
    EXPECT_NE(first.out.find("review queue"), std::string::npos) << first.out;
    auto invitations = emulator.invitations();
    EXPECT_EQ(invitations.count("olivia@example.com"), 0U);
    EXPECT_EQ(invitations.size(), 4U);
    EXPECT_EQ(shares("olivia@example.com"), 0U) << "a staff user must never be given a client's share";

    const auto list = workspace.taxsync({"review", "list", "--json"});
    const json queue = json::parse(list.out);
    ASSERT_EQ(queue.size(), 2U) << list.out;
    EXPECT_NE(queue[0]["reason"].get<std::string>().find("type Staff"), std::string::npos);

    // Waiting clients are left alone by later cycles: no retries that hammer the portal.
    const std::size_t searches = emulator.count_requests("GET", "/itest/users");
    EXPECT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    EXPECT_EQ(emulator.count_requests("GET", "/itest/users"), searches);

    // The business is left alone for good; the 1040 is retried after the firm fixed the staff login.
    ASSERT_EQ(workspace.taxsync({"review", "ignore", "00204C"}).exit_code, 0);
    emulator.api("PATCH", "/users/" + staff["CWGuid"].get<std::string>(),
                 {{"OwnerType", "Staff"}, {"Email", "olivia.chen@firm.example"}});
    const auto retried = workspace.taxsync({"review", "retry", "lacerte:00203I"});
    ASSERT_EQ(retried.exit_code, 0) << retried.err;
    EXPECT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    invitations = emulator.invitations();
    EXPECT_EQ(invitations["olivia@example.com"], 1);
    EXPECT_EQ(shares("olivia@example.com"), 1U);  // the 1040 only: the business is ignored
    const json after = json::parse(workspace.taxsync({"review", "list", "--json"}).out);
    ASSERT_EQ(after.size(), 1U);
    EXPECT_EQ(after[0]["state"], "ignored");
}

TEST_F(PolicyTest, ReviewLinkAdoptsTheEntityStaffMadeByHand) {
    const json made = emulator.api("POST", "/entities", {{"Name", "Chen Holdings (by hand)"}, {"EntityNo", "CH-1"},
                                                         {"EntityType", "Client"}});
    const std::string entity = made["CWGuid"];
    configure("[safety]\nmax_invitations = 1\n");
    workspace.write_lacerte(base_rows());
    ASSERT_EQ(workspace.taxsync({"once"}).exit_code, 3);  // held: the clients are known, nothing was created
    const auto linked = workspace.taxsync({"review", "link", "lacerte:00204C", entity});
    ASSERT_EQ(linked.exit_code, 0) << linked.out << linked.err;
    EXPECT_NE(linked.out.find("linked to portal entity " + entity), std::string::npos);

    configure("");
    const auto result = workspace.taxsync({"once"});
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_TRUE(entity_id("00204C").empty()) << "no second entity for a linked client";
    const std::string olivia = user_id("olivia@example.com");
    bool shared = false;
    const json state = emulator.state();
    for (const auto& assignment : state["role_assignments"]) {
        shared = shared || (assignment["EntityId"] == entity && assignment["PersonId"] == olivia);
    }
    EXPECT_TRUE(shared);
    EXPECT_EQ(emulator.invitations()["olivia@example.com"], 1);
    const auto relink = workspace.taxsync({"review", "link", "00204C", "some-other-entity"});
    EXPECT_EQ(relink.exit_code, 1) << "an already linked client is not re-linked silently";
}

TEST_F(PolicyTest, InviteOnDemandResendsOnlyWhenAsked) {
    configure("[invitations]\nrecheck_hours = 0\n");
    workspace.write_lacerte(base_rows());
    ASSERT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    const auto plain = workspace.taxsync({"invite", "00201I"});
    EXPECT_EQ(plain.exit_code, 0);
    EXPECT_NE(plain.out.find("add --resend"), std::string::npos) << plain.out;
    EXPECT_NE(plain.out.find("Nothing to send"), std::string::npos);

    const auto resend = workspace.taxsync({"invite", "00201I", "--resend"});
    EXPECT_EQ(resend.exit_code, 0) << resend.err;
    EXPECT_NE(resend.out.find("1 invitation(s) queued"), std::string::npos) << resend.out;
    EXPECT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    EXPECT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    EXPECT_EQ(emulator.invitations()["ruth@example.net"], 2);
    EXPECT_EQ(emulator.invitations()["sam@example.org"], 1);

    // An accepted invitation is never sent again, even when asked.
    emulator.post("/_emulator/users/" + user_id("sam@example.org") + "/activate", json::object());
    EXPECT_EQ(workspace.taxsync({"once"}).exit_code, 0);  // reads the activation back
    const auto accepted = workspace.taxsync({"invite", "00205I", "--resend"});
    EXPECT_NE(accepted.out.find("accepted the invitation already"), std::string::npos) << accepted.out;
    EXPECT_EQ(json::parse(workspace.taxsync({"status", "--json"}).out)["people"]["activated"], 1);
}

TEST_F(PolicyTest, InvitePendingReachesContactsCreatedWithoutInvitation) {
    configure("invite = false\n");
    workspace.write_lacerte(base_rows());
    ASSERT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    EXPECT_TRUE(emulator.mailbox().empty());
    const auto pending = workspace.taxsync({"invite", "--pending"});
    EXPECT_EQ(pending.exit_code, 0) << pending.err;
    EXPECT_NE(pending.out.find("5 invitation(s) queued"), std::string::npos) << pending.out;
    EXPECT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    expect_each_invited_once(emulator, 5U);
    EXPECT_NE(workspace.taxsync({"invite", "--pending"}).out.find("Nothing to send"), std::string::npos);
}

TEST_F(PolicyTest, StagingRecordsThePlanAndSendsNothing) {
    configure("", "mode = \"plan\"\n");
    workspace.write_lacerte(base_rows());
    const auto once = workspace.taxsync({"once"});
    EXPECT_EQ(once.exit_code, 0) << once.out << once.err;
    EXPECT_TRUE(emulator.mailbox().empty());
    EXPECT_EQ(emulator.count_requests("POST", "/itest/"), 0U);
    EXPECT_EQ(outbox_rows("1"), 0);
    const auto status = workspace.taxsync({"status"});
    EXPECT_NE(status.out.find("mode = plan: the latest cycle would have run"), std::string::npos) << status.out;
    EXPECT_NE(status.out.find("create contact ruth@example.net"), std::string::npos) << status.out;
    const json staged = json::parse(workspace.taxsync({"status", "--json"}).out)["staged"];
    EXPECT_GT(staged.size(), 10U);
}

TEST_F(PolicyTest, VerifyFindsAccessTakenAwayByHandAndRepairPutsItBack) {
    configure("");
    workspace.write_lacerte(base_rows());
    ASSERT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    const auto clean = workspace.taxsync({"verify"});
    EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;
    EXPECT_NE(clean.out.find("The portal matches what taxsync granted"), std::string::npos) << clean.out;

    // Staff take Marcus's share away and close a folder to Elena, by hand; someone else is added.
    const std::string entity = entity_id("00202I");
    const json state = emulator.state();
    std::string role;
    for (const auto& assignment : state["role_assignments"]) {
        if (assignment["PersonId"] == user_id("marcus@example.com")) role = assignment["RoleId"];
    }
    emulator.api("DELETE", "/entities/" + entity + "/role-assignments?RoleId=" + role + "&PersonId=" +
                               user_id("marcus@example.com"), nullptr);
    std::string folder;
    for (const auto& candidate : state["folders"]) {
        if (candidate["EntityId"] == entity && candidate["Name"] == "Source Documents") folder = candidate["CWGuid"];
    }
    emulator.api("PUT", "/folders/" + folder + "/permissions",
                 {{"PersonId", user_id("elena@example.org")}, {"Access", "none"}});
    emulator.api("POST", "/entities/" + entity + "/role-assignments",
                 {{"RoleId", role}, {"People", json::array({user_id("ruth@example.net")})}});

    const auto found = workspace.taxsync({"verify"});
    EXPECT_EQ(found.exit_code, 3) << found.out << found.err;
    EXPECT_NE(found.out.find("lacerte:00202I marcus@example.com no longer holds the share"), std::string::npos)
        << found.out;
    EXPECT_NE(found.out.find("elena@example.org has none access to \"2025/Source Documents\" instead of upload"),
              std::string::npos)
        << found.out;
    EXPECT_NE(found.out.find("also shared with ruth@example.net"), std::string::npos) << found.out;
    EXPECT_EQ(workspace.taxsync({"verify", "00201I"}).exit_code, 0) << "another client has no drift";

    const auto repair = workspace.taxsync({"verify", "00202I", "--repair"});
    EXPECT_EQ(repair.exit_code, 0) << repair.out << repair.err;
    EXPECT_NE(repair.out.find("2 grant(s) will be put back"), std::string::npos) << repair.out;
    EXPECT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    const auto after = workspace.taxsync({"verify", "00202I"});
    EXPECT_EQ(after.exit_code, 0) << after.out;
    EXPECT_EQ(shares("marcus@example.com"), 1U);
    EXPECT_EQ(open_folders("elena@example.org"), 2U);
    EXPECT_EQ(emulator.invitations()["marcus@example.com"], 1) << "repair never re-invites";
}

TEST_F(PolicyTest, ExplainAndAuditTellTheStoryWithoutTaxIds) {
    configure("");
    workspace.write_lacerte(base_rows());
    ASSERT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    const auto explained = workspace.taxsync({"explain", "lacerte:00202I"});
    ASSERT_EQ(explained.exit_code, 0) << explained.err;
    for (const char* expected : {"Client lacerte:00202I", "Portal entity: ", "marcus@example.com", "elena@example.org",
                                 "invited", "Access granted by taxsync", "History of portal writes", "create_entity"}) {
        EXPECT_NE(explained.out.find(expected), std::string::npos) << expected << "\n" << explained.out;
    }
    EXPECT_NE(workspace.taxsync({"explain", "00299I"}).exit_code, 0);

    const auto csv = workspace.taxsync({"audit", "--csv"});
    ASSERT_EQ(csv.exit_code, 0);
    EXPECT_EQ(csv.out.rfind("at,cycle,operation,connector,client_id,action,target,outcome,detail\r\n", 0), 0U);
    auto db = sqlite::Database::open(workspace.database(), sqlite::OpenMode::ReadOnly);
    const auto rows = static_cast<std::size_t>(std::count(csv.out.begin(), csv.out.end(), '\n'));
    EXPECT_EQ(rows, 1U + static_cast<std::size_t>(db->query_int("SELECT count(*) FROM audit").value_or(-1)));
    const auto one = workspace.taxsync({"audit", "--client", "00201I", "--csv"});
    EXPECT_EQ(one.out.find("00202I"), std::string::npos);
    EXPECT_NE(one.out.find("00201I"), std::string::npos);
    EXPECT_NE(workspace.taxsync({"audit", "--since", "yesterday"}).exit_code, 0);
    EXPECT_EQ(workspace.taxsync({"audit", "--since", "2000-01-01"}).exit_code, 0);
    for (const char* tax_id : {"900-41-0003", "900410003", "98-7000002", "987000002"}) {
        EXPECT_EQ(workspace.transcript().find(tax_id), std::string::npos) << tax_id;
    }
}

}  // namespace
}  // namespace taxsync::testing
