// Reads the demo exports in examples/ and checks them against the totals examples/README.md
// states, so the README, the data and the connectors cannot drift apart.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "tests/connectors/connector_fixture.hpp"

namespace taxsync::connectors {
namespace {

using testing::find_client;
using testing::problems_mentioning;
using namespace std::chrono_literals;

const std::filesystem::path kExamples = std::filesystem::path(TAXSYNC_SOURCE_DIR) / "examples";

/// The number in the README's totals table row whose first cell is `key`, or -1.
long readme_total(const std::string& readme, const std::string& key) {
    const std::regex row("\\|\\s*" + key + "\\s*\\|\\s*([0-9]+)\\s*\\|");
    std::smatch match;
    if (!std::regex_search(readme, match, row)) return -1;
    return std::stol(match[1].str());
}

class Examples : public ::testing::Test {
protected:
    Batch read(const std::string& type, const std::string& folder) {
        ConnectorSettings settings;
        settings.name = ConnectorName(type);
        settings.type = type;
        settings.folder = kExamples / folder;
        settings.settle = 0s;
        auto connector = registry_.create(settings, ConnectorServices{clock_, hasher_, log_});
        EXPECT_TRUE(connector.has_value()) << (connector.has_error() ? connector.error().message : "");
        if (connector.has_error()) return {};
        const auto state = connector.value()->scan();
        EXPECT_TRUE(state.has_value()) << (state.has_error() ? state.error().message : "");
        if (state.has_error()) return {};
        EXPECT_EQ(state->ready.size(), 1U) << folder;
        return connector.value()->read(*state);
    }

    void SetUp() override {
        register_builtin_connectors(registry_);
        lacerte_ = read("lacerte", "lacerte");
        proseries_ = read("proseries", "proseries");
        readme_ = taxsync::testing::read_file(kExamples / "README.md");
    }

    [[nodiscard]] std::vector<const TaxClient*> all_clients() const {
        std::vector<const TaxClient*> out;
        for (const Batch* batch : {&lacerte_, &proseries_}) {
            for (const TaxClient& client : batch->clients) out.push_back(&client);
        }
        return out;
    }

    // The checkout's mtimes are whatever git gave them: a clock a day ahead sees them settled.
    taxsync::testing::ManualClock clock_{std::chrono::system_clock::now() + 24h};
    TaxIdHasher hasher_{"examples-test-key-0123456789"};
    Logger log_ = Logger::null();
    ConnectorRegistry registry_;
    Batch lacerte_;
    Batch proseries_;
    std::string readme_;
};

TEST_F(Examples, BothFilesAreTakenWhole) {
    ASSERT_TRUE(lacerte_.complete);
    ASSERT_TRUE(proseries_.complete);
    ASSERT_EQ(lacerte_.files.size(), 1U);
    ASSERT_EQ(proseries_.files.size(), 1U);
    EXPECT_EQ(lacerte_.files[0].encoding, "utf-8");
    EXPECT_EQ(proseries_.files[0].encoding, "windows-1252");
    EXPECT_EQ(lacerte_.files[0].rows, 30U);
    EXPECT_EQ(proseries_.files[0].rows, 20U);
}

TEST_F(Examples, TotalsMatchTheReadme) {
    std::set<std::string> usable_emails;
    long people = 0;
    long missing = 0;
    long invalid = 0;
    long businesses = 0;
    for (const TaxClient* client : all_clients()) {
        if (client->kind == EntityKind::Business) ++businesses;
        for (const Person& person : client->people) {
            ++people;
            if (person.email_status == EmailStatus::Usable) usable_emails.insert(person.email);
            if (person.email_status == EmailStatus::Missing) ++missing;
            if (person.email_status == EmailStatus::Invalid) ++invalid;
        }
    }
    const auto errors = static_cast<long>(testing::count_problems(lacerte_, Severity::Error) +
                                          testing::count_problems(proseries_, Severity::Error));
    const auto warnings = static_cast<long>(testing::count_problems(lacerte_, Severity::Warning) +
                                            testing::count_problems(proseries_, Severity::Warning));

    EXPECT_EQ(static_cast<long>(lacerte_.files[0].rows + proseries_.files[0].rows), readme_total(readme_, "rows read"));
    EXPECT_EQ(static_cast<long>(all_clients().size()), readme_total(readme_, "clients imported"));
    EXPECT_EQ(businesses, readme_total(readme_, "of which businesses"));
    EXPECT_EQ(people, readme_total(readme_, "people"));
    EXPECT_EQ(static_cast<long>(usable_emails.size()),
              readme_total(readme_, "distinct usable emails \\(invitations\\)"));
    EXPECT_EQ(missing, readme_total(readme_, "people with a missing email"));
    EXPECT_EQ(invalid, readme_total(readme_, "people with an invalid email"));
    EXPECT_EQ(errors, readme_total(readme_, "bad rows \\(errors\\)"));
    EXPECT_EQ(warnings, readme_total(readme_, "warnings"));
}

TEST_F(Examples, TheOneBadRowIsTheExcelMangledId) {
    const auto bad = problems_mentioning(proseries_, "Excel turned the id into a number");
    ASSERT_EQ(bad.size(), 1U);
    EXPECT_EQ(bad[0].severity, Severity::Error);
    EXPECT_EQ(bad[0].line, 8U);
    EXPECT_NE(bad[0].reason.find("1.2E+07"), std::string::npos);
    EXPECT_EQ(proseries_.files[0].imported, 19U);
}

TEST_F(Examples, NotableRowsComeOutAsTheReadmeSays) {
    const TaxClient* berg = find_client(lacerte_, "00417I");
    ASSERT_NE(berg, nullptr);
    ASSERT_EQ(berg->people.size(), 2U);
    EXPECT_EQ(berg->people[0].email, berg->people[1].email);

    const TaxClient* whitfield = find_client(lacerte_, "00418I");
    ASSERT_NE(whitfield, nullptr);
    ASSERT_EQ(whitfield->people.size(), 2U);
    EXPECT_NE(whitfield->people[0].email, whitfield->people[1].email);

    const TaxClient* dunn = find_client(lacerte_, "00422I");
    ASSERT_NE(dunn, nullptr);
    ASSERT_EQ(dunn->people.size(), 2U);
    EXPECT_EQ(dunn->people[1].email_status, EmailStatus::Missing);

    // One person, two clients: the bakery's contact is the owner's own 1040 client.
    const TaxClient* owner = find_client(lacerte_, "00440I");
    const TaxClient* bakery = find_client(lacerte_, "00502C");
    ASSERT_NE(owner, nullptr);
    ASSERT_NE(bakery, nullptr);
    EXPECT_EQ(owner->kind, EntityKind::Individual);
    EXPECT_EQ(bakery->kind, EntityKind::Business);
    EXPECT_EQ(bakery->business_name, "Birch Lane Bakery Inc.");
    EXPECT_EQ(bakery->return_type, "1120");
    ASSERT_EQ(bakery->people.size(), 1U);
    EXPECT_EQ(bakery->people[0].email, owner->people[0].email);

    EXPECT_EQ(find_client(lacerte_, "00455I")->display_name(), "Beatrice Holloway & Frank Ames");
    EXPECT_EQ(find_client(lacerte_, "00463I")->people[1].display_name(), "Piotr Kowalski");
    EXPECT_EQ(find_client(lacerte_, "00537I")->people[0].email, "teresa.moreno@example.com");
    EXPECT_EQ(find_client(lacerte_, "00510S")->return_type, "1120S");
    EXPECT_EQ(find_client(lacerte_, "00530F")->return_type, "1041");
    EXPECT_FALSE(find_client(lacerte_, "00530F")->people[0].tax_id.has_value());  // the EIN is the trust's
    EXPECT_EQ(find_client(lacerte_, "00556I")->people[0].first_name, "S\xC3\xB8ren");

    const TaxClient* oconnor = find_client(lacerte_, "00452I");
    ASSERT_NE(oconnor, nullptr);
    EXPECT_EQ(oconnor->people[0].display_name(), "James O'Connor");

    const TaxClient* doe = find_client(proseries_, "20101");
    ASSERT_NE(doe, nullptr);
    ASSERT_EQ(doe->people.size(), 2U);
    EXPECT_EQ(doe->people[1].display_name(), "Jane Doe");
    EXPECT_EQ(doe->people[1].email_status, EmailStatus::Missing);

    EXPECT_EQ(find_client(proseries_, "20102")->people[0].first_name,
              "Ren\xC3\xA9"
              "e");
    EXPECT_EQ(find_client(proseries_, "20103")->people[0].last_name,
              "D\xE2\x80\x99"
              "Angelo");
    EXPECT_EQ(find_client(proseries_, "20108")->return_type, "1120S");
    EXPECT_TRUE(find_client(proseries_, "20109")->people.empty());
    EXPECT_NE(find_client(proseries_, "04518"), nullptr);
    EXPECT_EQ(find_client(proseries_, "20117")->return_type, "1040NR");
}

TEST_F(Examples, WarningsAreWhereTheReadmeSays) {
    const auto lines_of = [](const Batch& batch) {
        std::vector<std::size_t> lines;
        for (const Problem& problem : batch.problems) {
            if (problem.severity == Severity::Warning) lines.push_back(problem.line);
        }
        return lines;
    };
    EXPECT_EQ(lines_of(lacerte_), (std::vector<std::size_t>{1, 6, 16, 25}));
    EXPECT_EQ(lines_of(proseries_), (std::vector<std::size_t>{1, 7, 20}));
    EXPECT_EQ(problems_mentioning(lacerte_, "'Return Status'").size(), 1U);
    EXPECT_EQ(problems_mentioning(proseries_, "'Street Address'").size(), 1U);
    EXPECT_EQ(problems_mentioning(lacerte_, "tax id is masked").size(), 1U);
}

TEST_F(Examples, NoTaxIdDigitsSurviveIntake) {
    const std::regex nine_digits("9[08][0-9-]{7,9}");
    for (const TaxClient* client : all_clients()) {
        const std::string json = nlohmann::json(*client).dump();
        // Keyed hashes are hex and could contain digit runs; look only outside them.
        nlohmann::json stripped = nlohmann::json::parse(json);
        for (auto& person : stripped["people"]) person.erase("tax_id");
        EXPECT_FALSE(std::regex_search(stripped.dump(), nine_digits)) << stripped.dump();
    }
    for (const Batch* batch : {&lacerte_, &proseries_}) {
        for (const Problem& problem : batch->problems) {
            EXPECT_FALSE(std::regex_search(problem.reason, nine_digits)) << problem.reason;
        }
    }
}

}  // namespace
}  // namespace taxsync::connectors
