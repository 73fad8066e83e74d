// Per-client overrides of the folder, group, role and invitation rules.

#include <gtest/gtest.h>

#include "mapping/desired.hpp"

namespace taxsync::mapping {
namespace {

TaxClient client(const std::string& id, const std::string& office, const std::string& return_type = "1040") {
    TaxClient c;
    c.connector = ConnectorName("lacerte");
    c.id = ClientId(id);
    c.tax_year = "2025";
    c.office = office;
    c.preparer = "RK";
    c.return_type = return_type;
    Person p;
    p.first_name = "Ann";
    p.last_name = "Lee";
    p.email = "ann-" + id + "@example.com";
    p.email_status = EmailStatus::Usable;
    c.people = {p};
    return c;
}

Template client_template(const std::string& text) { return Template::parse(text, client_fields()).value(); }

Override trust_override() {
    Override rule;
    rule.label = "\"Trusts\"";
    rule.match = {{"return_type", {"1041"}}};
    rule.role = "Contact - Entity Access";
    rule.folders = std::vector<FolderRule>{{client_template("{tax_year}/Trust Accounting"), Access::Upload}};
    return rule;
}

std::vector<std::string> paths(const DesiredClient& desired) {
    std::vector<std::string> out;
    for (const auto& folder : desired.folders) out.push_back(folder.path);
    return out;
}

TEST(Override, MatchingClientGetsItsOwnRoleAndFoldersAndTheOthersTheDefaults) {
    auto rules = default_rules();
    rules.overrides.push_back(trust_override());

    const auto trust = desire(client("7001T", "Austin", "1041"), rules);
    EXPECT_EQ(trust.role, "Contact - Entity Access");
    EXPECT_EQ(paths(trust), (std::vector<std::string>{"2025/Trust Accounting"}));
    EXPECT_EQ(trust.folders[0].access, Access::Upload);
    EXPECT_EQ(trust.overrides, (std::vector<std::string>{"\"Trusts\""}));
    ASSERT_FALSE(trust.notes.empty());
    EXPECT_EQ(trust.notes[0], "override \"Trusts\" applies");

    const auto household = desire(client("1001I", "Austin"), rules);
    EXPECT_EQ(household.role, "Contact - Entity Collaborator");
    EXPECT_EQ(paths(household), (std::vector<std::string>{"2025/Tax Returns", "2025/Source Documents"}));
    EXPECT_TRUE(household.overrides.empty());
    EXPECT_TRUE(household.notes.empty());
}

TEST(Override, EveryConditionMustHoldAndEachIsAnyOfWithoutRegardToCase) {
    auto rules = default_rules();
    Override rule;
    rule.label = "#1";
    rule.match = {{"client_id", {"00417i", "00500I"}}, {"connector", {"LACERTE"}}};
    rule.invite = false;
    rules.overrides.push_back(rule);

    EXPECT_FALSE(desire(client("00417I", "Austin"), rules).invite);
    EXPECT_FALSE(desire(client("00500I", "Austin"), rules).invite);
    EXPECT_TRUE(desire(client("00418I", "Austin"), rules).invite);
    auto other_connector = client("00417I", "Austin");
    other_connector.connector = ConnectorName("proseries");
    EXPECT_TRUE(desire(other_connector, rules).invite);
}

TEST(Override, LaterOverridesWinAndExtrasAdd) {
    auto rules = default_rules();
    rules.groups.push_back({client_template("Office {office}"), {}});
    Override first;
    first.label = "#1";
    first.match = {{"office", {"Austin"}}};
    first.role = "First Role";
    first.groups = std::vector<Template>{client_template("Austin Clients")};
    first.extra_folders = {{client_template("{tax_year}/Engagement"), Access::Read}};
    Override second;
    second.label = "#2";
    second.match = {{"preparer", {"rk"}}};
    second.role = "Second Role";
    second.extra_groups = {client_template("Preparer {preparer}")};
    second.extra_folders = {{client_template("{tax_year}/Engagement"), Access::Upload}};
    rules.overrides = {first, second};

    const auto desired = desire(client("1001I", "Austin"), rules);
    EXPECT_EQ(desired.role, "Second Role");
    EXPECT_EQ(desired.groups, (std::vector<std::string>{"Austin Clients", "Preparer RK"}));
    EXPECT_EQ(paths(desired),
              (std::vector<std::string>{"2025/Tax Returns", "2025/Source Documents", "2025/Engagement"}));
    EXPECT_EQ(desired.folders[2].access, Access::Upload);  // the later rule for the same path decides
    EXPECT_EQ(desired.overrides, (std::vector<std::string>{"#1", "#2"}));

    // Outside Austin only the second applies, on top of the group rules.
    const auto dallas = desire(client("1002I", "Dallas"), rules);
    EXPECT_EQ(dallas.groups, (std::vector<std::string>{"Office Dallas", "Preparer RK"}));
}

TEST(Override, InvitationMessageIsReplacedForTheMatchingClient) {
    auto rules = default_rules();
    Override rule;
    rule.label = "#1";
    rule.match = {{"entity_kind", {"INDIVIDUAL"}}};
    rule.invitation_message = Template::parse("Welcome, {contact_first_name}.", message_fields()).value();
    rules.overrides.push_back(rule);
    const auto desired = desire(client("1001I", "Austin"), rules);
    ASSERT_EQ(desired.contacts.size(), 1U);
    EXPECT_EQ(desired.contacts[0].invitation_message, "Welcome, Ann.");
}

TEST(Override, FingerprintChangesWithEveryPartOfAnOverride) {
    auto rules = default_rules();
    const std::string without = rules.fingerprint();
    rules.overrides.push_back(trust_override());
    const std::string with = rules.fingerprint();
    EXPECT_NE(without, with);

    auto changed = rules;
    changed.overrides[0].match[0].any_of = {"1065"};
    EXPECT_NE(changed.fingerprint(), with);
    changed = rules;
    changed.overrides[0].role = "Contact - Entity Collaborator";
    EXPECT_NE(changed.fingerprint(), with);
    changed = rules;
    (*changed.overrides[0].folders)[0].access = Access::Read;
    EXPECT_NE(changed.fingerprint(), with);
    changed = rules;
    changed.overrides[0].extra_groups.push_back(client_template("VIP"));
    EXPECT_NE(changed.fingerprint(), with);
    changed = rules;
    changed.overrides[0].invite = true;
    EXPECT_NE(changed.fingerprint(), with);
    changed = rules;
    changed.overrides[0].groups = std::vector<Template>{};  // "no groups" differs from "unchanged"
    EXPECT_NE(changed.fingerprint(), with);
}

}  // namespace
}  // namespace taxsync::mapping
