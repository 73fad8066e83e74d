// The document request: who gets it, when it is planned, and its outbox form.

#include <gtest/gtest.h>

#include "mapping/planner.hpp"
#include "tests/mapping/planner_fixtures.hpp"

namespace taxsync::mapping {
namespace {

using testing::every_contact_exists;
using testing::fully_applied;
using testing::no_contact_exists;

Person person(PersonRole role, const std::string& first, const std::string& email) {
    Person p;
    p.role = role;
    p.first_name = first;
    p.last_name = "Smith";
    p.email = email;
    p.email_status = EmailStatus::Usable;
    return p;
}

TaxClient joint() {
    TaxClient c;
    c.connector = ConnectorName("lacerte");
    c.id = ClientId("1001I");
    c.tax_year = "2025";
    c.people = {person(PersonRole::Taxpayer, "John", "john@example.com"),
                person(PersonRole::Spouse, "Jane", "jane@example.com")};
    return c;
}

MappingRules requesting_rules() {
    auto rules = default_rules();
    rules.firm_name = "Lee & Co";
    rules.document_request.enabled = true;
    rules.document_request.subject =
        Template::parse("{tax_year} documents for {entity_name}", request_fields()).value();
    rules.document_request.message =
        Template::parse("Dear {contact_first_name}, {firm_name} needs your papers.", message_fields()).value();
    rules.document_request.attach =
        Template::parse("{tax_year}/Organizer/{client_id} Organizer.pdf", client_fields()).value();
    return rules;
}

TEST(DocumentRequest, RenderedPerContactWithTheAttachmentSplitIntoFolderAndFile) {
    const auto desired = desire(joint(), requesting_rules());
    ASSERT_TRUE(desired.file_request.has_value());
    const DesiredFileRequest& request = *desired.file_request;
    EXPECT_EQ(request.tax_year, "2025");
    EXPECT_EQ(request.subject, "2025 documents for Smith, John & Jane");
    ASSERT_EQ(request.recipients.size(), 2U);
    EXPECT_EQ(request.recipients[0].message, "Dear John, Lee & Co needs your papers.");
    EXPECT_EQ(request.recipients[1].message, "Dear Jane, Lee & Co needs your papers.");
    EXPECT_EQ(request.attach_folder, "2025/Organizer");
    EXPECT_EQ(request.attach_file, "1001I Organizer.pdf");
}

TEST(DocumentRequest, NotWantedWhenDisabledOrWhenThePortalWouldRefuseIt) {
    auto rules = requesting_rules();
    rules.document_request.enabled = false;
    EXPECT_FALSE(desire(joint(), rules).file_request.has_value());

    rules = requesting_rules();
    rules.role = "Contact - Entity Access";
    auto desired = desire(joint(), rules);
    EXPECT_FALSE(desired.file_request.has_value());
    ASSERT_EQ(desired.notes.size(), 1U);
    EXPECT_NE(desired.notes[0].find("Contact - Entity Collaborator"), std::string::npos);

    rules = requesting_rules();
    rules.invite = false;
    EXPECT_FALSE(desire(joint(), rules).file_request.has_value());

    auto no_year = joint();
    no_year.tax_year.clear();
    desired = desire(no_year, requesting_rules());
    EXPECT_FALSE(desired.file_request.has_value());
    EXPECT_NE(desired.notes.back().find("no tax year"), std::string::npos);
}

TEST(DocumentRequest, PlannedLastForANewClient) {
    PlanContext context;
    const auto actions = plan_client(desire(joint(), requesting_rules()), KnownState{}, no_contact_exists, context);
    ASSERT_FALSE(actions.empty());
    const auto* request = std::get_if<RequestFiles>(&actions.back());
    ASSERT_NE(request, nullptr);
    EXPECT_EQ(request->recipients.size(), 2U);
    for (std::size_t i = 0; i + 1 < actions.size(); ++i) EXPECT_FALSE(std::holds_alternative<RequestFiles>(actions[i]));
}

TEST(DocumentRequest, PlannedOnlyForContactsThatHaveNotHadOneForTheYear) {
    const auto desired = desire(joint(), requesting_rules());
    KnownState known = fully_applied(desired);
    known.grants.insert({"john@example.com", "file_request", "2025", ""});
    PlanContext context;
    auto actions = plan_client(desired, known, every_contact_exists, context);
    ASSERT_EQ(actions.size(), 1U);
    const auto& request = std::get<RequestFiles>(actions[0]);
    ASSERT_EQ(request.recipients.size(), 1U);
    EXPECT_EQ(request.recipients[0].email, "jane@example.com");

    known.grants.insert({"jane@example.com", "file_request", "2025", ""});
    EXPECT_TRUE(plan_client(desired, known, every_contact_exists, context).empty());

    // A new tax year asks again.
    auto next_year = joint();
    next_year.tax_year = "2026";
    const auto desired_2026 = desire(next_year, requesting_rules());
    KnownState known_2026 = fully_applied(desired_2026);
    known_2026.grants.insert(known.grants.begin(), known.grants.end());
    actions = plan_client(desired_2026, known_2026, every_contact_exists, context);
    ASSERT_EQ(actions.size(), 1U);
    EXPECT_EQ(std::get<RequestFiles>(actions[0]).tax_year, "2026");
}

TEST(DocumentRequest, RoundTripsThroughTheOutboxAndDescribesItself) {
    const RequestFiles request{"2025",           "Papers",
                               "What we need",   {{"a@example.com", "Hi A"}, {"b@example.com", "Hi B"}},
                               "2025/Organizer", "Organizer.pdf"};
    const Action action = request;
    EXPECT_EQ(kind_of(action), "request_files");
    EXPECT_FALSE(sends_invitation(action));
    EXPECT_EQ(describe(action),
              "request documents for tax year 2025 from a@example.com, b@example.com: \"Papers\" attaching "
              "\"2025/Organizer/Organizer.pdf\" if the portal holds it");

    auto back = action_from_json("request_files", to_json_text(action));
    ASSERT_TRUE(back.has_value()) << back.error().message;
    const auto& copy = std::get<RequestFiles>(*back);
    EXPECT_EQ(copy.tax_year, "2025");
    EXPECT_EQ(copy.subject, "Papers");
    EXPECT_EQ(copy.description, "What we need");
    ASSERT_EQ(copy.recipients.size(), 2U);
    EXPECT_EQ(copy.recipients[1].email, "b@example.com");
    EXPECT_EQ(copy.recipients[1].message, "Hi B");
    EXPECT_EQ(copy.attach_folder, "2025/Organizer");
    EXPECT_EQ(copy.attach_file, "Organizer.pdf");

    EXPECT_TRUE(action_from_json("request_files", R"({"recipients": 3})").has_error());
}

TEST(DocumentRequest, EnablingItChangesTheFingerprintSoExistingClientsArePlannedAgain) {
    auto rules = default_rules();
    const std::string before = rules.fingerprint();
    rules.document_request.subject = Template::parse("Other", request_fields()).value();
    EXPECT_EQ(rules.fingerprint(), before);  // disabled: its texts do not matter
    rules.document_request.enabled = true;
    EXPECT_NE(rules.fingerprint(), before);
}

}  // namespace
}  // namespace taxsync::mapping
