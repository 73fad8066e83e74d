#include "core/tax_client.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/digest.hpp"

namespace taxsync {
namespace {

TaxClient joint_filers() {
    TaxClient client;
    client.connector = ConnectorName("lacerte");
    client.id = ClientId("00123");
    client.tax_year = "2025";
    Person taxpayer;
    taxpayer.first_name = "John";
    taxpayer.last_name = "Smith";
    taxpayer.email = "john@example.com";
    taxpayer.email_status = EmailStatus::Usable;
    taxpayer.tax_id = TaxIdFingerprint{"abc", "6789"};
    Person spouse;
    spouse.role = PersonRole::Spouse;
    spouse.first_name = "Jane";
    spouse.last_name = "Smith";
    client.people = {taxpayer, spouse};
    client.source = {"clients.csv", 4};
    return client;
}

TEST(TaxClient, DisplayNameJoinsSpousesWithSameLastName) {
    EXPECT_EQ(joint_filers().display_name(), "Smith, John & Jane");
    auto different = joint_filers();
    different.people[1].last_name = "Doe";
    EXPECT_EQ(different.display_name(), "John Smith & Jane Doe");
}

TEST(TaxClient, ContentHashIgnoresWhereTheRowWasRead) {
    auto a = joint_filers();
    auto b = joint_filers();
    b.source = {"other.csv", 99};
    EXPECT_EQ(a.content_hash(), b.content_hash());
    b.people[1].email = "jane@example.com";
    EXPECT_NE(a.content_hash(), b.content_hash());
}

// The hash of the JSON text every earlier version stored: a change to it would re-plan every
// client of every firm on upgrade.
std::string hash_of_the_canonical_json(const TaxClient& client) {
    nlohmann::json json = client;
    json.erase("source");
    return sha256_hex(json.dump());
}

TEST(TaxClient, ContentHashIsTheHashOfTheCanonicalJson) {
    std::vector<TaxClient> clients;
    clients.push_back(joint_filers());
    auto business = joint_filers();
    business.kind = EntityKind::Business;
    business.business_name = "Acme, LLC";
    business.entity_tax_id = TaxIdFingerprint{"def", "0502"};
    business.return_type = "1120S";
    business.office = "North";
    business.preparer = "KL";
    business.people.pop_back();
    clients.push_back(business);
    auto nobody = joint_filers();
    nobody.people.clear();
    clients.push_back(nobody);
    // Values JSON escapes or that are not ASCII take the JSON path: the result is the same.
    for (const std::string odd : {"O\"Brien", "back\\slash", "tab\there", "Jos\xc3\xa9", "del\x7f"}) {
        auto client = joint_filers();
        client.people[1].last_name = odd;
        clients.push_back(client);
        auto other = joint_filers();
        other.preparer = odd;
        clients.push_back(other);
    }
    // Pinned: the value earlier versions stored for this client.
    EXPECT_EQ(joint_filers().content_hash(), "a4ebec1fea8639eb44314abcc06c46d4f30a212cd796475068e5bfa8594ed0c2");
    for (const TaxClient& client : clients) EXPECT_EQ(client.content_hash(), hash_of_the_canonical_json(client));
}

TEST(TaxClient, JsonRoundTripKeepsEverything) {
    auto original = joint_filers();
    original.entity_tax_id = TaxIdFingerprint{"def", "0502"};
    const nlohmann::json json = original;
    const auto copy = json.get<TaxClient>();
    EXPECT_EQ(copy.id, original.id);
    EXPECT_EQ(copy.people, original.people);
    EXPECT_EQ(copy.entity_tax_id, original.entity_tax_id);
    EXPECT_EQ(copy.source.line, 4U);
    EXPECT_EQ(copy.content_hash(), original.content_hash());
}

TEST(TaxClient, ClientIdKeepsLeadingZeros) {
    const nlohmann::json json = joint_filers();
    EXPECT_EQ(json["id"], "00123");
}

}  // namespace
}  // namespace taxsync
