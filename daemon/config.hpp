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

struct ServiceSettings {
    std::filesystem::path state_dir;
    engine::Mode mode = engine::Mode::Apply;
    LogLevel log_level = LogLevel::Info;
    std::filesystem::path tax_id_key_file;  // defaults to <state_dir>/tax-id.key
};

struct PortalSettings {
    std::string type;  // "caseware-cloud"
    std::string base_url;
    std::string client_id;
    std::string client_secret;       // the value, read from its source while loading
    std::string client_secret_from;  // where it came from, for messages (never the value)
    bool idempotency_keys = false;
    std::chrono::seconds timeout{60};
    std::chrono::seconds connect_timeout{10};
    int max_attempts = 5;
    std::string ca_file;
};

struct Config {
    std::filesystem::path file;
    ServiceSettings service;
    PortalSettings portal;
    mapping::MappingRules rules;
    std::vector<connectors::ConnectorSettings> connectors;
};

/// What the loader may look at besides the file: the systemd credentials directory.
struct Environment {
    std::optional<std::filesystem::path> credentials_directory;  // $CREDENTIALS_DIRECTORY
};

Environment environment_from_process();

/// Reads, parses and validates. Relative paths are taken relative to the config file's folder.
Expected<Config, std::vector<ConfigError>> load_config(const std::filesystem::path& file, const Environment& environment,
                                                       const connectors::ConnectorRegistry& registry);

/// Refuses a secret file that group or others may read, as ssh refuses a private key.
Status check_private_file(const std::filesystem::path& file, std::string_view what);

}  // namespace taxsync::daemon
