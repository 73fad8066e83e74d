// IRS e-file returns, synthetic, written from the element names in the MeF schemas: current and
// pre-2013 names, any namespace prefix, name lines, and files that are cut short or not XML.

#include "connectors/mef_xml.hpp"

#include <gtest/gtest.h>

#include "tests/connectors/connector_fixture.hpp"

namespace taxsync::connectors {
namespace {

using testing::ConnectorFixture;
using testing::problems_mentioning;

class MefXml : public ConnectorFixture {};

TEST(NameLine, FollowsTheIrsNameLineRules) {
    const FilerNames single = parse_name_line("ALEXIS<ROSE");
    EXPECT_EQ(single.first, "Alexis");
    EXPECT_EQ(single.last, "Rose");
    EXPECT_TRUE(single.spouse_first.empty());

    const FilerNames joint = parse_name_line("PAUL & SYDNEY<REVERE");
    EXPECT_EQ(joint.first, "Paul");
    EXPECT_EQ(joint.spouse_first, "Sydney");
    EXPECT_EQ(joint.spouse_last, "Revere");

    const FilerNames different = parse_name_line("JOHN<DOE<& JANE SMITH");
    EXPECT_EQ(different.first, "John");
    EXPECT_EQ(different.last, "Doe");
    EXPECT_EQ(different.spouse_first, "Jane");
    EXPECT_EQ(different.spouse_last, "Smith");

    const FilerNames suffix = parse_name_line("JOHN A<DOE<JR");
    EXPECT_EQ(suffix.first, "John A");
    EXPECT_EQ(suffix.last, "Doe Jr");

    const FilerNames plain = parse_name_line("MARY ANN LEE");
    EXPECT_EQ(plain.first, "Mary Ann");
    EXPECT_EQ(plain.last, "Lee");
}

constexpr std::string_view kJoint1040 = R"(<?xml version="1.0" encoding="UTF-8"?>
<Return xmlns="http://www.irs.gov/efile" xmlns:efile="http://www.irs.gov/efile" returnVersion="2023v5.0">
  <ReturnHeader binaryAttachmentCnt="0">
    <ReturnTs>2024-03-01T10:00:00-05:00</ReturnTs>
    <TaxYr>2023</TaxYr>
    <ReturnTypeCd>1040</ReturnTypeCd>
    <Filer>
      <PrimarySSN>900417001</PrimarySSN>
      <SpouseSSN>900417002</SpouseSSN>
      <NameLine1Txt>PAUL &amp; SYDNEY&lt;REVERE</NameLine1Txt>
      <PrimaryNameControlTxt>REVE</PrimaryNameControlTxt>
      <USAddress><AddressLine1Txt>1 MAIN ST</AddressLine1Txt><CityNm>BOSTON</CityNm>
        <StateAbbreviationCd>MA</StateAbbreviationCd><ZIPCd>02134</ZIPCd></USAddress>
      <PhoneNum>6175550100</PhoneNum>
    </Filer>
    <AdditionalFilerInformation>
      <AtSubmissionFilingGrp><EmailAddressTxt>Paul.Revere@Example.com</EmailAddressTxt></AtSubmissionFilingGrp>
    </AdditionalFilerInformation>
  </ReturnHeader>
  <ReturnData documentCnt="1">
    <IRS1040><IndividualReturnFilingStatusCd>2</IndividualReturnFilingStatusCd><SpouseNm>SYDNEY REVERE</SpouseNm></IRS1040>
  </ReturnData>
</Return>
)";

TEST_F(MefXml, JointIndividualReturnGivesTaxpayerAndSpouse) {
    write("revere-2023.xml", kJoint1040);
    const Batch batch = read_all("mef-xml");
    ASSERT_EQ(batch.clients.size(), 1U) << (batch.problems.empty() ? "" : batch.problems[0].reason);
    const TaxClient& client = batch.clients[0];
    EXPECT_TRUE(client.id.value().starts_with("tin-"));
    EXPECT_EQ(client.kind, EntityKind::Individual);
    EXPECT_EQ(client.tax_year, "2023");
    EXPECT_EQ(client.return_type, "1040");
    EXPECT_EQ(client.source.line, 7U);  // the <Filer> element
    ASSERT_EQ(client.people.size(), 2U);
    EXPECT_EQ(client.people[0].first_name, "Paul");
    EXPECT_EQ(client.people[0].last_name, "Revere");
    EXPECT_EQ(client.people[0].email, "paul.revere@example.com");
    EXPECT_EQ(client.people[0].phone, "6175550100");
    ASSERT_TRUE(client.people[0].tax_id.has_value());
    EXPECT_EQ(client.people[0].tax_id->last4, "7001");
    EXPECT_EQ(client.people[1].first_name, "Sydney");
    EXPECT_EQ(client.people[1].email_status, EmailStatus::Missing);  // MeF has no spouse email
    EXPECT_EQ(client.people[1].tax_id->last4, "7002");
    EXPECT_TRUE(batch.problems.empty());
    EXPECT_EQ(batch.files[0].encoding, "xml");
}

TEST_F(MefXml, PrefixedPre2013BusinessReturnIsReadByLocalName) {
    write("acme-2011.xml", R"(<?xml version="1.0"?>
<efile:Return xmlns:efile="http://www.irs.gov/efile" returnVersion="2011v3.2">
  <efile:ReturnHeader binaryAttachmentCount="0">
    <efile:Timestamp>2012-03-01T10:00:00</efile:Timestamp>
    <efile:TaxYear>2011</efile:TaxYear>
    <efile:ReturnType>1120S</efile:ReturnType>
    <efile:Filer>
      <efile:EIN>123456789</efile:EIN>
      <efile:Name><efile:BusinessNameLine1>ACME WIDGETS</efile:BusinessNameLine1>
        <efile:BusinessNameLine2>HOLDINGS INC</efile:BusinessNameLine2></efile:Name>
      <efile:Phone>6175550200</efile:Phone>
    </efile:Filer>
    <efile:Officer><efile:Name>ANN LEE</efile:Name><efile:Phone>6175550201</efile:Phone></efile:Officer>
    <efile:Preparer><efile:Name>Rivera CPA</efile:Name></efile:Preparer>
  </efile:ReturnHeader>
  <efile:ReturnData documentCount="1"/>
</efile:Return>)");
    const Batch batch = read_all("mef-xml");
    ASSERT_EQ(batch.clients.size(), 1U);
    const TaxClient& client = batch.clients[0];
    EXPECT_EQ(client.kind, EntityKind::Business);
    EXPECT_EQ(client.business_name, "ACME WIDGETS HOLDINGS INC");
    EXPECT_EQ(client.tax_year, "2011");
    EXPECT_EQ(client.return_type, "1120S");
    ASSERT_TRUE(client.entity_tax_id.has_value());
    EXPECT_EQ(client.entity_tax_id->last4, "6789");
    ASSERT_EQ(client.people.size(), 1U);
    EXPECT_EQ(client.people[0].first_name, "Ann");
    EXPECT_EQ(client.people[0].last_name, "Lee");
    EXPECT_EQ(client.preparer, "Rivera CPA");
}

TEST_F(MefXml, CurrentBusinessHeaderAndDifferentLastNames) {
    write("returns.xml", R"(<Returns>
<Return xmlns="http://www.irs.gov/efile"><ReturnHeader><TaxYr>2022</TaxYr><ReturnTypeCd>990</ReturnTypeCd>
<Filer><EIN>98-7654321</EIN><BusinessName><BusinessNameLine1Txt>HELPING HANDS</BusinessNameLine1Txt></BusinessName></Filer>
<BusinessOfficerGrp><PersonNm>CARLA DIAZ</PersonNm><PhoneNum>5550300</PhoneNum></BusinessOfficerGrp>
</ReturnHeader></Return>
<Return xmlns="http://www.irs.gov/efile"><ReturnHeader><TaxYr>2022</TaxYr>
<Filer><PrimarySSN>900-41-7003</PrimarySSN><SpouseSSN>900-41-7004</SpouseSSN><NameLine1Txt>JOHN&lt;DOE&lt;&amp; JANE SMITH</NameLine1Txt></Filer>
<AdditionalFilerInformation><AtSubmissionCreationGrp><EmailAddressTxt>{email=test017@test.com}</EmailAddressTxt></AtSubmissionCreationGrp></AdditionalFilerInformation>
</ReturnHeader></Return>
</Returns>)");
    const Batch batch = read_all("mef-xml");
    ASSERT_EQ(batch.clients.size(), 2U);
    EXPECT_EQ(batch.clients[0].business_name, "HELPING HANDS");
    EXPECT_EQ(batch.clients[0].people[0].last_name, "Diaz");
    const TaxClient& doe = batch.clients[1];
    ASSERT_EQ(doe.people.size(), 2U);
    EXPECT_EQ(doe.people[1].last_name, "Smith");
    EXPECT_EQ(doe.people[0].email_status, EmailStatus::Invalid);
    const auto invalid = problems_mentioning(batch, "invalid email");
    ASSERT_EQ(invalid.size(), 1U);
    EXPECT_EQ(invalid[0].line, 7U);  // the second return's <Filer>
}

TEST_F(MefXml, ReturnsWithoutAKeyAreSkippedAndMarriedFilingSeparatelyHasNoSpouse) {
    write("mixed.xml", R"(<Returns>
<Return><ReturnHeader><Filer><PrimarySSN>XXX-XX-1234</PrimarySSN><NameLine1Txt>A&lt;B</NameLine1Txt></Filer></ReturnHeader></Return>
<Return><ReturnHeader><Filer><PrimarySSN>900417005</PrimarySSN><SpouseSSN>900417006</SpouseSSN><NameLine1Txt>ED&lt;FOX</NameLine1Txt></Filer></ReturnHeader>
<ReturnData><IRS1040><IndividualReturnFilingStatusCd>3</IndividualReturnFilingStatusCd></IRS1040></ReturnData></Return>
</Returns>)");
    const Batch batch = read_all("mef-xml");
    ASSERT_EQ(batch.clients.size(), 1U);
    EXPECT_EQ(batch.clients[0].people.size(), 1U);
    const auto skipped = problems_mentioning(batch, "cannot be keyed");
    ASSERT_EQ(skipped.size(), 1U);
    EXPECT_EQ(skipped[0].line, 2U);
    EXPECT_EQ(problems_mentioning(batch, "masked").size(), 1U);
}

TEST_F(MefXml, CutShortXmlIsRetriedAndGarbageIsQuarantined) {
    const std::string whole(kJoint1040);
    write("cut.xml", whole.substr(0, whole.size() / 2));
    write("garbage.xml", "this is <not xml at all>");
    write("other.xml", "<Invoice><Total>3</Total></Invoice>");
    const Batch batch = read_all("mef-xml");
    EXPECT_TRUE(batch.clients.empty());
    EXPECT_FALSE(batch.complete);
    EXPECT_TRUE(std::filesystem::exists(dir_.path() / "cut.xml"));
    EXPECT_TRUE(std::filesystem::exists(dir_.path() / "quarantine" / "garbage.xml.error.txt"));
    EXPECT_TRUE(std::filesystem::exists(dir_.path() / "quarantine" / "other.xml.error.txt"));
    EXPECT_EQ(problems_mentioning(batch, "not an IRS e-file return").size(), 1U);
}

}  // namespace
}  // namespace taxsync::connectors
