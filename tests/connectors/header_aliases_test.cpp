#include "connectors/header_aliases.hpp"

#include <gtest/gtest.h>

#include <map>

#include "connectors/formats.hpp"
#include "connectors/registry.hpp"

namespace taxsync::connectors {
namespace {

HeaderVocabulary vocabulary_of(const TabularFormat& format, const std::map<std::string, std::string>& columns = {}) {
    auto vocabulary = HeaderVocabulary::build(format.aliases, columns);
    EXPECT_TRUE(vocabulary.has_value()) << (vocabulary.has_error() ? vocabulary.error().message : "");
    return std::move(vocabulary).value();
}

TEST(HeaderAliases, NormalizationIgnoresCaseSpacingAndPunctuationButKeepsHash) {
    EXPECT_EQ(normalize_header("  Client  # "), "client#");
    EXPECT_EQ(normalize_header("CLIENT#"), "client#");
    EXPECT_EQ(normalize_header("E-mail Address"), "emailaddress");
    EXPECT_EQ(normalize_header("SSN/EIN"), "ssnein");
    EXPECT_EQ(normalize_header("Other Phone Number (Cell)"), "otherphonenumbercell");
    EXPECT_EQ(normalize_header("first_name"), "firstname");
    EXPECT_EQ(normalize_header("Pr\xC3\xA9nom"), "pr\xC3\xA9nom");
}

TEST(HeaderAliases, CanonicalFieldsAreListedInOrderAndRoundTrip) {
    const auto& names = canonical_fields();
    ASSERT_EQ(names.size(), 24U);
    EXPECT_EQ(names.front(), "client_id");
    EXPECT_EQ(names.back(), "client_sub_id");
    for (const auto& name : names) {
        const auto field = field_from_name(name);
        ASSERT_TRUE(field.has_value()) << name;
        EXPECT_EQ(field_name(*field), name);
    }
    EXPECT_FALSE(field_from_name("nickname").has_value());
}

TEST(HeaderAliases, PresetTablesNeverGiveOneHeaderTwoFields) {
    for (const TabularFormat* format : {&lacerte_format(), &proseries_format()}) {
        std::map<std::string, Field> seen;
        for (const auto& table : format->aliases) {
            for (const HeaderAlias& alias : table) {
                const auto [entry, inserted] = seen.emplace(normalize_header(alias.header), alias.field);
                EXPECT_TRUE(inserted || entry->second == alias.field)
                    << format->type << ": '" << alias.header << "' is given two fields";
            }
        }
    }
}

TEST(HeaderAliases, LacerteAndSmartVaultHeadersResolve) {
    const auto lacerte = vocabulary_of(lacerte_format());
    EXPECT_EQ(lacerte.lookup("Client Number"), Field::ClientId);
    EXPECT_EQ(lacerte.lookup("Client #"), Field::ClientId);
    EXPECT_EQ(lacerte.lookup("Taxpayer First Name"), Field::FirstName);
    EXPECT_EQ(lacerte.lookup("TP First"), Field::FirstName);
    EXPECT_EQ(lacerte.lookup("SP First"), Field::SpouseFirstName);
    EXPECT_EQ(lacerte.lookup("Spouse Email"), Field::SpouseEmail);
    EXPECT_EQ(lacerte.lookup("Taxpayer SSN"), Field::TaxId);
    EXPECT_EQ(lacerte.lookup("Spouse SSN"), Field::SpouseTaxId);
    EXPECT_EQ(lacerte.lookup("Federal ID"), Field::TaxId);

    const auto proseries = vocabulary_of(proseries_format());
    EXPECT_EQ(proseries.lookup("Client ID"), Field::ClientId);
    EXPECT_EQ(proseries.lookup("Client Type"), Field::ClientType);
    EXPECT_EQ(proseries.lookup("Company Name"), Field::BusinessName);
    EXPECT_EQ(proseries.lookup("Other Phone Number (Cell)"), Field::Phone);
    EXPECT_EQ(proseries.lookup("SSN/EIN"), Field::TaxId);
    EXPECT_EQ(proseries.lookup("Return Type"), Field::ReturnType);
    EXPECT_EQ(proseries.lookup("tax_year"), Field::TaxYear);  // canonical names always count
}

TEST(HeaderAliases, AmbiguousHeadersAreNotGuessed) {
    const auto lacerte = vocabulary_of(lacerte_format());
    for (const char* header : {"Name", "Phone", "ID", "ID Number", "Type", "Fax Phone"}) {
        EXPECT_FALSE(lacerte.lookup(header).has_value()) << header;
    }
}

TEST(HeaderAliases, GenericCsvKnowsOnlyTheCanonicalNames) {
    const auto generic = vocabulary_of(generic_csv_format());
    EXPECT_EQ(generic.lookup("client_id"), Field::ClientId);
    EXPECT_EQ(generic.lookup("Spouse Email"), Field::SpouseEmail);  // same normalized form as spouse_email
    EXPECT_FALSE(generic.lookup("Client Number").has_value());
    EXPECT_FALSE(generic.lookup("Taxpayer First Name").has_value());
}

TEST(HeaderAliases, OverridesReplaceThePresetHeadersOfTheirField) {
    const auto vocabulary = vocabulary_of(proseries_format(), {{"email", "Primary E-Mail"}, {"client_id", "Acct"}});
    EXPECT_EQ(vocabulary.lookup("primary e-mail"), Field::Email);
    EXPECT_EQ(vocabulary.lookup("ACCT"), Field::ClientId);
    EXPECT_FALSE(vocabulary.lookup("Email").has_value());
    EXPECT_FALSE(vocabulary.lookup("Client ID").has_value());
    EXPECT_EQ(vocabulary.lookup("Spouse Email"), Field::SpouseEmail);  // other fields keep their aliases
}

TEST(HeaderAliases, OverrideCanTakeAHeaderFromAnotherField) {
    const auto vocabulary = vocabulary_of(lacerte_format(), {{"client_name", "Company Name"}});
    EXPECT_EQ(vocabulary.lookup("Company Name"), Field::ClientName);
    EXPECT_EQ(vocabulary.lookup("Business Name"), Field::BusinessName);
}

TEST(HeaderAliases, UnknownOrEmptyOverridesAreRefused) {
    const auto unknown = HeaderVocabulary::build(lacerte_format().aliases, {{"nickname", "Nick"}});
    ASSERT_TRUE(unknown.has_error());
    EXPECT_NE(unknown.error().message.find("'nickname'"), std::string::npos);
    EXPECT_NE(unknown.error().message.find("client_id"), std::string::npos);  // lists the known fields

    EXPECT_TRUE(HeaderVocabulary::build(lacerte_format().aliases, {{"email", " - "}}).has_error());
    const auto twice =
        HeaderVocabulary::build(lacerte_format().aliases, {{"phone", "Phone"}, {"spouse_phone", "phone"}});
    ASSERT_TRUE(twice.has_error());
    EXPECT_NE(twice.error().message.find("same header"), std::string::npos);
}

}  // namespace
}  // namespace taxsync::connectors
