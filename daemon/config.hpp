#pragma once
// The configuration file: parsed and checked in one pass, every error with file, line and column.
// `taxsync config check` and every command that starts work use the same function.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "connectors/connector.hpp"
#include "connectors/registry.hpp"
#include "core/expected.hpp"
#include "core/logger.hpp"
#include "engine/policy.hpp"
#include "engine/report.hpp"
#include "mapping/rules.hpp"

namespace taxsync::daemon {

struct ConfigError {
    std::string file;
    std::uint32_t line = 0;  // 0: the problem concerns the file as a whole
    std::uint32_t column = 0;
    std::string message;

    [[nodiscard]] std::string to_string() const;
};

/// Every error on a line of its own, in the order found.
std::string to_string(const std::vector<ConfigError>& errors);

enum class WatchMode { Native, Polling, Off };

struct ServiceSettings {
    std::filesystem::path state_dir;
    engine::Mode mode = engine::Mode::Apply;
    LogLevel log_level = LogLevel::Info;
    std::filesystem::path tax_id_key_file;  // defaults to <state_dir>/tax-id.key

    // `taxsync run`
    std::chrono::seconds interval{900};      // a cycle this often (with up to 10% jitter)
    std::chrono::seconds change_delay{5};    // after a watched folder changed, wait this long, then cycle
    WatchMode watch = WatchMode::Native;
    std::chrono::seconds poll_interval{30};  // for watch = "polling"
    std::filesystem::path control_socket;    // defaults to <state_dir>/control.sock
    std::string status_listen = "127.0.0.1:9464";  // health and metrics; empty: off
    std::optional<LogFormat> log_format;     // unset: journal under systemd, text otherwise
    std::optional<std::filesystem::path> log_file;
    std::chrono::seconds shutdown_deadline{25};
};

struct PortalSettings {
    std::string type;  // "caseware-cloud" or "smartvault"
    std::string base_url;
    std::string client_id;
    std::string client_secret;       // the value, read from its source while loading
    std::string client_secret_from;  // where it came from, for messages (never the value)
    bool idempotency_keys = false;
    std::chrono::seconds timeout{60};
    std::chrono::seconds connect_timeout{10};
    int max_attempts = 5;
    std::string ca_file;
    int requests_per_minute = 0;  // token bucket; 0: no limit of our own (429s still pause)
    int burst = 10;
    int breaker_failures = 5;  // failed attempts in a row that open the circuit; 0: never
    std::chrono::seconds breaker_cooldown{60};
    int concurrency = 4;  // clients whose operations are applied at once; 1: one request at a time
    // SmartVault
    std::string account;
    std::string app_id;
    std::string admin_email;
    std::filesystem::path private_key_file;
    std::string private_key;  // the PEM text, read while loading (a secret)
    double requests_per_second = 2.0;
};

struct Config {
    std::filesystem::path file;
    ServiceSettings service;
    PortalSettings portal;
    mapping::MappingRules rules;
    engine::SyncPolicy policy;
    std::vector<connectors::ConnectorSettings> connectors;
};

/// What the loader may look at besides the file: the systemd credentials directory.
struct Environment {
    std::optional<std::filesystem::path> credentials_directory;  // $CREDENTIALS_DIRECTORY
    bool journal_stream = false;  // $JOURNAL_STREAM: systemd connected stdout to the journal
};

/// The log format to use: the configured one, else journal when stdout goes to the journal.
LogFormat effective_log_format(const ServiceSettings& service, const Environment& environment);

Environment environment_from_process();

/// Reads, parses and validates. Relative paths are taken relative to the config file's folder.
Expected<Config, std::vector<ConfigError>> load_config(const std::filesystem::path& file, const Environment& environment,
                                                       const connectors::ConnectorRegistry& registry);

/// Where the control socket is, read from a file that may not pass validation (as long as it is
/// still TOML): enough for `taxsync ctl status` to reach a service running an earlier version.
std::optional<std::filesystem::path> read_control_socket(const std::filesystem::path& file);

/// Refuses a secret file that group or others may read, as ssh refuses a private key.
Status check_private_file(const std::filesystem::path& file, std::string_view what);

}  // namespace taxsync::daemon
