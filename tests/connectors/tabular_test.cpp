// Rows to TaxClient records, through the real connectors and files in a temp folder.

#include "connectors/tabular.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/connectors/connector_fixture.hpp"

namespace taxsync::connectors {
namespace {

using testing::ConnectorFixture;
using testing::count_problems;
using testing::find_client;
using testing::problems_mentioning;

class Rows : public ConnectorFixture {};

constexpr std::string_view kLacerteHeader =
    "Client Number,Taxpayer First Name,Taxpayer Last Name,Taxpayer SSN,Taxpayer Email,Spouse First Name,"
    "Spouse Last Name,Spouse SSN,Spouse Email,Preparer,Office,Tax Year\n";

TEST_F(Rows, LacerteHeadersBecomeTaxpayerAndSpouse) {
    write("clients.csv", std::string(kLacerteHeader) +
                             "00417I,Thomas,Berg,900-41-7001,Berg.Family@Example.NET,Linda,,900-41-7002,"
                             "berg.family@example.net,A. Rivera,Main Street,2024\n"
                             "00431I,Harold,Finch,,,,,,,A. Rivera,Main Street,\n");
    const Batch batch = read_all("lacerte");
    ASSERT_EQ(batch.clients.size(), 2U);
    const TaxClient* berg = find_client(batch, "00417I");
    ASSERT_NE(berg, nullptr);
    EXPECT_EQ(berg->connector.value(), "test-lacerte");
    EXPECT_EQ(berg->kind, EntityKind::Individual);
    EXPECT_EQ(berg->return_type, "1040");  // from the Lacerte suffix
    EXPECT_EQ(berg->tax_year, "2024");
    EXPECT_EQ(berg->preparer, "A. Rivera");
    EXPECT_EQ(berg->office, "Main Street");
    EXPECT_EQ(berg->source.line, 2U);
    ASSERT_EQ(berg->people.size(), 2U);
    const Person& taxpayer = berg->people[0];
    const Person& spouse = berg->people[1];
    EXPECT_EQ(taxpayer.role, PersonRole::Taxpayer);
    EXPECT_EQ(taxpayer.first_name, "Thomas");
    EXPECT_EQ(taxpayer.email, "berg.family@example.net");
    EXPECT_EQ(taxpayer.email_status, EmailStatus::Usable);
    EXPECT_EQ(spouse.role, PersonRole::Spouse);
    EXPECT_EQ(spouse.first_name, "Linda");
    EXPECT_EQ(spouse.last_name, "Berg");  // the spouse's empty last name is the taxpayer's
    EXPECT_EQ(spouse.email, "berg.family@example.net");
    EXPECT_EQ(berg->display_name(), "Berg, Thomas & Linda");

    const TaxClient* finch = find_client(batch, "00431I");
    ASSERT_NE(finch, nullptr);
    ASSERT_EQ(finch->people.size(), 1U);  // no spouse field filled: no spouse
    EXPECT_EQ(finch->people[0].email_status, EmailStatus::Missing);
    EXPECT_EQ(finch->people[0].email, "");
    EXPECT_EQ(finch->tax_year, "2025");  // the connector's default
    EXPECT_TRUE(batch.complete);
    EXPECT_EQ(batch.problems.size(), 0U);
}

TEST_F(Rows, SpouseWithOnlyAnEmailIsStillASpouse) {
    write("clients.csv", "Client ID,First Name,Last Name,Spouse Email\n1001,Ann,Lee,sam.lee@example.com\n");
    const Batch batch = read_all("proseries");
    ASSERT_EQ(batch.clients.size(), 1U);
    ASSERT_EQ(batch.clients[0].people.size(), 2U);
    EXPECT_EQ(batch.clients[0].people[1].email, "sam.lee@example.com");
    EXPECT_EQ(batch.clients[0].people[1].last_name, "Lee");
}

TEST_F(Rows, ClientNameSplitsIntoLastNameAndBothFirstNames) {
    write("clients.csv",
          "Client ID,Client Name,Email\n"
          "2001,\"Smith, John & Jane\",john.smith@example.com\n"
          "2002,\"Nguyen, Bao and Mai\",\n"
          "2003,\"Ortiz, Carmen\",\n");
    const Batch batch = read_all("proseries");
    ASSERT_EQ(batch.clients.size(), 3U);
    const TaxClient* smith = find_client(batch, "2001");
    ASSERT_NE(smith, nullptr);
    ASSERT_EQ(smith->people.size(), 2U);
    EXPECT_EQ(smith->people[0].first_name, "John");
    EXPECT_EQ(smith->people[0].last_name, "Smith");
    EXPECT_EQ(smith->people[0].email, "john.smith@example.com");
    EXPECT_EQ(smith->people[1].first_name, "Jane");
    EXPECT_EQ(smith->people[1].last_name, "Smith");
    EXPECT_EQ(smith->people[1].email_status, EmailStatus::Missing);

    const TaxClient* nguyen = find_client(batch, "2002");
    ASSERT_NE(nguyen, nullptr);
    ASSERT_EQ(nguyen->people.size(), 2U);
    EXPECT_EQ(nguyen->people[1].first_name, "Mai");

    const TaxClient* ortiz = find_client(batch, "2003");
    ASSERT_NE(ortiz, nullptr);
    ASSERT_EQ(ortiz->people.size(), 1U);
    EXPECT_EQ(ortiz->people[0].first_name, "Carmen");
    EXPECT_EQ(ortiz->people[0].last_name, "Ortiz");
}

TEST_F(Rows, JointFirstNameGivesASpouseWithTheSameLastNameAndNoEmail) {
    write("clients.csv",
          "Client ID,Client Type,First Name,Last Name,Email\n"
          "3001,Individual,John & Jane,Doe,doe.household@example.org\n");
    const Batch batch = read_all("proseries");
    ASSERT_EQ(batch.clients.size(), 1U);
    const auto& people = batch.clients[0].people;
    ASSERT_EQ(people.size(), 2U);
    EXPECT_EQ(people[0].first_name, "John");
    EXPECT_EQ(people[0].email, "doe.household@example.org");
    EXPECT_EQ(people[1].role, PersonRole::Spouse);
    EXPECT_EQ(people[1].first_name, "Jane");
    EXPECT_EQ(people[1].last_name, "Doe");
    EXPECT_EQ(people[1].email, "");
    EXPECT_EQ(people[1].email_status, EmailStatus::Missing);
}

TEST_F(Rows, JointFirstNameIsKeptWhenSpouseColumnsAreFilled) {
    write("clients.csv",
          "Client ID,First Name,Last Name,Spouse First Name\n"
          "3002,John & Jane,Doe,Janet\n");
    const Batch batch = read_all("proseries");
    ASSERT_EQ(batch.clients.size(), 1U);
    ASSERT_EQ(batch.clients[0].people.size(), 2U);
    EXPECT_EQ(batch.clients[0].people[0].first_name, "John & Jane");
    EXPECT_EQ(batch.clients[0].people[1].first_name, "Janet");
    EXPECT_EQ(problems_mentioning(batch, "names two people").size(), 1U);
}

TEST_F(Rows, EntityKindComesFromTheClientTypeColumn) {
    write("clients.csv",
          "Client ID,Client Type,First Name,Last Name,Company Name\n"
          "4001,Individual,Ana,Ruiz,\n"
          "4002,S Corporation,,,Northwind Surveying\n"
          "4003,1065,,,Cedar Ridge Partners\n"
          "4004,Non-Profit,,,Harbor Food Bank\n"
          "4005,1040,Eli,Stone,Stone Consulting\n"
          "4006,Trust,,,Palmer Family Trust\n");
    const Batch batch = read_all("proseries");
    ASSERT_EQ(batch.clients.size(), 6U);
    EXPECT_EQ(find_client(batch, "4001")->kind, EntityKind::Individual);
    EXPECT_EQ(find_client(batch, "4002")->kind, EntityKind::Business);
    EXPECT_EQ(find_client(batch, "4002")->business_name, "Northwind Surveying");
    EXPECT_EQ(find_client(batch, "4003")->kind, EntityKind::Business);
    EXPECT_EQ(find_client(batch, "4004")->kind, EntityKind::Business);
    EXPECT_EQ(find_client(batch, "4005")->kind, EntityKind::Individual);
    EXPECT_EQ(find_client(batch, "4005")->business_name, "");  // individuals carry no business name
    EXPECT_EQ(find_client(batch, "4006")->kind, EntityKind::Business);
}

TEST_F(Rows, UnknownClientTypeWarnsAndFallsBackToTheNames) {
    write("clients.csv", "Client ID,Client Type,Company Name\n4010,Widget,Acme Widgets\n");
    const Batch batch = read_all("proseries");
    ASSERT_EQ(batch.clients.size(), 1U);
    EXPECT_EQ(batch.clients[0].kind, EntityKind::Business);
    const auto warnings = problems_mentioning(batch, "'Widget'");
    ASSERT_EQ(warnings.size(), 1U);
    EXPECT_EQ(warnings[0].severity, Severity::Warning);
    EXPECT_EQ(warnings[0].line, 2U);
}

TEST_F(Rows, LacerteSuffixGivesKindAndReturnType) {
    write("clients.csv",
          "Client Number,Taxpayer First Name,Taxpayer Last Name,Business Name\n"
          "00120C,Olivia,Chen,Birch Lane Bakery Inc.\n"
          "00121S,,,Northwind Surveying LLC\n"
          "00122P,,,Cedar Ridge Partners\n"
          "00123F,,,Palmer Family Trust\n"
          "00124I,Olivia,Chen,\n"
          "SMITHC,Carl,Smith,\n");
    const Batch batch = read_all("lacerte");
    ASSERT_EQ(batch.clients.size(), 6U);
    const TaxClient* bakery = find_client(batch, "00120C");
    EXPECT_EQ(bakery->kind, EntityKind::Business);
    EXPECT_EQ(bakery->return_type, "1120");
    EXPECT_EQ(find_client(batch, "00121S")->return_type, "1120S");
    EXPECT_EQ(find_client(batch, "00122P")->return_type, "1065");
    EXPECT_EQ(find_client(batch, "00123F")->kind, EntityKind::Business);
    EXPECT_EQ(find_client(batch, "00124I")->kind, EntityKind::Individual);
    // A letter after letters is part of a name, not a suffix: decided by the names instead.
    EXPECT_EQ(find_client(batch, "SMITHC")->kind, EntityKind::Individual);
    EXPECT_EQ(find_client(batch, "SMITHC")->return_type, "");
}

TEST_F(Rows, TheSuffixDoesNotOverrideAClientTypeColumn) {
    write("clients.csv",
          "Client Number,Client Type,Taxpayer First Name,Taxpayer Last Name\n00130C,Individual,Jo,Ray\n");
    const Batch batch = read_all("lacerte");
    ASSERT_EQ(batch.clients.size(), 1U);
    EXPECT_EQ(batch.clients[0].kind, EntityKind::Individual);
    EXPECT_EQ(batch.clients[0].return_type, "");  // the suffix contradicts the column: not trusted
    const auto conflict = problems_mentioning(batch, "ends in the letter of a business return");
    ASSERT_EQ(conflict.size(), 1U);
    EXPECT_EQ(conflict[0].severity, Severity::Warning);
}

TEST_F(Rows, BusinessWithoutTypeInformationIsRecognizedByItsName) {
    write("clients.csv",
          "client_id,business_name,first_name,last_name,client_name,phone\n"
          "A1,Harbor Food Bank,,,,555-0199\n"
          "A2,Stone Consulting,Eli,Stone,,\n"
          "A3,,,,Maple Street Holdings LLC,\n"
          "A4,,,,\"Park, Min-jun\",\n");
    const Batch batch = read_all("generic-csv");
    ASSERT_EQ(batch.clients.size(), 4U);
    EXPECT_EQ(find_client(batch, "A1")->kind, EntityKind::Business);
    EXPECT_EQ(find_client(batch, "A1")->people.size(), 0U);  // a phone alone names no contact person
    EXPECT_EQ(find_client(batch, "A2")->kind, EntityKind::Individual);
    EXPECT_EQ(find_client(batch, "A3")->kind, EntityKind::Business);
    EXPECT_EQ(find_client(batch, "A3")->business_name, "Maple Street Holdings LLC");
    EXPECT_EQ(find_client(batch, "A4")->kind, EntityKind::Individual);
    EXPECT_EQ(find_client(batch, "A4")->people[0].last_name, "Park");
}

TEST_F(Rows, BusinessContactBecomesTheTaxpayerPerson) {
    write("clients.csv",
          "Client ID,Client Type,First Name,Last Name,Email,Company Name,Home Phone\n"
          "5001,Corporation,Olivia,Chen,Olivia.Chen@Example.com,Birch Lane Bakery Inc.,555-0101\n");
    const Batch batch = read_all("proseries");
    ASSERT_EQ(batch.clients.size(), 1U);
    const TaxClient& bakery = batch.clients[0];
    EXPECT_EQ(bakery.kind, EntityKind::Business);
    EXPECT_EQ(bakery.business_name, "Birch Lane Bakery Inc.");
    EXPECT_EQ(bakery.display_name(), "Birch Lane Bakery Inc.");
    ASSERT_EQ(bakery.people.size(), 1U);
    EXPECT_EQ(bakery.people[0].role, PersonRole::Taxpayer);
    EXPECT_EQ(bakery.people[0].display_name(), "Olivia Chen");
    EXPECT_EQ(bakery.people[0].email, "olivia.chen@example.com");
    EXPECT_EQ(bakery.people[0].phone, "555-0101");
}

TEST_F(Rows, BusinessNameInTheLastNameColumnIsTheBusinessName) {
    write("clients.csv",
          "Client Number,Taxpayer First Name,Taxpayer Last Name,Taxpayer Email\n"
          "00140C,,Granite Peak Outfitters,owner@example.com\n");
    const Batch batch = read_all("lacerte");
    ASSERT_EQ(batch.clients.size(), 1U);
    EXPECT_EQ(batch.clients[0].business_name, "Granite Peak Outfitters");
    ASSERT_EQ(batch.clients[0].people.size(), 1U);
    EXPECT_EQ(batch.clients[0].people[0].last_name, "");
    EXPECT_EQ(batch.clients[0].people[0].email, "owner@example.com");
}

TEST_F(Rows, SpouseColumnsOnABusinessRowAreReportedNotUsed) {
    write("clients.csv", "Client ID,Client Type,Company Name,Spouse First Name\n5002,Corporation,Acme Inc,Jane\n");
    const Batch batch = read_all("proseries");
    ASSERT_EQ(batch.clients.size(), 1U);
    EXPECT_TRUE(batch.clients[0].people.empty());
    EXPECT_EQ(problems_mentioning(batch, "business row").size(), 1U);
}

TEST_F(Rows, EmailsAreUsableMissingOrInvalid) {
    write("clients.csv",
          "Client ID,First Name,Last Name,Email,Spouse First Name,Spouse Email\n"
          "6001,Ann,Lee,  Ann.Lee@Example.COM ,Sam,not-an-email\n"
          "6002,Bo,Kim,,,\n"
          "6003,Cy,Park,{email=cy@example.com},,\n");
    const Batch batch = read_all("proseries");
    ASSERT_EQ(batch.clients.size(), 3U);
    const TaxClient* lee = find_client(batch, "6001");
    EXPECT_EQ(lee->people[0].email, "ann.lee@example.com");
    EXPECT_EQ(lee->people[0].email_status, EmailStatus::Usable);
    EXPECT_EQ(lee->people[1].email, "not-an-email");
    EXPECT_EQ(lee->people[1].email_status, EmailStatus::Invalid);
    EXPECT_EQ(find_client(batch, "6002")->people[0].email_status, EmailStatus::Missing);
    EXPECT_EQ(find_client(batch, "6003")->people[0].email, "{email=cy@example.com}");
    EXPECT_EQ(find_client(batch, "6003")->people[0].email_status, EmailStatus::Invalid);

    ASSERT_EQ(count_problems(batch, Severity::Warning), 2U);
    EXPECT_EQ(count_problems(batch, Severity::Error), 0U);
    const auto spouse = problems_mentioning(batch, "invalid email 'not-an-email' for the spouse: not invitable");
    ASSERT_EQ(spouse.size(), 1U);
    EXPECT_EQ(spouse[0].line, 2U);
    EXPECT_EQ(problems_mentioning(batch, "for the taxpayer: not invitable")[0].line, 4U);
}

TEST_F(Rows, NamesAreTrimmedCollapsedAndTidied) {
    write("clients.csv", "Client ID,First Name,Middle Name,Last Name\n7001,  JAMES ,  R ,o'connor   jones\n");
    const Batch batch = read_all("proseries");
    ASSERT_EQ(batch.clients.size(), 1U);
    EXPECT_EQ(batch.clients[0].people[0].first_name, "James");
    EXPECT_EQ(batch.clients[0].people[0].middle_name, "R");
    EXPECT_EQ(batch.clients[0].people[0].last_name, "O'Connor Jones");
}

TEST_F(Rows, ClientIdsAreStringsWithLeadingZerosKept) {
    write("clients.csv", "Client ID,Last Name\n  00417 ,Berg\n0042,Ames\n");
    const Batch batch = read_all("proseries");
    ASSERT_EQ(batch.clients.size(), 2U);
    EXPECT_NE(find_client(batch, "00417"), nullptr);
    EXPECT_NE(find_client(batch, "0042"), nullptr);
}

TEST_F(Rows, ScientificNotationIdIsARowErrorAndTheRestImports) {
    write("clients.csv", "Client ID,Last Name\n1001,Ames\n1.2E+07,Berg\n1003,Cole\n");
    const Batch batch = read_all("proseries");
    EXPECT_EQ(batch.clients.size(), 2U);
    ASSERT_EQ(batch.problems.size(), 1U);
    const Problem& problem = batch.problems[0];
    EXPECT_EQ(problem.severity, Severity::Error);
    EXPECT_EQ(problem.line, 3U);
    EXPECT_NE(problem.file.find("clients.csv"), std::string::npos);
    EXPECT_NE(problem.reason.find("Excel turned the id into a number; re-export with the column formatted as text"),
              std::string::npos);
    ASSERT_EQ(batch.files.size(), 1U);
    EXPECT_EQ(batch.files[0].rows, 3U);
    EXPECT_EQ(batch.files[0].imported, 2U);
    EXPECT_FALSE(batch.files[0].failed);
    EXPECT_TRUE(batch.complete);
}

TEST_F(Rows, RecognizesScientificNotationAsExcelWritesIt) {
    for (const char* value : {"1.2E+07", "1E+07", "4.5e-3", "1.23457E+11"}) {
        EXPECT_TRUE(looks_like_scientific_notation(value)) << value;
    }
    for (const char* value : {"12E4", "00417I", "1001", "E+07", "1.2E+", "1.2E+07x"}) {
        EXPECT_FALSE(looks_like_scientific_notation(value)) << value;
    }
}

TEST_F(Rows, EmptyIdIsARowError) {
    write("clients.csv", "Client ID,Last Name\n1001,Ames\n  ,Berg\n");
    const Batch batch = read_all("proseries");
    EXPECT_EQ(batch.clients.size(), 1U);
    ASSERT_EQ(batch.problems.size(), 1U);
    EXPECT_EQ(batch.problems[0].line, 3U);
    EXPECT_EQ(batch.problems[0].reason, "client id is empty");
}

TEST_F(Rows, DuplicateIdInOneFileRejectsTheLaterRowNamingTheFirst) {
    write("clients.csv", "Client ID,Last Name\n1001,Ames\n1002,Berg\n1001,Cole\n");
    const Batch batch = read_all("proseries");
    ASSERT_EQ(batch.clients.size(), 2U);
    EXPECT_EQ(find_client(batch, "1001")->people[0].last_name, "Ames");
    ASSERT_EQ(batch.problems.size(), 1U);
    EXPECT_EQ(batch.problems[0].line, 4U);
    EXPECT_EQ(batch.problems[0].severity, Severity::Error);
    EXPECT_NE(batch.problems[0].reason.find("already appears on line 2"), std::string::npos);
}

TEST_F(Rows, ExtraFilledFieldsAreARowErrorButTrailingEmptyOnesAreNot) {
    write("clients.csv", "Client ID,Last Name\n1001,Ames,,\n1002,Berg,Jr.\n1003,Cole\n");
    const Batch batch = read_all("proseries");
    EXPECT_EQ(batch.clients.size(), 2U);
    EXPECT_EQ(find_client(batch, "1002"), nullptr);
    ASSERT_EQ(batch.problems.size(), 1U);
    EXPECT_EQ(batch.problems[0].line, 3U);
    EXPECT_EQ(batch.problems[0].severity, Severity::Error);
}

TEST_F(Rows, ShortRowsInTheMiddleAreFineAndBlankRowsAreSkipped) {
    write("clients.csv", "Client ID,First Name,Last Name,Email\n1001,Ann\n\n,,,\n1002,Bo,Kim,bo@example.com\n");
    const Batch batch = read_all("proseries");
    EXPECT_EQ(batch.clients.size(), 2U);
    EXPECT_TRUE(batch.problems.empty());
    EXPECT_EQ(batch.files[0].rows, 2U);
    EXPECT_EQ(find_client(batch, "1002")->source.line, 5U);
}

TEST_F(Rows, UnknownHeadersAreMentionedOnceOnTheHeaderLine) {
    write("clients.csv",
          "Client ID,Last Name,Street Address,Fax Phone,,\n1001,Ames,\"1 Oak St, Apt 2\",555-0100,,\n"
          "1002,Berg,2 Elm St,,,\n");
    const Batch batch = read_all("proseries");
    EXPECT_EQ(batch.clients.size(), 2U);
    ASSERT_EQ(batch.problems.size(), 1U);
    EXPECT_EQ(batch.problems[0].severity, Severity::Warning);
    EXPECT_EQ(batch.problems[0].line, 1U);
    EXPECT_NE(batch.problems[0].reason.find("'Street Address', 'Fax Phone'"), std::string::npos);
}

TEST_F(Rows, SeveralPhoneColumnsUseTheFirstFilled) {
    write("clients.csv", "Client ID,Last Name,Home Phone,Other Phone Number (Cell)\n1001,Ames,,555-0142\n");
    const Batch batch = read_all("proseries");
    ASSERT_EQ(batch.clients.size(), 1U);
    EXPECT_EQ(batch.clients[0].people[0].phone, "555-0142");
    EXPECT_TRUE(batch.problems.empty());
}

TEST_F(Rows, ColumnOverridesNameTheHeadersForGenericCsv) {
    auto settings = this->settings("generic-csv");
    settings.columns = {{"client_id", "Acct"},
                        {"first_name", "Given"},
                        {"last_name", "Family"},
                        {"email", "E Mail"},
                        {"tax_year", "Season"}};
    write("clients.csv", "Acct,Given,Family,E Mail,Season,Client Number\n0901,Ann,Lee,ann@example.com,2023,X\n");
    const Batch batch = read_all(settings);
    ASSERT_EQ(batch.clients.size(), 1U);
    const TaxClient& lee = batch.clients[0];
    EXPECT_EQ(lee.id.value(), "0901");
    EXPECT_EQ(lee.people[0].display_name(), "Ann Lee");
    EXPECT_EQ(lee.people[0].email, "ann@example.com");
    EXPECT_EQ(lee.tax_year, "2023");
    EXPECT_EQ(problems_mentioning(batch, "'Client Number'").size(), 1U);  // not a generic-csv header
}

TEST_F(Rows, OverrideTakesPrecedenceOverThePresetAlias) {
    auto settings = this->settings("proseries");
    settings.columns = {{"email", "Portal Email"}};
    write("clients.csv", "Client ID,Last Name,Email,Portal Email\n1001,Ames,old@example.com,new@example.com\n");
    const Batch batch = read_all(settings);
    ASSERT_EQ(batch.clients.size(), 1U);
    EXPECT_EQ(batch.clients[0].people[0].email, "new@example.com");
    EXPECT_EQ(problems_mentioning(batch, "'Email'").size(), 1U);  // now an unused column
}

TEST_F(Rows, MissingClientIdColumnFailsTheFileListingTheHeaders) {
    write("clients.csv", "Customer,First Name,Last Name\nC1,Ann,Lee\n");
    const Batch batch = read_all("proseries");
    EXPECT_TRUE(batch.clients.empty());
    EXPECT_FALSE(batch.complete);
    ASSERT_EQ(batch.files.size(), 1U);
    EXPECT_TRUE(batch.files[0].failed);
    ASSERT_EQ(batch.problems.size(), 1U);
    EXPECT_EQ(batch.problems[0].severity, Severity::Error);
    EXPECT_NE(batch.problems[0].reason.find("'Customer', 'First Name', 'Last Name'"), std::string::npos);
}

TEST_F(Rows, ProSeriesFileLettersBecomeFormNames) {
    write("clients.csv",
          "Client ID,Last Name,Company Name,Return Type\n"
          "8001,Ames,,i\n8002,,Acme Inc,S\n8003,,Cedar Ridge,p\n8004,,Palmer Trust,e\n8005,Diaz,,.25f\n"
          "8006,,Harbor Food Bank,n\n8007,,Acme Two,c\n8008,Estate,,r\n8009,Fox,,g\n8010,Gray,,1040-SR\n");
    const Batch batch = read_all("proseries");
    ASSERT_EQ(batch.clients.size(), 10U);
    EXPECT_EQ(find_client(batch, "8001")->return_type, "1040");
    EXPECT_EQ(find_client(batch, "8002")->return_type, "1120S");
    EXPECT_EQ(find_client(batch, "8002")->kind, EntityKind::Business);  // decided by the form
    EXPECT_EQ(find_client(batch, "8003")->return_type, "1065");
    EXPECT_EQ(find_client(batch, "8004")->return_type, "1041");
    EXPECT_EQ(find_client(batch, "8005")->return_type, "1040NR");
    EXPECT_EQ(find_client(batch, "8006")->return_type, "990");
    EXPECT_EQ(find_client(batch, "8007")->return_type, "1120");
    EXPECT_EQ(find_client(batch, "8008")->return_type, "706");
    EXPECT_EQ(find_client(batch, "8009")->return_type, "709");
    EXPECT_EQ(find_client(batch, "8010")->return_type, "1040-SR");  // a form name is kept as written
}

TEST_F(Rows, LettersAreNotTranslatedForLacerte) {
    write("clients.csv", "Client Number,Taxpayer Last Name,Return Type\n1001,Ames,s\n");
    const Batch batch = read_all("lacerte");
    ASSERT_EQ(batch.clients.size(), 1U);
    EXPECT_EQ(batch.clients[0].return_type, "s");
}

TEST_F(Rows, TaxIdsAreFingerprintedAndNeverKeptOrReported) {
    // Raw digits of every tax id in the file, as they must never appear anywhere afterwards.
    const std::vector<std::string> secrets = {"900417001", "900417002", "981234567", "900550003", "90055000"};
    write("clients.csv",
          "Client ID,Client Type,First Name,Last Name,Email,Company Name,SSN,Spouse SSN,EIN,Spouse First Name\n"
          "9001,Individual,Ann,Lee,ann@example.com,,900-41-7001,900417002,,Sam\n"
          "9002,Corporation,Bo,Kim,bo@example.com,Kim Kitchens Inc,900-55-0003,,98-1234567,\n"
          "9003,Individual,Cy,Park,,,9005-5000,XXX-XX-1234,,Dee\n"
          "9004,Individual,Di,Ross,,,9.00417E+08,,,\n");
    const Batch batch = read_all("proseries");
    ASSERT_EQ(batch.clients.size(), 4U);

    const TaxClient* lee = find_client(batch, "9001");
    ASSERT_TRUE(lee->people[0].tax_id.has_value());
    EXPECT_EQ(lee->people[0].tax_id->last4, "7001");
    EXPECT_EQ(lee->people[0].tax_id, hasher_.fingerprint("900417001").value());
    ASSERT_TRUE(lee->people[1].tax_id.has_value());
    EXPECT_EQ(lee->people[1].tax_id->last4, "7002");

    // With a separate EIN column, the SSN column of a business row is the contact person's.
    const TaxClient* kim = find_client(batch, "9002");
    ASSERT_EQ(kim->people.size(), 1U);
    ASSERT_TRUE(kim->people[0].tax_id.has_value());
    EXPECT_EQ(kim->people[0].tax_id->last4, "0003");
    ASSERT_TRUE(kim->entity_tax_id.has_value());  // the EIN is the business's own
    EXPECT_EQ(kim->entity_tax_id, hasher_.fingerprint("981234567").value());
    EXPECT_FALSE(lee->entity_tax_id.has_value());

    const TaxClient* park = find_client(batch, "9003");
    EXPECT_FALSE(park->people[0].tax_id.has_value());
    EXPECT_FALSE(park->people[1].tax_id.has_value());
    EXPECT_FALSE(find_client(batch, "9004")->people[0].tax_id.has_value());

    const auto short_id = problems_mentioning(batch, "taxpayer tax id not used");
    ASSERT_EQ(short_id.size(), 2U);
    EXPECT_EQ(short_id[0].line, 4U);
    EXPECT_NE(short_id[0].reason.find("8 digits"), std::string::npos);
    EXPECT_EQ(short_id[0].severity, Severity::Warning);
    EXPECT_NE(short_id[1].reason.find("scientific notation"), std::string::npos);
    EXPECT_EQ(problems_mentioning(batch, "spouse tax id not used: tax id is masked").size(), 1U);

    for (const TaxClient& client : batch.clients) {
        const std::string json = nlohmann::json(client).dump();
        for (const auto& secret : secrets) EXPECT_EQ(json.find(secret), std::string::npos) << json;
        EXPECT_EQ(json.find("900-41-7001"), std::string::npos);
        EXPECT_EQ(json.find("98-1234567"), std::string::npos);
    }
    for (const Problem& problem : batch.problems) {
        for (const auto& secret : secrets) EXPECT_EQ(problem.reason.find(secret), std::string::npos) << problem.reason;
        EXPECT_EQ(problem.reason.find("9005-5000"), std::string::npos);
    }
}

TEST_F(Rows, CombinedSsnEinColumnOnABusinessRowIsTheEntitysNotTheContacts) {
    write("clients.csv",
          "Client ID,Client Type,First Name,Last Name,Company Name,SSN/EIN\n"
          "9101,Business,Olivia,Chen,Birch Lane Bakery,98-7650502\n"
          "9102,Business,Ray,Hill,Hill Roofing,98-76505\n");
    const Batch batch = read_all("proseries");
    ASSERT_EQ(batch.clients.size(), 2U);
    ASSERT_EQ(find_client(batch, "9101")->people.size(), 1U);
    EXPECT_FALSE(find_client(batch, "9101")->people[0].tax_id.has_value());
    ASSERT_TRUE(find_client(batch, "9101")->entity_tax_id.has_value());
    EXPECT_EQ(find_client(batch, "9101")->entity_tax_id->last4, "0502");
    EXPECT_FALSE(find_client(batch, "9102")->entity_tax_id.has_value());  // too short: reported, not kept
    const auto bad_ein = problems_mentioning(batch, "business EIN not used");
    ASSERT_EQ(bad_ein.size(), 1U);
    EXPECT_EQ(bad_ein[0].line, 3U);
    EXPECT_EQ(bad_ein[0].reason.find("9876505"), std::string::npos);
}

TEST_F(Rows, ValuesThatLookLikeTaxIdsAreMaskedInProblemReasons) {
    write("clients.csv", "Client ID,Last Name,Email\n1001,Ames,900-41-7001\n");
    const Batch batch = read_all("proseries");
    ASSERT_EQ(batch.problems.size(), 1U);
    EXPECT_EQ(batch.problems[0].reason.find("900-41-7001"), std::string::npos);
    EXPECT_NE(batch.problems[0].reason.find("XXX-XX-7001"), std::string::npos);
    ASSERT_EQ(batch.clients.size(), 1U);
    EXPECT_EQ(batch.clients[0].people[0].email, "XXX-XX-7001");  // the invalid value as kept for review
    EXPECT_EQ(batch.clients[0].people[0].email_status, EmailStatus::Invalid);
}

}  // namespace
}  // namespace taxsync::connectors
