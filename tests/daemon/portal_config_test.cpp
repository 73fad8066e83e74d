// [portal] type = "smartvault": what is required, and errors with their position; concurrency.

#include <gtest/gtest.h>

#include "connectors/registry.hpp"
#include "daemon/config.hpp"
#include "tests/support/rsa_keys.hpp"
#include "tests/support/temp_dir.hpp"

namespace taxsync::daemon {
namespace {

class SmartvaultConfig : public ::testing::Test {
protected:
    SmartvaultConfig() {
        connectors::register_builtin_connectors(registry);
        static const testing::RsaKeyPair keys = testing::generate_rsa_key_pair();
        const auto key = dir.write("app.key", keys.private_pem);
        std::filesystem::permissions(key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    }

    Expected<Config, std::vector<ConfigError>> load(const std::string& portal) {
        dir.write("taxsync.toml", "[service]\nstate_dir = \"state\"\n[portal]\ntype = \"smartvault\"\n" + portal +
                                      "\n[[connector]]\nname = \"l\"\ntype = \"lacerte\"\nfolder = \"in\"\n");
        return load_config(dir.path() / "taxsync.toml", {}, registry);
    }

    testing::TempDir dir;
    connectors::ConnectorRegistry registry;
};

TEST_F(SmartvaultConfig, EverySettingIsRead) {
    const auto config = load(
        "account = \"acme\"\napp_id = \"app\"\nprivate_key_file = \"app.key\"\n"
        "admin_email = \"Admin@Firm.example\"\nrequests_per_second = 0.5");
    ASSERT_TRUE(config.has_value()) << to_string(config.error());
    EXPECT_EQ(config->portal.base_url, "https://rest.smartvault.com");
    EXPECT_EQ(config->portal.account, "acme");
    EXPECT_EQ(config->portal.app_id, "app");
    EXPECT_EQ(config->portal.admin_email, "admin@firm.example");
    EXPECT_EQ(config->portal.private_key_file, dir.path() / "app.key");
    EXPECT_NE(config->portal.private_key.find("PRIVATE KEY"), std::string::npos);
    EXPECT_DOUBLE_EQ(config->portal.requests_per_second, 0.5);
}

TEST_F(SmartvaultConfig, MissingAndWrongValuesAreNamedWithTheirPosition) {
    const auto config = load(
        "app_id = \"app\"\nprivate_key_file = \"app.key\"\nadmin_email = \"not an email\"\n"
        "client_secret_file = \"x\"\nrequests_per_second = -1");
    ASSERT_TRUE(config.has_value() == false);
    const std::string text = to_string(config.error());
    EXPECT_NE(text.find("taxsync.toml:3:1: missing 'account' in [portal]"), std::string::npos) << text;
    EXPECT_NE(text.find("taxsync.toml:7:15: admin_email \"not an email\" is not an email address"), std::string::npos)
        << text;
    EXPECT_NE(text.find("unknown key 'client_secret_file' in [portal] (smartvault)"), std::string::npos) << text;
    EXPECT_NE(text.find("taxsync.toml:9:23: requests_per_second must be"), std::string::npos) << text;
}

TEST_F(SmartvaultConfig, ConcurrencyHasADefaultAndABound) {
    const std::string required =
        "account = \"acme\"\napp_id = \"app\"\nprivate_key_file = \"app.key\"\nadmin_email = \"a@firm.example\"\n";
    const auto defaults = load(required);
    ASSERT_TRUE(defaults.has_value()) << to_string(defaults.error());
    EXPECT_EQ(defaults->portal.concurrency, 4);
    const auto eight = load(required + "concurrency = 8");
    ASSERT_TRUE(eight.has_value()) << to_string(eight.error());
    EXPECT_EQ(eight->portal.concurrency, 8);
    const auto none = load(required + "concurrency = 0");
    ASSERT_FALSE(none.has_value());
    EXPECT_NE(to_string(none.error()).find("taxsync.toml:9:15: 'concurrency' must be between 1 and 64"),
              std::string::npos)
        << to_string(none.error());
}

TEST_F(SmartvaultConfig, KeyFileOthersCanReadOrThatIsNoKeyIsRefused) {
    std::filesystem::permissions(dir.path() / "app.key", std::filesystem::perms::group_read,
                                 std::filesystem::perm_options::add);
    auto config =
        load("account = \"acme\"\napp_id = \"app\"\nprivate_key_file = \"app.key\"\nadmin_email = \"a@b.example\"");
    ASSERT_FALSE(config.has_value());
    EXPECT_NE(to_string(config.error()).find(":7:20: private key file"), std::string::npos)
        << to_string(config.error());
    EXPECT_NE(to_string(config.error()).find("chmod 600"), std::string::npos);

    const auto junk = dir.write("junk.key", "not a key\n");
    std::filesystem::permissions(junk, std::filesystem::perms::owner_read);
    config =
        load("account = \"acme\"\napp_id = \"app\"\nprivate_key_file = \"junk.key\"\nadmin_email = \"a@b.example\"");
    ASSERT_FALSE(config.has_value());
    EXPECT_NE(to_string(config.error()).find("not an unencrypted PEM private key"), std::string::npos)
        << to_string(config.error());
}

}  // namespace
}  // namespace taxsync::daemon
