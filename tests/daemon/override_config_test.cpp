// [[override]] and [document_request]: read into the rules, every mistake named with its position.

#include <gtest/gtest.h>

#include "connectors/registry.hpp"
#include "daemon/config.hpp"
#include "tests/support/temp_dir.hpp"

namespace taxsync::daemon {
namespace {

class OverrideConfig : public ::testing::Test {
protected:
    OverrideConfig() {
        connectors::register_builtin_connectors(registry);
        const auto secret = dir.write("secret", "0123456789abcdef\n");
        std::filesystem::permissions(secret, std::filesystem::perms::owner_read);
    }

    // The tail starts at line 12 of the file.
    Expected<Config, std::vector<ConfigError>> load(const std::string& tail) {
        dir.write("taxsync.toml",
                  "[service]\nstate_dir = \"state\"\n"
                  "[portal]\ntype = \"caseware-cloud\"\nbase_url = \"https://x.example.com/f\"\n"
                  "client_id = \"c\"\nclient_secret_file = \"secret\"\n"
                  "[[connector]]\nname = \"l\"\ntype = \"lacerte\"\nfolder = \"in\"\n" +
                      tail);
        return load_config(dir.path() / "taxsync.toml", {}, registry);
    }

    testing::TempDir dir;
    connectors::ConnectorRegistry registry;
};

TEST_F(OverrideConfig, OverridesAreReadInFileOrderWithEverySetting) {
    const auto config = load(R"(
[[override]]
name = "Trusts"
match = { return_type = ["1041", "706"], office = "Austin" }
role = "Contact - Entity Access"
folders = [ { path = "{tax_year}/Trust", access = "upload" } ]
groups = ["Trusts {tax_year}"]
invite = false

[[override]]
match = { client_ids = ["00417I"], connector = "l" }
extra_folders = [ { path = "{tax_year}/Payroll" } ]
extra_groups = "VIP"
invitation_message = "Welcome, {contact_first_name}."
)");
    ASSERT_TRUE(config.has_value()) << to_string(config.error());
    const auto& overrides = config->rules.overrides;
    ASSERT_EQ(overrides.size(), 2U);
    EXPECT_EQ(overrides[0].label, "\"Trusts\"");
    ASSERT_EQ(overrides[0].match.size(), 2U);
    EXPECT_EQ(overrides[0].match[0].field, "office");  // keys come sorted; the order does not matter
    EXPECT_EQ(overrides[0].match[1].field, "return_type");
    EXPECT_EQ(overrides[0].match[1].any_of, (std::vector<std::string>{"1041", "706"}));
    EXPECT_EQ(overrides[0].role, "Contact - Entity Access");
    ASSERT_TRUE(overrides[0].folders.has_value());
    ASSERT_EQ(overrides[0].folders->size(), 1U);
    EXPECT_EQ((*overrides[0].folders)[0].access, mapping::Access::Upload);
    ASSERT_TRUE(overrides[0].groups.has_value());
    EXPECT_EQ((*overrides[0].groups)[0].source(), "Trusts {tax_year}");
    EXPECT_EQ(overrides[0].invite, false);

    EXPECT_EQ(overrides[1].label, "#2");
    EXPECT_FALSE(overrides[1].role.has_value());
    EXPECT_FALSE(overrides[1].folders.has_value());
    ASSERT_EQ(overrides[1].extra_folders.size(), 1U);
    EXPECT_EQ(overrides[1].extra_folders[0].access, mapping::Access::Read);
    ASSERT_EQ(overrides[1].extra_groups.size(), 1U);
    ASSERT_TRUE(overrides[1].invitation_message.has_value());
    bool client_ids = false;
    for (const auto& condition : overrides[1].match) client_ids = client_ids || condition.field == "client_id";
    EXPECT_TRUE(client_ids);
}

TEST_F(OverrideConfig, MistakesInAnOverrideAreNamedWithTheirPosition) {
    const auto config = load(R"(
[[override]]
match = { tags = ["vip"] }
role = "X"

[[override]]
match = { office = "Austin" }
folders = [ { path = "{tax_yaer}/Trust" } ]

[[override]]
match = { connector = "l" }
role = "X"

[[override]]
role = "X"

[[override]]
match = { office = "Austin" }

[[override]]
match = { entity_kind = "trust" }
colour = "red"
)");
    ASSERT_TRUE(config.has_error());
    const std::string errors = to_string(config.error());
    EXPECT_NE(errors.find("taxsync.toml:14:18: unknown key 'tags' in an override's match"), std::string::npos)
        << errors;
    EXPECT_NE(errors.find("taxsync.toml:19:"), std::string::npos) << errors;  // the folder template
    EXPECT_NE(errors.find("tax_yaer"), std::string::npos) << errors;
    EXPECT_NE(errors.find("taxsync.toml:22:23: connector narrows client_ids"), std::string::npos) << errors;
    EXPECT_NE(errors.find("taxsync.toml:25:1: [[override]] #4 needs a match"), std::string::npos) << errors;
    EXPECT_NE(errors.find("taxsync.toml:28:1: [[override]] #5 changes nothing"), std::string::npos) << errors;
    EXPECT_NE(errors.find("entity_kind must be \"individual\" or \"business\", not \"trust\""), std::string::npos)
        << errors;
    EXPECT_NE(errors.find("taxsync.toml:33:10: unknown key 'colour' in [[override]]"), std::string::npos) << errors;
}

TEST_F(OverrideConfig, DocumentRequestIsOffUnlessEnabledAndHasWorkingDefaults) {
    const auto plain = load("");
    ASSERT_TRUE(plain.has_value()) << to_string(plain.error());
    EXPECT_FALSE(plain->rules.document_request.enabled);

    const auto enabled = load("[document_request]\nenabled = true\n");
    ASSERT_TRUE(enabled.has_value()) << to_string(enabled.error());
    const auto& request = enabled->rules.document_request;
    EXPECT_TRUE(request.enabled);
    EXPECT_NE(request.subject.source().find("{tax_year}"), std::string::npos);
    EXPECT_FALSE(request.message.source().empty());
    EXPECT_FALSE(request.attach.has_value());
}

TEST_F(OverrideConfig, DocumentRequestTemplatesAreCheckedAtConfigCheck) {
    const auto good = load(
        "[document_request]\nenabled = true\nsubject = \"{tax_year} papers for {entity_name}\"\n"
        "description = \"From {firm_name}\"\nmessage = \"Dear {contact_first_name}\"\n"
        "attach = \"{tax_year}/Organizer/{client_id} Organizer.pdf\"\n");
    ASSERT_TRUE(good.has_value()) << to_string(good.error());
    ASSERT_TRUE(good->rules.document_request.attach.has_value());
    EXPECT_EQ(good->rules.document_request.attach->source(), "{tax_year}/Organizer/{client_id} Organizer.pdf");

    const auto bad = load(
        "[document_request]\nenabled = 1\nsubject = \"Dear {contact_first_name}\"\n"
        "message = \"{nope}\"\nattach = \"Organizer.pdf\"\nwhen = \"now\"\n");
    ASSERT_TRUE(bad.has_error());
    const std::string errors = to_string(bad.error());
    EXPECT_NE(errors.find("taxsync.toml:13:11: 'enabled' must be true or false"), std::string::npos) << errors;
    EXPECT_NE(errors.find("taxsync.toml:14:11: 'subject'"), std::string::npos) << errors;
    EXPECT_NE(errors.find("contact_first_name"), std::string::npos) << errors;
    EXPECT_NE(errors.find("taxsync.toml:15:11: 'message'"), std::string::npos) << errors;
    EXPECT_NE(errors.find("taxsync.toml:16:10: attach must be a folder path and a file name"), std::string::npos)
        << errors;
    EXPECT_NE(errors.find("taxsync.toml:17:8: unknown key 'when' in [document_request]"), std::string::npos) << errors;
}

}  // namespace
}  // namespace taxsync::daemon
