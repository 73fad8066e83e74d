// Per-client overrides and the yearly document request, through the real binary and emulator.

#include <gtest/gtest.h>

#include "tests/integration/harness.hpp"

namespace taxsync::testing {
namespace {

using nlohmann::json;

std::vector<std::string> two_clients() {
    return {Exports::lacerte_row("00101I", "Thomas", "Berg", "900-31-0001", "berg@example.net"),
            Exports::lacerte_row("00102I", "Marcus", "Whitfield", "900-31-0003", "marcus@example.com", "Elena",
                                 "Whitfield", "900-31-0004", "elena@example.org")};
}

class OverrideRequestTest : public ::testing::Test {
protected:
    TempDir dir;
    Emulator emulator{dir.path() / "emulator"};
    Workspace workspace{emulator};

    // Folder paths of the client's entity, e.g. "2025/Tax Returns".
    std::set<std::string> folder_paths(const json& state, const std::string& client_key) {
        std::string entity;
        for (const auto& item : state["entities"]) {
            if (item["EntityNo"] == client_key) entity = item["CWGuid"];
        }
        std::map<std::string, std::pair<std::string, std::string>> by_id;  // id -> (name, parent)
        for (const auto& folder : state["folders"]) {
            if (folder["EntityId"] != entity) continue;
            by_id[folder["CWGuid"]] = {folder["Name"], folder["ParentId"].is_string() ? folder["ParentId"] : ""};
        }
        std::set<std::string> paths;
        for (const auto& [id, folder] : by_id) {
            std::string path = folder.first;
            for (std::string parent = folder.second; !parent.empty(); parent = by_id[parent].second) {
                path = by_id[parent].first + "/" + path;
            }
            paths.insert(path);
        }
        return paths;
    }

    // Role names the user holds on any entity.
    std::set<std::string> roles_of(const json& state, const std::string& email) {
        std::string user;
        for (const auto& item : state["users"]) {
            if (item["Email"] == email) user = item["CWGuid"];
        }
        std::map<std::string, std::string> role_names;
        for (const auto& role : state["roles"]) role_names[role["CWGuid"]] = role["Name"];
        std::set<std::string> roles;
        for (const auto& assignment : state["role_assignments"]) {
            if (assignment["PersonId"] == user) roles.insert(role_names[assignment["RoleId"]]);
        }
        return roles;
    }

    std::map<std::string, int> file_requests() {
        std::map<std::string, int> out;
        const json mailbox = emulator.mailbox();
        for (const auto& mail : mailbox) {
            if (mail["kind"] == "file_request") ++out[mail["to"].get<std::string>()];
        }
        return out;
    }
};

TEST_F(OverrideRequestTest, OverriddenClientGetsItsOwnFoldersAndRoleAndTheOtherTheDefaults) {
    workspace.write_config("", R"(
[[override]]
name = "Estate"
match = { client_ids = ["00102i"], connector = "lacerte" }
role = "Contact - Entity Access"
folders = [ { path = "{tax_year}/Estate Papers", access = "upload" } ]
)");
    workspace.write_lacerte(two_clients());

    const auto plan = workspace.taxsync({"plan", "--json"});
    ASSERT_EQ(plan.exit_code, 2) << plan.out << plan.err;
    const json report = json::parse(plan.out);
    std::map<std::string, json> notes;
    for (const auto& client : report["clients"]) notes[client["client_id"]] = client["notes"];
    EXPECT_EQ(notes["00102I"], json::array({"override \"Estate\" applies"}));
    EXPECT_EQ(notes["00101I"], json::array());
    const auto text_plan = workspace.taxsync({"plan"});
    EXPECT_NE(text_plan.out.find("note: override \"Estate\" applies"), std::string::npos) << text_plan.out;

    const auto result = workspace.taxsync({"once"});
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
    const json state = emulator.state();
    EXPECT_EQ(folder_paths(state, "lacerte:00102I"), (std::set<std::string>{"2025", "2025/Estate Papers"}));
    EXPECT_EQ(folder_paths(state, "lacerte:00101I"),
              (std::set<std::string>{"2025", "2025/Tax Returns", "2025/Source Documents"}));
    EXPECT_EQ(roles_of(state, "marcus@example.com"), (std::set<std::string>{"Contact - Entity Access"}));
    EXPECT_EQ(roles_of(state, "elena@example.org"), (std::set<std::string>{"Contact - Entity Access"}));
    EXPECT_EQ(roles_of(state, "berg@example.net"), (std::set<std::string>{"Contact - Entity Collaborator"}));
    std::size_t uploads = 0;
    for (const auto& permission : state["permissions"]) uploads += permission["Access"] == "upload" ? 1 : 0;
    EXPECT_EQ(uploads, 3U);  // Estate Papers for two contacts, Source Documents for one

    const auto again = workspace.taxsync({"plan"});
    EXPECT_NE(again.out.find("Nothing to do"), std::string::npos) << again.out;
}

TEST_F(OverrideRequestTest, DocumentRequestGoesOncePerContactAndTaxYearAcrossCycles) {
    const std::string request = R"(
[document_request]
enabled = true
subject = "{tax_year} documents for {entity_name}"
message = "Dear {contact_first_name}, please upload your papers."
attach = "{tax_year}/Organizer/{client_id} Organizer.pdf"
)";
    workspace.write_config("", request);
    workspace.write_lacerte(two_clients());
    const auto first = workspace.taxsync({"once"});
    ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
    const std::map<std::string, int> once = {
        {"berg@example.net", 1}, {"marcus@example.com", 1}, {"elena@example.org", 1}};
    EXPECT_EQ(file_requests(), once);
    const json state = emulator.state();
    ASSERT_EQ(state["activities"].size(), 3U);
    for (const auto& activity : state["activities"]) {
        EXPECT_EQ(activity["Subject"].get<std::string>().rfind("2025 documents for ", 0), 0U);
        EXPECT_EQ(activity["Recipients"].size(), 1U);
        EXPECT_EQ(activity["Attachments"], json::array());  // the emulator holds no files
    }

    // Second cycle: a changed name and changed request texts plan every client again; nobody is asked twice.
    auto rows = two_clients();
    rows[0] = Exports::lacerte_row("00101I", "Tom", "Berg", "900-31-0001", "berg@example.net");
    workspace.write_lacerte(rows);
    workspace.write_config("", request + "description = \"New text\"\n");
    const auto second = workspace.taxsync({"once"});
    ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
    EXPECT_EQ(file_requests(), once);
    EXPECT_EQ(emulator.count_requests("POST", "/activities"), 3U);
    EXPECT_NE(workspace.taxsync({"plan"}).out.find("Nothing to do"), std::string::npos);
}

TEST_F(OverrideRequestTest, ALostAnswerToADocumentRequestIsNeverFollowedByASecondRequest) {
    workspace.write_config("", "[document_request]\nenabled = true\n");
    workspace.write_lacerte(two_clients());
    // The portal sends the first request but its answer never arrives.
    emulator.faults(
        {{"rules", json::array({{{"method", "POST"}, {"path", "/activities"}, {"drop", "after"}, {"times", 1}}})}});
    const auto first = workspace.taxsync({"once"});
    EXPECT_NE(first.exit_code, 0) << first.out;  // reported, not hidden
    EXPECT_NE(first.out.find("is counted as sent and not repeated: check the portal"), std::string::npos)
        << first.out << first.err;

    emulator.faults({{"rules", json::array()}});
    const auto second = workspace.taxsync({"once"});
    EXPECT_EQ(second.exit_code, 0) << second.out << second.err;
    const std::map<std::string, int> once = {
        {"berg@example.net", 1}, {"marcus@example.com", 1}, {"elena@example.org", 1}};
    EXPECT_EQ(file_requests(), once);
    EXPECT_EQ(emulator.count_requests("POST", "/activities"), 3U);
}

TEST_F(OverrideRequestTest, WithHonouredIdempotencyKeysALostAnswerIsRecoveredInTheSameCycle) {
    workspace.write_config("idempotency_keys = true\n", "[document_request]\nenabled = true\n");
    workspace.write_lacerte(two_clients());
    emulator.faults(
        {{"rules", json::array({{{"method", "POST"}, {"path", "/activities"}, {"drop", "after"}, {"times", 1}}})}});
    const auto result = workspace.taxsync({"once"});
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    const std::map<std::string, int> once = {
        {"berg@example.net", 1}, {"marcus@example.com", 1}, {"elena@example.org", 1}};
    EXPECT_EQ(file_requests(), once);  // the resent request was answered from the first one
}

TEST_F(OverrideRequestTest, NoDocumentRequestWhenDisabled) {
    workspace.write_config("", "[document_request]\nenabled = false\n");
    workspace.write_lacerte(two_clients());
    const auto result = workspace.taxsync({"once"});
    ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_TRUE(file_requests().empty());
    EXPECT_EQ(emulator.invitations().size(), 3U);
    EXPECT_TRUE(emulator.state()["activities"].empty());
}

}  // namespace
}  // namespace taxsync::testing
