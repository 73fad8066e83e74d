#include <gtest/gtest.h>

#include "connectors/registry.hpp"
#include "daemon/config.hpp"
#include "tests/support/temp_dir.hpp"

namespace taxsync::daemon {
namespace {

class ServiceConfig : public ::testing::Test {
protected:
    ServiceConfig() {
        connectors::register_builtin_connectors(registry);
        const auto secret = dir.write("secret", "0123456789abcdef\n");
        std::filesystem::permissions(secret, std::filesystem::perms::owner_read);
    }

    Expected<Config, std::vector<ConfigError>> load(const std::string& service) {
        dir.write("taxsync.toml", "[service]\nstate_dir = \"state\"\n" + service +
                                      "\n[portal]\ntype = \"caseware-cloud\"\nbase_url = \"https://x.example.com/f\"\n"
                                      "client_id = \"c\"\nclient_secret_file = \"secret\"\n"
                                      "[[connector]]\nname = \"l\"\ntype = \"lacerte\"\nfolder = \"in\"\n");
        return load_config(dir.path() / "taxsync.toml", {}, registry);
    }

    testing::TempDir dir;
    connectors::ConnectorRegistry registry;
};

TEST_F(ServiceConfig, DefaultsAreSensible) {
    const auto config = load("");
    ASSERT_TRUE(config.has_value());
    const ServiceSettings& service = config->service;
    EXPECT_EQ(service.interval, std::chrono::seconds(900));
    EXPECT_EQ(service.change_delay, std::chrono::seconds(5));
    EXPECT_EQ(service.watch, WatchMode::Native);
    EXPECT_EQ(service.control_socket, dir.path() / "state" / "control.sock");
    EXPECT_EQ(service.status_listen, "127.0.0.1:9464");
    EXPECT_FALSE(service.log_format.has_value());
    EXPECT_EQ(effective_log_format(service, {std::nullopt, true}), LogFormat::Journal);   // under systemd
    EXPECT_EQ(effective_log_format(service, {std::nullopt, false}), LogFormat::Text);     // in a terminal
}

TEST_F(ServiceConfig, EverySettingIsReadAndRelativePathsFollowTheFile) {
    const auto config = load("interval_seconds = 60\nchange_delay_seconds = 0\nwatch = \"polling\"\npoll_seconds = 7\n"
                             "control_socket = \"run/ctl.sock\"\nstatus_listen = \"\"\nlog_format = \"json\"\n"
                             "log_file = \"log/taxsync.log\"\nshutdown_seconds = 5");
    ASSERT_TRUE(config.has_value()) << config.error()[0].to_string();
    const ServiceSettings& service = config->service;
    EXPECT_EQ(service.interval, std::chrono::seconds(60));
    EXPECT_EQ(service.watch, WatchMode::Polling);
    EXPECT_EQ(service.poll_interval, std::chrono::seconds(7));
    EXPECT_EQ(service.control_socket, dir.path() / "run" / "ctl.sock");
    EXPECT_TRUE(service.status_listen.empty());
    EXPECT_EQ(service.log_format, LogFormat::Json);
    EXPECT_EQ(service.log_file, dir.path() / "log" / "taxsync.log");
    EXPECT_EQ(service.shutdown_deadline, std::chrono::seconds(5));
}

TEST_F(ServiceConfig, SyncPolicyDefaultsAreTheCarefulOnes) {
    const auto config = load("");
    ASSERT_TRUE(config.has_value());
    const engine::SyncPolicy& policy = config->policy;
    EXPECT_EQ(policy.removal, engine::RemovalPolicy::Preserve);
    EXPECT_EQ(policy.absences_before_removal, 3);
    EXPECT_EQ(policy.limits.max_invitations, 100U);
    EXPECT_EQ(policy.limits.max_revocations, 10U);
    EXPECT_EQ(policy.invitations.reinvite_after, std::chrono::hours(0));
}

TEST_F(ServiceConfig, SyncPolicyTablesAreRead) {
    const auto config = load(
        "\n[safety]\nmax_invitations = 0\nmax_revocations = 3\nmax_changed_percent = 50\n"
        "[removal]\npolicy = \"archive\"\nafter_absences = 1\n"
        "[invitations]\nreinvite_after_days = 7\nmax_reinvites = 1\nvalid_days = 14\nrecheck_hours = 0\n");
    ASSERT_TRUE(config.has_value()) << config.error()[0].to_string();
    const engine::SyncPolicy& policy = config->policy;
    EXPECT_EQ(policy.limits.max_invitations, 0U);
    EXPECT_EQ(policy.limits.max_revocations, 3U);
    EXPECT_DOUBLE_EQ(policy.limits.max_changed_percent, 50.0);
    EXPECT_EQ(policy.removal, engine::RemovalPolicy::Archive);
    EXPECT_EQ(policy.absences_before_removal, 1);
    EXPECT_EQ(policy.invitations.reinvite_after, std::chrono::hours(24 * 7));
    EXPECT_EQ(policy.invitations.max_reinvites, 1);
    EXPECT_EQ(policy.invitations.valid_for, std::chrono::hours(24 * 14));
    EXPECT_EQ(policy.invitations.recheck_after, std::chrono::hours(0));
}

TEST_F(ServiceConfig, SyncPolicyMistakesAreNamedWithTheirPosition) {
    const auto config = load("\n[removal]\npolicy = \"delete\"\nafter_absences = 0\n[safety]\nmax_invites = 5\n");
    ASSERT_TRUE(config.has_error());
    const std::string all = to_string(config.error());
    EXPECT_NE(all.find(":5:10: policy must be \"preserve\", \"revoke\" or \"archive\", not \"delete\""), std::string::npos)
        << all;
    EXPECT_NE(all.find(":6:18: 'after_absences' must be between 1 and 1000"), std::string::npos) << all;
    EXPECT_NE(all.find("unknown key 'max_invites' in [safety]"), std::string::npos) << all;
}

TEST_F(ServiceConfig, BadValuesAreNamedWithTheirPosition) {
    const auto config = load("interval_seconds = 1\nwatch = \"sometimes\"\nstatus_listen = \"0.0.0.0:9464\"\n"
                             "log_format = \"xml\"");
    ASSERT_TRUE(config.has_error());
    const std::string all = to_string(config.error());
    EXPECT_NE(all.find("taxsync.toml:3:20: 'interval_seconds' must be between 10 and 86400"), std::string::npos) << all;
    EXPECT_NE(all.find("taxsync.toml:4:9: watch must be"), std::string::npos) << all;
    EXPECT_NE(all.find("loopback only"), std::string::npos) << all;
    EXPECT_NE(all.find("log_format must be auto, text, journal or json"), std::string::npos) << all;
}

TEST_F(ServiceConfig, TheControlSocketCanBeFoundInAFileThatDoesNotValidate) {
    dir.write("broken.toml", "[service]\nstate_dir = \"state\"\nunknown = 1\n");
    EXPECT_EQ(read_control_socket(dir.path() / "broken.toml"), dir.path() / "state" / "control.sock");
    dir.write("custom.toml", "[service]\ncontrol_socket = \"/run/taxsync/control.sock\"\n[portal]\nbogus = true\n");
    EXPECT_EQ(read_control_socket(dir.path() / "custom.toml"), std::filesystem::path("/run/taxsync/control.sock"));
    dir.write("garbage.toml", "[service\n");
    EXPECT_FALSE(read_control_socket(dir.path() / "garbage.toml").has_value());
}

}  // namespace
}  // namespace taxsync::daemon
