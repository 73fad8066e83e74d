// The drake, ultratax, cch-axcess, taxact and smartvault-csv presets on synthetic exports shaped
// after what each package writes, through the registry-built connectors.

#include <gtest/gtest.h>

#include "tests/connectors/connector_fixture.hpp"

namespace taxsync::connectors {
namespace {

using testing::ConnectorFixture;
using testing::count_problems;
using testing::find_client;
using testing::problems_mentioning;

class Presets : public ConnectorFixture {};

TEST_F(Presets, DrakeCsmGridKeysClientsByTheHashOfTheirTaxIdNeverTheNumber) {
    write("csm.csv",
          "Name,ID Number,Phone,Return Type,Preparer,Status,Balance Due,Taxpayer Email\n"
          "\"Berg, Thomas & Linda\",900-41-7001,555-0100,1040,AR,Complete,0.00,berg@example.com\n"
          "Acme Widgets Inc,12-3456789,555-0200,1120S,AR,In Progress,10.00,\n"
          "\"Lee, Ann\",XXX-XX-1234,,1040,AR,,,\n");
    const Batch batch = read_all("drake");
    ASSERT_EQ(batch.clients.size(), 2U);
    const TaxClient& berg = batch.clients[0];
    EXPECT_TRUE(berg.id.value().starts_with("tin-"));
    EXPECT_EQ(berg.id.value().size(), 20U);
    EXPECT_EQ(berg.id.value().find("7001"), std::string::npos);
    EXPECT_EQ(berg.kind, EntityKind::Individual);
    ASSERT_EQ(berg.people.size(), 2U);
    EXPECT_EQ(berg.people[0].first_name, "Thomas");
    EXPECT_EQ(berg.people[0].email, "berg@example.com");
    EXPECT_EQ(berg.people[0].phone, "555-0100");
    EXPECT_EQ(berg.people[1].first_name, "Linda");
    EXPECT_EQ(berg.preparer, "AR");
    const TaxClient& acme = batch.clients[1];
    EXPECT_EQ(acme.kind, EntityKind::Business);
    EXPECT_EQ(acme.business_name, "Acme Widgets Inc");
    ASSERT_TRUE(acme.entity_tax_id.has_value());
    EXPECT_EQ(acme.entity_tax_id->last4, "6789");
    // The masked row cannot have an id, and nothing about Status or Balance Due is reported.
    ASSERT_EQ(problems_mentioning(batch, "cannot stand in").size(), 1U);
    EXPECT_EQ(problems_mentioning(batch, "cannot stand in")[0].line, 4U);
    EXPECT_TRUE(problems_mentioning(batch, "not used").empty());
    // The same person exported again gets the same id.
    EXPECT_EQ(read_all("drake").clients[0].id, berg.id);
}

TEST_F(Presets, DrakeWithAClientIdColumnUsesIt) {
    write("report.csv", "Client ID,Client Name,ID Number\nD-17,\"Lee, Ann\",900-41-7001\n");
    const Batch batch = read_all("drake");
    ASSERT_EQ(batch.clients.size(), 1U);
    EXPECT_EQ(batch.clients[0].id.value(), "D-17");
}

TEST_F(Presets, UltraTaxClientListReportWithCaseInsensitiveIds) {
    write("client-list.csv",
          "Client ID,Client Name,Email Address,Spouse Email Address,Taxpayer SSN,Sort,Name 2\n"
          "berg01,\"Berg, Thomas & Linda\",tom@example.com,linda@example.com,900-41-7001,BERG,\n"
          "BERG01,\"Berg, T.\",,,,BERG,\n");
    const Batch batch = read_all("ultratax");
    ASSERT_EQ(batch.clients.size(), 1U);
    EXPECT_EQ(batch.clients[0].id.value(), "BERG01");
    ASSERT_EQ(batch.clients[0].people.size(), 2U);
    EXPECT_EQ(batch.clients[0].people[1].email, "linda@example.com");
    const auto duplicate = problems_mentioning(batch, "already appears on line 2");
    ASSERT_EQ(duplicate.size(), 1U);
    EXPECT_EQ(duplicate[0].line, 3U);
    EXPECT_TRUE(problems_mentioning(batch, "'Sort'").empty());  // known, not used
}

TEST_F(Presets, CchBatchClientLinkingFileWithSubIdsNameLinesAndABlankRowStop) {
    write("batch-link.csv",
          "Client ID,Client Sub-ID,Client GUID,NameLine1,NameLine2,SortName,Federal ID,ClientType,FYE\n"
          "1001,,6f1c-01,Thomas,Berg,BERG THOMAS,900-41-7001,Individual,12/31\n"
          "1001,A,6f1c-02,Linda,Berg,BERG LINDA,900-41-7002,Individual,12/31\n"
          "2001,,6f1c-03,Acme Widgets,Holdings Inc,ACME,12-3456789,Corporation,06/30\n"
          ",,,,,,,,\n"
          "9999,,6f1c-99,Not,Read,,,Individual,12/31\n");
    const Batch batch = read_all("cch-axcess");
    ASSERT_EQ(batch.clients.size(), 3U);
    EXPECT_NE(find_client(batch, "1001"), nullptr);
    const TaxClient* linda = find_client(batch, "1001-A");
    ASSERT_NE(linda, nullptr);
    EXPECT_EQ(linda->people[0].first_name, "Linda");
    EXPECT_EQ(linda->people[0].last_name, "Berg");
    const TaxClient* acme = find_client(batch, "2001");
    ASSERT_NE(acme, nullptr);
    EXPECT_EQ(acme->kind, EntityKind::Business);
    EXPECT_EQ(acme->business_name, "Acme Widgets Holdings Inc");
    EXPECT_TRUE(acme->people.empty());
    EXPECT_EQ(find_client(batch, "9999"), nullptr);
    const auto below = problems_mentioning(batch, "after the first blank row");
    ASSERT_EQ(below.size(), 1U);
    EXPECT_EQ(below[0].line, 6U);
    EXPECT_TRUE(problems_mentioning(batch, "GUID").empty());
}

TEST_F(Presets, TaxActPortalExportGivesHouseholds) {
    write("taxact.csv",
          "Account Name,Account Type,Taxpayer First Name,Taxpayer Last Name,Taxpayer Email,Spouse First Name,"
          "Spouse Email,Client ID,Postal Code,City\n"
          "Berg Household,Individual,Thomas,Berg,tom@example.com,Linda,linda@example.com,T-100,02134,Boston\n"
          "Acme Widgets,Company,Ann,Lee,ann@acme.example,,,T-200,2134,Boston\n");
    const Batch batch = read_all("taxact");
    ASSERT_EQ(batch.clients.size(), 2U);
    const TaxClient* berg = find_client(batch, "T-100");
    ASSERT_NE(berg, nullptr);
    ASSERT_EQ(berg->people.size(), 2U);
    EXPECT_EQ(berg->people[1].last_name, "Berg");
    const TaxClient* acme = find_client(batch, "T-200");
    ASSERT_NE(acme, nullptr);
    EXPECT_EQ(acme->kind, EntityKind::Business);
    EXPECT_EQ(acme->business_name, "Acme Widgets");
    EXPECT_EQ(acme->people[0].email, "ann@acme.example");
    const auto zip = problems_mentioning(batch, "ZIP code '2134'");
    ASSERT_EQ(zip.size(), 1U);
    EXPECT_EQ(zip[0].line, 3U);
    EXPECT_EQ(zip[0].severity, Severity::Warning);
}

TEST_F(Presets, SmartVaultTemplateSplitsJointFirstNames) {
    write("smartvault.csv",
          "Client ID,Client Type,First Name,Middle Name,Last Name,Email,Company Name,Home Phone,Work Phone,Fax Phone,"
          "Other Phone Number (Cell)\n"
          "SV01,Individual,John & Jane,,Doe,john@example.com,,,,555-0199,555-0101\n"
          "SV02,Business,,,,office@acme.example,Acme LLC,,555-0300,,\n");
    const Batch batch = read_all("smartvault-csv");
    ASSERT_EQ(batch.clients.size(), 2U);
    ASSERT_EQ(batch.clients[0].people.size(), 2U);
    EXPECT_EQ(batch.clients[0].people[1].first_name, "Jane");
    EXPECT_EQ(batch.clients[0].people[0].phone, "555-0101");
    EXPECT_EQ(batch.clients[1].business_name, "Acme LLC");
    EXPECT_EQ(count_problems(batch, Severity::Error), 0U);
    EXPECT_TRUE(problems_mentioning(batch, "Fax").empty());
}

TEST_F(Presets, EveryPresetTakesColumnOverrides) {
    for (const std::string type : {"drake", "ultratax", "cch-axcess", "taxact", "smartvault-csv"}) {
        taxsync::testing::TempDir folder;
        auto settings = this->settings(type);
        settings.folder = folder.path();
        settings.columns = {{"client_id", "Kundennummer"}, {"email", "Mail"}};
        const auto file =
            folder.write("export.csv", "Kundennummer,First Name,Last Name,Mail,Email\nK1,Ann,Lee,ann@example.com,x\n");
        testing::set_modified(file, clock_.now() - std::chrono::hours(1));
        const Batch batch = read_all(settings);
        ASSERT_EQ(batch.clients.size(), 1U) << type;
        EXPECT_EQ(batch.clients[0].id.value(), "K1") << type;
        EXPECT_EQ(batch.clients[0].people[0].email, "ann@example.com") << type;
        // The preset's own "Email" no longer counts as the email column.
        EXPECT_EQ(problems_mentioning(batch, "'Email'").size(), 1U) << type;
    }
}

}  // namespace
}  // namespace taxsync::connectors
