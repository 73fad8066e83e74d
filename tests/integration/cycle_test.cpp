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
        Exports::lacerte_row("00102I", "Marcus", "Whitfield", "900-31-0003", "marcus@example.com", "Elena", "Whitfield",
                             "900-31-0004", "elena@example.org"),
        Exports::lacerte_row("00103I", "Harold", "Finch", "900-31-0005", ""),
        Exports::lacerte_row("00104I", "Gloria", "Mendes", "900-31-0006", "gloria@@example.com"),
        Exports::lacerte_row("00105I", "Olivia", "Chen", "900-31-0007", "olivia@example.com"),
        Exports::lacerte_row("00106C", "Olivia", "Chen", "98-7000001", "olivia@example.com"),
    };
}

const std::set<std::string> kEligible = {"berg@example.net", "marcus@example.com", "elena@example.org",
                                         "olivia@example.com"};

// Every cycle test runs against both dialects: the engine must not care which one it talks to.
class CycleTest : public ::testing::TestWithParam<Dialect> {
protected:
    TempDir dir;
    Emulator emulator{dir.path() / "emulator", GetParam()};
    Workspace workspace{emulator};

    [[nodiscard]] bool caseware() const { return GetParam() == Dialect::Caseware; }
    std::string user_id(const std::string& email) { return emulator.contact_id(email); }

    // Makes a SmartVault firm client with one person, as a staff member would by hand.
    void make_smartvault_client(const std::string& client_id, const std::string& name, const std::string& first_name,
                                const std::string& last_name, const std::string& email) {
        json client = {
            {"type_qualifier", "Individual"},
            {"client_id", client_id},
            {"persons", json::array({{{"names", json::array({{{"FirstName", first_name}, {"LastName", last_name}}})},
                                      {"email_addresses", json::array({{{"address", email}}})},
                                      {"is_primary", true}}})}};
        if (!name.empty()) client["name"] = name;
        const json made = emulator.smartvault(
            "PUT", "/nodes/entity/SmartVault.Accounting.Firm/itest/SmartVault.Accounting.FirmClient",
            {{"entity",
              {{"meta_data", {{"entity_definition", "SmartVault.Accounting.Client"}}},
               {"smart_vault", {{"accounting", {{"client", client}}}}}}}});
        ASSERT_TRUE(made["error"]["success"].get<bool>()) << made.dump();
    }
};

INSTANTIATE_TEST_SUITE_P(Dialects, CycleTest, ::testing::Values(Dialect::Caseware, Dialect::Smartvault),
                         [](const ::testing::TestParamInfo<Dialect>& param_info) {
                             return dialect_name(param_info.param);
                         });

TEST_P(CycleTest, FirstSyncInvitesEveryEligibleContactExactlyOnce) {
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

    EXPECT_EQ(emulator.entity_count(), 6U);  // every client gets an entity, with or without contacts
    EXPECT_EQ(emulator.contact_emails(), kEligible);
    // The business owner has access to both of her clients' entities.
    EXPECT_TRUE(emulator.has_access("olivia@example.com", "lacerte:00105I"));
    EXPECT_TRUE(emulator.has_access("olivia@example.com", "lacerte:00106C"));
    EXPECT_FALSE(emulator.has_access("olivia@example.com", "lacerte:00101I"));
    EXPECT_TRUE(emulator.has_access("elena@example.org", "lacerte:00102I"));
    const json state = emulator.state();
    if (caseware()) {
        // Two folders per entity, with the configured access.
        EXPECT_EQ(state["folders"].size(), 6U * 3U);  // "2025" plus its two children
        std::size_t uploads = 0;
        for (const auto& permission : state["permissions"]) uploads += permission["Access"] == "upload" ? 1 : 0;
        EXPECT_EQ(uploads, 5U);  // one upload folder per contact per client: berg, marcus, elena, olivia x2
    } else {
        // The template's three folders plus "2025" and its two children, in every client's vault.
        EXPECT_EQ(state["folders"].size(), 6U * (3U + 3U));
        // Access is per group: Client Contacts may upload to Source Documents of the clients with contacts.
        std::size_t uploads = 0;
        for (const auto& access : state["folder_access"]) {
            const std::string path = access["path"];
            uploads += access["group"] == "Client Contacts" && path.ends_with("2025/Source Documents") &&
                               access["access"] == "RWC"
                           ? 1
                           : 0;
        }
        EXPECT_EQ(uploads, 4U);  // Berg, Whitfield, and both of Olivia's clients
        // Joint filers with two addresses: two persons on one client.
        EXPECT_EQ(user_id("marcus@example.com"), "00102I#0");
        EXPECT_EQ(user_id("elena@example.org"), "00102I#1");
    }

    const auto status = workspace.taxsync({"status", "--json"});
    ASSERT_EQ(status.exit_code, 0) << status.err;
    const json people = json::parse(status.out)["people"];
    EXPECT_EQ(people["invited"], 6);  // both Bergs share one contact; Olivia counts once per client
    EXPECT_EQ(people["missing_email"], 1);
    EXPECT_EQ(people["invalid_email"], 1);
    EXPECT_EQ(people["failed"], 0);
}

TEST_P(CycleTest, SecondSyncOfTheSameExportSendsNothing) {
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

TEST_P(CycleTest, RewrittenExportWithTheSameClientsSendsNothing) {
    workspace.write_lacerte(demo_rows());
    ASSERT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    auto reordered = demo_rows();
    std::reverse(reordered.begin(), reordered.end());
    workspace.write_lacerte(reordered);  // a new file: read again, but no client changed
    const auto result = workspace.taxsync({"once"});
    EXPECT_EQ(result.exit_code, 0) << result.out;
    EXPECT_NE(result.out.find("0 new, 0 changed"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("0 operation(s) done"), std::string::npos) << result.out;
    if (caseware()) {
        EXPECT_EQ(emulator.count_requests("POST", "/users"), kEligible.size());
    }
    EXPECT_EQ(emulator.invitations().size(), kEligible.size());
}

TEST_P(CycleTest, PlanShowsTheWorkAndTouchesNeitherPortalNorState) {
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

TEST_P(CycleTest, ChangedEmailUpdatesTheContactInPlace) {
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
    EXPECT_EQ(emulator.contact_emails().size(), 4U);
    if (emulator.dialect() == Dialect::Caseware) {
        EXPECT_EQ(emulator.invitations()["elena.w@example.org"], 1);  // the new address is invited, once
    }
    EXPECT_EQ(workspace.taxsync({"plan"}).exit_code, 0);
}

TEST_P(CycleTest, MissingEmailIsReportedAndNothingIsInvented) {
    workspace.write_lacerte(demo_rows());
    ASSERT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    const auto status = workspace.taxsync({"status"});
    EXPECT_NE(status.out.find("lacerte:00103I taxpayer Harold Finch: missing email"), std::string::npos) << status.out;
    EXPECT_NE(status.out.find("invalid email \"gloria@@example.com\""), std::string::npos) << status.out;
    EXPECT_EQ(emulator.contact_emails(), kEligible);  // nobody invented for Finch or Mendes
    // Adding the address in the tax package later invites the person on the next cycle.
    auto rows = demo_rows();
    rows[2] = Exports::lacerte_row("00103I", "Harold", "Finch", "900-31-0005", "harold@example.com");
    workspace.write_lacerte(rows);
    EXPECT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    EXPECT_EQ(emulator.invitations()["harold@example.com"], 1);
}

TEST_P(CycleTest, ContactAndEntityThatAlreadyExistAreAdoptedNotDuplicated) {
    // Staff made the entity and the contact by hand, the contact already with portal access.
    std::string marcus;
    if (caseware()) {
        const json entity =
            emulator.api("POST", "/entities", {{"Name", "Whitfield (by hand)"}, {"EntityNo", "lacerte:00102I"}});
        marcus = emulator.api("POST", "/users",
                              {{"FirstName", "Marcus"},
                               {"LastName", "Whitfield"},
                               {"Email", "Marcus@Example.com"},
                               {"OwnerType", "Contact"},
                               {"EntityId", entity["CWGuid"]},
                               {"CanLogin", true}})["CWGuid"];
    } else {
        // SmartVault's own Lacerte import made the client with the tax package's client id and no
        // alias; a staff member invited Marcus.
        make_smartvault_client("00102I", "Whitfield (by hand)", "Marcus", "Whitfield", "Marcus@Example.com");
        if (HasFatalFailure()) return;
        const json added = emulator.smartvault(
            "PUT", "/nodes/grp/itest/00102I/groups/Client%20Contacts/marcus%40example.com", nullptr);
        ASSERT_TRUE(added["error"]["success"].get<bool>()) << added.dump();
        marcus = "00102I#0";
    }
    const std::size_t staff_invitations = emulator.invitations().size();
    workspace.write_lacerte(demo_rows());
    const auto result = workspace.taxsync({"once"});
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;

    EXPECT_EQ(emulator.entity_count(), 6U);
    EXPECT_EQ(emulator.contact_emails().size(), 4U);
    EXPECT_EQ(user_id("Marcus@Example.com"), marcus);
    // Already had access: no second email.
    EXPECT_EQ(emulator.invitations().size(), staff_invitations + kEligible.size() - 1);
    EXPECT_EQ(emulator.invitations().count("Marcus@Example.com"), 0U);
    EXPECT_TRUE(emulator.has_access(caseware() ? "Marcus@Example.com" : "marcus@example.com", "lacerte:00102I"));
    EXPECT_EQ(emulator.entity_name("lacerte:00102I"), "Whitfield, Marcus & Elena");  // renamed as the rules say
    EXPECT_EQ(workspace.taxsync({"plan"}).exit_code, 0);
}

TEST_P(CycleTest, ExistingContactWithoutPortalAccessIsInvitedOnce) {
    if (caseware()) {
        const json entity = emulator.api("POST", "/entities", {{"Name", "Other"}, {"EntityNo", "staff:1"}});
        emulator.api("POST", "/users",
                     {{"FirstName", "Elena"},
                      {"LastName", "Whitfield"},
                      {"Email", "elena@example.org"},
                      {"OwnerType", "Contact"},
                      {"EntityId", entity["CWGuid"]},
                      {"CanLogin", false}});
    } else {
        // A person on another client, never added to any Client Contacts group.
        make_smartvault_client("STAFF1", "", "Elena", "Whitfield", "elena@example.org");
        if (HasFatalFailure()) return;
    }
    workspace.write_lacerte(demo_rows());
    ASSERT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    ASSERT_EQ(workspace.taxsync({"once"}).exit_code, 0);
    EXPECT_EQ(emulator.invitations()["elena@example.org"], 1);
    EXPECT_EQ(emulator.contact_emails().size(), 4U);
    EXPECT_TRUE(emulator.has_access("elena@example.org", "lacerte:00102I"));
    if (!caseware()) {
        // The staff client's vault stays closed to her: her export names only 00102I.
        const json state = emulator.state();  // a range-for over a temporary's member would dangle
        for (const auto& member : state["group_members"]) EXPECT_NE(member["vault"], "STAFF1");
    }
}

TEST_P(CycleTest, BadRowsAreReportedWithFileLineAndReasonAndTheRestGoThrough) {
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

TEST_P(CycleTest, TaxIdsAndSecretsNeverLeaveTheMachine) {
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
    EXPECT_NE(workspace.transcript().find(caseware() ? "POST /users -> 201" : "PUT /nodes/grp/"),
              std::string::npos);  // debug logging was on
    if (!caseware()) {
        // The app's private key never shows either.
        const std::string key = read_file(emulator.private_key_file());
        const std::string key_body = key.substr(key.find('\n') + 1, 64);
        EXPECT_EQ(everything.find(key_body), std::string::npos);
    }

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
