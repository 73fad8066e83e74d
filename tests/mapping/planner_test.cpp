#include "mapping/planner.hpp"

#include <gtest/gtest.h>

#include "tests/mapping/planner_fixtures.hpp"

namespace taxsync::mapping {
namespace {

using testing::fully_applied;
using testing::no_contact_exists;

DesiredClient joint(const std::string& taxpayer_email, const std::string& spouse_email) {
    TaxClient c;
    c.connector = ConnectorName("lacerte");
    c.id = ClientId("1001I");
    c.tax_year = "2025";
    Person t;
    t.first_name = "John";
    t.last_name = "Smith";
    t.email = taxpayer_email;
    t.email_status = EmailStatus::Usable;
    Person s = t;
    s.role = PersonRole::Spouse;
    s.first_name = "Jane";
    s.email = spouse_email;
    c.people = {t, s};
    return desire(c, default_rules());
}

std::vector<std::string> kinds(const std::vector<Action>& actions) {
    std::vector<std::string> out;
    for (const auto& action : actions) out.push_back(kind_of(action));
    return out;
}

TEST(Planner, NewClientGetsEveryStepInOrder) {
    PlanContext context;
    const auto actions = plan_client(joint("john@example.com", "jane@example.com"), {}, no_contact_exists, context);
    EXPECT_EQ(kinds(actions), (std::vector<std::string>{"create_entity", "create_folder", "create_folder",
                                                        "create_contact", "create_contact", "share_entity",
                                                        "set_folder_access", "set_folder_access", "share_entity",
                                                        "set_folder_access", "set_folder_access"}));
    EXPECT_TRUE(sends_invitation(actions[3]));
    EXPECT_EQ(describe(actions[3]), "create contact john@example.com (John Smith) and send the invitation");
}

TEST(Planner, FullyAppliedClientNeedsNothing) {
    const auto desired = joint("john@example.com", "jane@example.com");
    PlanContext context;
    const auto exists = [](const std::string&) { return true; };
    EXPECT_TRUE(plan_client(desired, fully_applied(desired), exists, context).empty());
}

TEST(Planner, AContactPlannedForAnotherClientIsCreatedOnce) {
    PlanContext context;
    const auto first = plan_client(joint("owner@example.com", "x@example.com"), {}, no_contact_exists, context);
    const auto second = plan_client(joint("owner@example.com", "y@example.com"), {}, no_contact_exists, context);
    const auto invitations = [](const std::vector<Action>& actions) {
        return std::count_if(actions.begin(), actions.end(), sends_invitation);
    };
    EXPECT_EQ(invitations(first), 2);
    EXPECT_EQ(invitations(second), 1);  // only y@; owner@ is already on its way
    const auto shares = std::count_if(second.begin(), second.end(),
                                      [](const Action& a) { return std::holds_alternative<ShareEntity>(a); });
    EXPECT_EQ(shares, 2);  // but the owner still gets access to this client's entity
}

TEST(Planner, ChangedEmailUpdatesTheContactAndKeepsItsGrants) {
    const auto before = joint("john@example.com", "jane@example.com");
    const auto after = joint("john@example.com", "jane.new@example.com");
    const auto exists = [](const std::string& email) { return email != "jane.new@example.com"; };
    PlanContext context;
    const auto actions = plan_client(after, fully_applied(before), exists, context);
    ASSERT_EQ(actions.size(), 2U);
    const auto* update = std::get_if<UpdateContact>(&actions[0]);
    ASSERT_NE(update, nullptr);
    EXPECT_EQ(update->old_email, "jane@example.com");
    EXPECT_EQ(update->email, "jane.new@example.com");
    // The new address is invited; the grants follow the contact, so nothing else is needed.
    const auto* invite = std::get_if<InviteContact>(&actions[1]);
    ASSERT_NE(invite, nullptr);
    EXPECT_EQ(invite->email, "jane.new@example.com");
    EXPECT_FALSE(invite->reminder);
}

TEST(Planner, PreserveLeavesTheGrantsOfAPersonWhoLeftTheExport) {
    const auto before = joint("john@example.com", "jane@example.com");
    auto after = before;
    after.contacts.pop_back();  // the spouse is no longer in the export
    const auto exists = [](const std::string&) { return true; };
    PlanContext preserve;
    EXPECT_TRUE(plan_client(after, fully_applied(before), exists, preserve).empty());
}

TEST(Planner, RevokeTakesBackEveryGrantOfAPersonWhoLeftTheExport) {
    const auto before = joint("john@example.com", "jane@example.com");
    auto after = before;
    after.contacts.pop_back();
    const auto exists = [](const std::string&) { return true; };
    PlanContext revoke(true);
    const auto actions = plan_client(after, fully_applied(before), exists, revoke);
    const auto known = fully_applied(before);
    std::size_t janes = 0;
    for (const auto& grant : known.grants) janes += grant.email == "jane@example.com" ? 1 : 0;
    ASSERT_EQ(actions.size(), janes);
    for (const Action& action : actions) {
        const auto* revoked = std::get_if<RevokeAccess>(&action);
        ASSERT_NE(revoked, nullptr) << describe(action);
        EXPECT_EQ(revoked->email, "jane@example.com");
        EXPECT_TRUE(removes_access(action));
    }
}

TEST(Planner, RemovalTakesBackFoldersAndGroupsBeforeTheShareThenDeactivates) {
    const auto known = fully_applied(joint("john@example.com", "jane@example.com"));
    const auto actions = plan_removal(known, {"jane@example.com"});
    ASSERT_EQ(actions.size(), known.grants.size() + 1);
    std::vector<std::string> kinds;
    for (std::size_t i = 0; i + 1 < actions.size(); ++i) kinds.push_back(std::get<RevokeAccess>(actions[i]).kind);
    EXPECT_TRUE(std::is_sorted(kinds.begin(), kinds.end(), [](const std::string& a, const std::string& b) {
        const auto rank = [](const std::string& kind) { return kind == "folder" ? 0 : kind == "group" ? 1 : 2; };
        return rank(a) < rank(b);
    }));
    EXPECT_EQ(kinds.back(), "role");
    EXPECT_EQ(std::get<DeactivateContact>(actions.back()).email, "jane@example.com");
    EXPECT_TRUE(plan_removal(KnownState{}, {}).empty());
}

TEST(Planner, ChangedEmailOfASharedContactMakesANewContactInstead) {
    const auto before = joint("john@example.com", "jane@example.com");
    auto known = fully_applied(before);
    known.linked[PersonRole::Spouse].shared_with_other_clients = true;
    const auto exists = [](const std::string& email) { return email != "jane.new@example.com"; };
    PlanContext context;
    const auto actions = plan_client(joint("john@example.com", "jane.new@example.com"), known, exists, context);
    EXPECT_EQ(std::count_if(actions.begin(), actions.end(), sends_invitation), 1);
    EXPECT_EQ(std::count_if(actions.begin(), actions.end(),
                            [](const Action& a) { return std::holds_alternative<UpdateContact>(a); }),
              0);
}

TEST(Planner, RenamedClientAndChangedAccessAreUpdatedOnlyWhereTheyDiffer) {
    const auto desired = joint("john@example.com", "jane@example.com");
    auto known = fully_applied(desired);
    known.entity_name = "Old Name";
    known.grants.erase({"jane@example.com", "folder", "2025/Source Documents", "upload"});
    known.grants.insert({"jane@example.com", "folder", "2025/Source Documents", "read"});
    PlanContext context;
    const auto actions = plan_client(desired, known, [](const std::string&) { return true; }, context);
    EXPECT_EQ(kinds(actions), (std::vector<std::string>{"rename_entity", "set_folder_access"}));
}

TEST(Planner, NamesOfAdoptedContactsAreLeftAlone) {
    const auto desired = joint("john@example.com", "jane@example.com");
    auto known = fully_applied(desired);
    known.linked[PersonRole::Taxpayer].first_name = "Johnny";
    PlanContext context;
    EXPECT_EQ(kinds(plan_client(desired, known, [](const std::string&) { return true; }, context)),
              std::vector<std::string>{"update_contact"});
    known.linked[PersonRole::Taxpayer].adopted = true;
    EXPECT_TRUE(plan_client(desired, known, [](const std::string&) { return true; }, context).empty());
}

TEST(Operation, JsonRoundTripKeepsEveryField) {
    const std::vector<Action> all = {
        CreateEntity{"k", "n"}, RenameEntity{"n2"}, CreateFolder{"2025/x"},
        CreateContact{"a@b.co", "A", "B", true, "hi"}, UpdateContact{"a@b.co", "c@d.co", "A", "B"},
        RevokeAccess{"a@b.co", "folder", "2025/Tax Returns"}, DeactivateContact{"a@b.co"},
        InviteContact{"a@b.co", "welcome back", true},
        ShareEntity{"a@b.co", "R"}, AddToGroup{"a@b.co", "G"}, SetFolderAccess{"a@b.co", "2025/x", Access::Upload}};
    for (const Action& action : all) {
        const auto back = action_from_json(kind_of(action), to_json_text(action));
        ASSERT_TRUE(back.has_value());
        EXPECT_EQ(to_json_text(*back), to_json_text(action));
        EXPECT_EQ(kind_of(*back), kind_of(action));
    }
    EXPECT_TRUE(action_from_json("explode", "{}").has_error());
}

}  // namespace
}  // namespace taxsync::mapping
