#include "mapping/desired.hpp"

#include <gtest/gtest.h>

namespace taxsync::mapping {
namespace {

Person person(PersonRole role, std::string first, std::string last, std::string email,
              EmailStatus status = EmailStatus::Usable) {
    Person p;
    p.role = role;
    p.first_name = std::move(first);
    p.last_name = std::move(last);
    p.email = std::move(email);
    p.email_status = status;
    return p;
}

TaxClient household() {
    TaxClient c;
    c.connector = ConnectorName("lacerte");
    c.id = ClientId("00417I");
    c.tax_year = "2025";
    c.office = "Austin";
    c.people = {person(PersonRole::Taxpayer, "John", "Smith", "js@example.com"),
                person(PersonRole::Spouse, "Jane", "Smith", "js@example.com")};
    return c;
}

TEST(Desire, SpousesSharingAnAddressBecomeOneContact) {
    auto rules = default_rules();
    rules.firm_name = "Lee & Co";
    const auto desired = desire(household(), rules);
    EXPECT_EQ(desired.external_key, "lacerte:00417I");
    EXPECT_EQ(desired.entity_name, "Smith, John & Jane");
    ASSERT_EQ(desired.contacts.size(), 1U);
    EXPECT_EQ(desired.contacts[0].roles.size(), 2U);
    EXPECT_NE(desired.contacts[0].invitation_message.find("Hello John, Lee & Co"), std::string::npos);
    ASSERT_EQ(desired.folders.size(), 2U);
    EXPECT_EQ(desired.folders[0].path, "2025/Tax Returns");
    EXPECT_EQ(desired.folders[1].access, Access::Upload);
}

TEST(Desire, PeopleWithoutUsableEmailGetNoContact) {
    auto client = household();
    client.people[0].email_status = EmailStatus::Invalid;
    client.people[0].email = "js@@example";
    client.people[1] = person(PersonRole::Spouse, "Jane", "Smith", "", EmailStatus::Missing);
    const auto desired = desire(client, default_rules());
    EXPECT_TRUE(desired.contacts.empty());
    EXPECT_EQ(desired.folders.size(), 2U);  // the entity and its folders are still wanted
}

TEST(Desire, FolderWithAnEmptyPathPartIsSkippedWithANote) {
    auto client = household();
    client.tax_year.clear();
    const auto desired = desire(client, default_rules());
    EXPECT_TRUE(desired.folders.empty());
    ASSERT_EQ(desired.notes.size(), 2U);
    EXPECT_NE(desired.notes[0].find("tax year"), std::string::npos);
}

TEST(Desire, GroupRulesMatchOnFieldsWithoutRegardToCase) {
    auto rules = default_rules();
    rules.groups.push_back({Template::parse("Office {office}", client_fields()).value(), {{"office", {"austin"}}}});
    rules.groups.push_back({Template::parse("Businesses", client_fields()).value(), {{"entity_kind", {"business"}}}});
    rules.groups.push_back({Template::parse("Everyone", client_fields()).value(), {}});
    const auto desired = desire(household(), rules);
    EXPECT_EQ(desired.groups, (std::vector<std::string>{"Office Austin", "Everyone"}));
}

TEST(Desire, InvitationMessageIsShortenedToThePortalsLimitAtAWord) {
    auto rules = default_rules();
    rules.message_limit = 40;
    const auto desired = desire(household(), rules);
    const std::string& message = desired.contacts[0].invitation_message;
    EXPECT_LE(message.size(), 40U);
    EXPECT_NE(message.back(), ' ');
    EXPECT_EQ(message.rfind("Hello John,", 0), 0U);
}

TEST(Desire, RulesFingerprintFollowsEveryRule) {
    const auto base = default_rules();
    auto changed = default_rules();
    EXPECT_EQ(base.fingerprint(), changed.fingerprint());
    changed.folders[1].access = Access::Read;
    EXPECT_NE(base.fingerprint(), changed.fingerprint());
    changed = default_rules();
    changed.role = "Contact - Entity Access";
    EXPECT_NE(base.fingerprint(), changed.fingerprint());
}

}  // namespace
}  // namespace taxsync::mapping
