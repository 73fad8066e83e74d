#include "daemon/config.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <toml++/toml.h>

#include "core/file.hpp"
#include "core/text.hpp"
#include "daemon/endpoint.hpp"
#include "portal/http.hpp"

namespace taxsync::daemon {

std::string ConfigError::to_string() const {
    if (line == 0) return file + ": " + message;
    return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

Environment environment_from_process() {
    Environment environment;
    if (const char* credentials = std::getenv("CREDENTIALS_DIRECTORY"); credentials != nullptr && *credentials != '\0') {
        environment.credentials_directory = credentials;
    }
    const char* journal = std::getenv("JOURNAL_STREAM");
    environment.journal_stream = journal != nullptr && *journal != '\0';
    return environment;
}

LogFormat effective_log_format(const ServiceSettings& service, const Environment& environment) {
    if (service.log_format) return *service.log_format;
    return environment.journal_stream ? LogFormat::Journal : LogFormat::Text;
}

Status check_private_file(const std::filesystem::path& file, std::string_view what) {
    struct stat info {};
    if (stat(file.c_str(), &info) != 0) {
        return fail(ErrorKind::InvalidInput, std::string(what) + " " + file.string() + " cannot be read: " +
                                                 std::strerror(errno));
    }
    if ((info.st_mode & 077U) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777U));
        return fail(ErrorKind::InvalidInput, std::string(what) + " " + file.string() + " is accessible by others (mode " +
                                                 mode + "); it is refused until you run: chmod 600 " + file.string());
    }
    return ok();
}

namespace {

constexpr std::string_view kCaseware = "caseware-cloud";

// Walks the TOML tree, collecting every error instead of stopping at the first.
class Checker {
public:
    Checker(std::string file, std::vector<ConfigError>& errors) : file_(std::move(file)), errors_(errors) {}

    void error(const toml::source_region& where, std::string message) {
        errors_.push_back({file_, where.begin.line, where.begin.column, std::move(message)});
    }

    void only_keys(const toml::table& table, std::initializer_list<std::string_view> allowed, std::string_view where) {
        for (const auto& [key, node] : table) {
            bool known = false;
            for (std::string_view name : allowed) known = known || key.str() == name;
            if (!known) {
                std::string list;
                for (std::string_view name : allowed) list += (list.empty() ? "" : ", ") + std::string(name);
                error(node.source(), "unknown key '" + std::string(key.str()) + "' in " + std::string(where) +
                                         " (allowed: " + list + ")");
            }
        }
    }

    std::optional<std::string> text(const toml::table& table, std::string_view key, std::string_view where,
                                    bool required = false) {
        const toml::node* node = table.get(key);
        if (node == nullptr) {
            if (required) error(table.source(), "missing '" + std::string(key) + "' in " + std::string(where));
            return std::nullopt;
        }
        if (!node->is_string()) {
            error(node->source(), "'" + std::string(key) + "' must be a string");
            return std::nullopt;
        }
        return node->value<std::string>();
    }

    std::optional<std::int64_t> integer(const toml::table& table, std::string_view key, std::int64_t low,
                                        std::int64_t high) {
        const toml::node* node = table.get(key);
        if (node == nullptr) return std::nullopt;
        if (!node->is_integer()) {
            error(node->source(), "'" + std::string(key) + "' must be a whole number");
            return std::nullopt;
        }
        const auto value = *node->value<std::int64_t>();
        if (value < low || value > high) {
            error(node->source(), "'" + std::string(key) + "' must be between " + std::to_string(low) + " and " +
                                      std::to_string(high));
            return std::nullopt;
        }
        return value;
    }

    std::optional<bool> boolean(const toml::table& table, std::string_view key) {
        const toml::node* node = table.get(key);
        if (node == nullptr) return std::nullopt;
        if (!node->is_boolean()) {
            error(node->source(), "'" + std::string(key) + "' must be true or false");
            return std::nullopt;
        }
        return node->value<bool>();
    }

    std::optional<std::vector<std::string>> texts(const toml::table& table, std::string_view key) {
        const toml::node* node = table.get(key);
        if (node == nullptr) return std::nullopt;
        std::vector<std::string> out;
        if (node->is_string()) {
            out.push_back(*node->value<std::string>());
            return out;
        }
        const toml::array* array = node->as_array();
        if (array == nullptr) {
            error(node->source(), "'" + std::string(key) + "' must be a string or a list of strings");
            return std::nullopt;
        }
        for (const toml::node& item : *array) {
            if (!item.is_string()) {
                error(item.source(), "'" + std::string(key) + "' must list strings only");
                return std::nullopt;
            }
            out.push_back(*item.value<std::string>());
        }
        return out;
    }

    /// The tables of an array of tables (`[[name]]`); anything else is reported and skipped.
    std::vector<const toml::table*> tables(const toml::node& node, std::string_view written_as) {
        std::vector<const toml::table*> out;
        const toml::array* list = node.as_array();
        if (list == nullptr) {
            error(node.source(), "write these as " + std::string(written_as) + " tables");
            return out;
        }
        for (const toml::node& item : *list) {
            if (const toml::table* table = item.as_table()) {
                out.push_back(table);
            } else {
                error(item.source(), "each " + std::string(written_as) + " must be a table");
            }
        }
        return out;
    }

    const toml::table* table(const toml::table& parent, std::string_view key) {
        const toml::node* node = parent.get(key);
        if (node == nullptr) return nullptr;
        if (!node->is_table()) {
            error(node->source(), "'" + std::string(key) + "' must be a table ([" + std::string(key) + "])");
            return nullptr;
        }
        return node->as_table();
    }

    std::optional<mapping::Template> template_at(const toml::table& table, std::string_view key,
                                                 const std::set<std::string, std::less<>>& fields) {
        const auto value = text(table, key, "");
        if (!value) return std::nullopt;
        auto parsed = mapping::Template::parse(*value, fields);
        if (parsed.has_error()) {
            error(table.get(key)->source(), "'" + std::string(key) + "': " + parsed.error().message);
            return std::nullopt;
        }
        return std::move(parsed).value();
    }

private:
    std::string file_;
    std::vector<ConfigError>& errors_;
};

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& value) {
    const std::filesystem::path path(value);
    return path.is_absolute() ? path : (base / path).lexically_normal();
}

Expected<std::string> read_secret(const std::filesystem::path& file) {
    if (auto private_file = check_private_file(file, "secret file"); private_file.has_error()) {
        return unexpected(private_file.error());
    }
    auto text = read_whole_file(file);
    if (text.has_error()) return unexpected(std::move(text).error());
    std::string secret(trim(*text));
    if (secret.empty()) return fail(ErrorKind::InvalidInput, "secret file " + file.string() + " is empty");
    return secret;
}

void load_service(Checker& check, const toml::table& root, const std::filesystem::path& base, Config& config) {
    const toml::table* service = check.table(root, "service");
    if (service == nullptr) {
        check.error(root.source(), "missing [service] table (it names the state_dir)");
        return;
    }
    check.only_keys(*service,
                    {"state_dir", "mode", "log_level", "interval_seconds", "change_delay_seconds", "watch",
                     "poll_seconds", "control_socket", "status_listen", "log_format", "log_file", "shutdown_seconds"},
                    "[service]");
    if (auto dir = check.text(*service, "state_dir", "[service]", true)) config.service.state_dir = resolve(base, *dir);
    if (auto mode = check.text(*service, "mode", "[service]")) {
        if (*mode == "apply") {
            config.service.mode = engine::Mode::Apply;
        } else if (*mode == "plan") {
            config.service.mode = engine::Mode::Plan;
        } else {
            check.error(service->get("mode")->source(), "mode must be \"apply\" or \"plan\", not \"" + *mode + "\"");
        }
    }
    if (auto level = check.text(*service, "log_level", "[service]")) {
        static const std::map<std::string, LogLevel, std::less<>> levels = {
            {"debug", LogLevel::Debug}, {"info", LogLevel::Info}, {"warning", LogLevel::Warning}, {"error", LogLevel::Error}};
        if (const auto found = levels.find(*level); found != levels.end()) {
            config.service.log_level = found->second;
        } else {
            check.error(service->get("log_level")->source(), "log_level must be debug, info, warning or error");
        }
    }
    ServiceSettings& settings = config.service;
    if (auto seconds = check.integer(*service, "interval_seconds", 10, 86400)) settings.interval = std::chrono::seconds(*seconds);
    if (auto seconds = check.integer(*service, "change_delay_seconds", 0, 3600)) {
        settings.change_delay = std::chrono::seconds(*seconds);
    }
    if (auto seconds = check.integer(*service, "poll_seconds", 1, 3600)) settings.poll_interval = std::chrono::seconds(*seconds);
    if (auto seconds = check.integer(*service, "shutdown_seconds", 1, 300)) {
        settings.shutdown_deadline = std::chrono::seconds(*seconds);
    }
    if (auto watch = check.text(*service, "watch", "[service]")) {
        if (*watch == "native") {
            settings.watch = WatchMode::Native;
        } else if (*watch == "polling") {
            settings.watch = WatchMode::Polling;
        } else if (*watch == "off") {
            settings.watch = WatchMode::Off;
        } else {
            check.error(service->get("watch")->source(), "watch must be \"native\", \"polling\" or \"off\"");
        }
    }
    settings.control_socket = settings.state_dir / "control.sock";
    if (auto socket = check.text(*service, "control_socket", "[service]")) settings.control_socket = resolve(base, *socket);
    if (auto listen = check.text(*service, "status_listen", "[service]")) {
        if (!listen->empty()) {
            if (auto address = parse_loopback_endpoint(*listen); address.has_error()) {
                check.error(service->get("status_listen")->source(), "status_listen: " + address.error().message);
            }
        }
        settings.status_listen = *listen;
    }
    if (auto format = check.text(*service, "log_format", "[service]")) {
        if (*format == "text") {
            settings.log_format = LogFormat::Text;
        } else if (*format == "journal") {
            settings.log_format = LogFormat::Journal;
        } else if (*format == "json") {
            settings.log_format = LogFormat::Json;
        } else if (*format != "auto") {
            check.error(service->get("log_format")->source(), "log_format must be auto, text, journal or json");
        }
    }
    if (auto file = check.text(*service, "log_file", "[service]")) {
        if (!file->empty()) settings.log_file = resolve(base, *file);
    }
    config.service.tax_id_key_file = config.service.state_dir / "tax-id.key";
    if (const toml::table* security = check.table(root, "security")) {
        check.only_keys(*security, {"tax_id_key_file"}, "[security]");
        if (auto key = check.text(*security, "tax_id_key_file", "[security]")) {
            config.service.tax_id_key_file = resolve(base, *key);
        }
    }
}

void load_portal(Checker& check, const toml::table& root, const std::filesystem::path& base, const Environment& environment,
                 bool config_private, Config& config) {
    const toml::table* portal = check.table(root, "portal");
    if (portal == nullptr) {
        check.error(root.source(), "missing [portal] table");
        return;
    }
    check.only_keys(*portal,
                    {"type", "base_url", "client_id", "client_secret", "client_secret_file", "client_secret_credential",
                     "idempotency_keys", "timeout_seconds", "connect_timeout_seconds", "max_attempts", "ca_file"},
                    "[portal]");
    PortalSettings& settings = config.portal;
    if (auto type = check.text(*portal, "type", "[portal]", true)) {
        settings.type = *type;
        if (*type != kCaseware) {
            check.error(portal->get("type")->source(), "unknown portal type \"" + *type + "\" (known: caseware-cloud)");
        }
    }
    if (auto url = check.text(*portal, "base_url", "[portal]", true)) {
        if (auto allowed = portal::check_url_allowed(*url); allowed.has_error()) {
            check.error(portal->get("base_url")->source(), "base_url: " + allowed.error().message);
        }
        settings.base_url = *url;
    }
    if (auto id = check.text(*portal, "client_id", "[portal]", true)) settings.client_id = *id;

    const auto inline_secret = check.text(*portal, "client_secret", "[portal]");
    const auto secret_file = check.text(*portal, "client_secret_file", "[portal]");
    const auto credential = check.text(*portal, "client_secret_credential", "[portal]");
    const int sources = (inline_secret ? 1 : 0) + (secret_file ? 1 : 0) + (credential ? 1 : 0);
    if (sources != 1) {
        check.error(portal->source(), "[portal] needs exactly one of client_secret_file, client_secret_credential "
                                      "(a systemd LoadCredential= name) or client_secret");
    } else if (inline_secret) {
        if (!config_private) {
            check.error(portal->get("client_secret")->source(),
                        "client_secret is written inline in a file that others can read; move it to a file named by "
                        "client_secret_file (mode 600), or run: chmod 600 " + config.file.string());
        }
        settings.client_secret = *inline_secret;
        settings.client_secret_from = "the configuration file";
    } else {
        std::filesystem::path path;
        if (secret_file) {
            path = resolve(base, *secret_file);
        } else if (!environment.credentials_directory) {
            check.error(portal->get("client_secret_credential")->source(),
                        "client_secret_credential needs $CREDENTIALS_DIRECTORY, which systemd sets for a unit with "
                        "LoadCredential=; outside systemd use client_secret_file");
        } else {
            path = *environment.credentials_directory / *credential;
        }
        if (!path.empty()) {
            const auto* node = portal->get(secret_file ? "client_secret_file" : "client_secret_credential");
            if (auto secret = read_secret(path); secret.has_error()) {
                check.error(node->source(), secret.error().message);
            } else {
                settings.client_secret = std::move(secret).value();
                settings.client_secret_from = path.string();
            }
        }
    }
    settings.idempotency_keys = check.boolean(*portal, "idempotency_keys").value_or(false);
    if (auto seconds = check.integer(*portal, "timeout_seconds", 1, 600)) settings.timeout = std::chrono::seconds(*seconds);
    if (auto seconds = check.integer(*portal, "connect_timeout_seconds", 1, 120)) {
        settings.connect_timeout = std::chrono::seconds(*seconds);
    }
    if (auto attempts = check.integer(*portal, "max_attempts", 1, 20)) settings.max_attempts = static_cast<int>(*attempts);
    if (auto ca = check.text(*portal, "ca_file", "[portal]")) settings.ca_file = resolve(base, *ca).string();
}

void load_mapping(Checker& check, const toml::table& root, Config& config) {
    config.rules = mapping::default_rules();
    mapping::MappingRules& rules = config.rules;
    rules.message_limit = 256;  // CaseWare Cloud's New User Welcome Message
    const toml::table* table = check.table(root, "mapping");
    if (table == nullptr) return;
    check.only_keys(*table, {"firm_name", "entity_name", "role", "invite", "invitation_message", "folder", "group"},
                    "[mapping]");
    if (auto firm = check.text(*table, "firm_name", "[mapping]")) rules.firm_name = *firm;
    if (auto name = check.template_at(*table, "entity_name", mapping::client_fields())) rules.entity_name = *name;
    if (auto role = check.text(*table, "role", "[mapping]")) {
        if (trim(*role).empty()) check.error(table->get("role")->source(), "role must not be empty");
        rules.role = *role;
    }
    if (auto invite = check.boolean(*table, "invite")) rules.invite = *invite;
    if (auto message = check.template_at(*table, "invitation_message", mapping::message_fields())) {
        rules.invitation_message = *message;
    }

    if (const toml::node* folders = table->get("folder")) {
        rules.folders.clear();
        for (const toml::table* folder : check.tables(*folders, "[[mapping.folder]]")) {
            check.only_keys(*folder, {"path", "access"}, "[[mapping.folder]]");
            mapping::FolderRule rule;
            if (!check.text(*folder, "path", "[[mapping.folder]]", true)) continue;
            auto path = check.template_at(*folder, "path", mapping::client_fields());
            if (!path) continue;
            rule.path = *path;
            const std::string access = check.text(*folder, "access", "[[mapping.folder]]").value_or("read");
            if (access == "read") {
                rule.access = mapping::Access::Read;
            } else if (access == "upload") {
                rule.access = mapping::Access::Upload;
            } else {
                check.error(folder->get("access")->source(), "access must be \"read\" or \"upload\"");
            }
            rules.folders.push_back(std::move(rule));
        }
    }

    if (const toml::node* groups = table->get("group")) {
        for (const toml::table* group : check.tables(*groups, "[[mapping.group]]")) {
            check.only_keys(*group, {"name", "when"}, "[[mapping.group]]");
            if (!check.text(*group, "name", "[[mapping.group]]", true)) continue;
            auto name = check.template_at(*group, "name", mapping::client_fields());
            if (!name) continue;
            mapping::GroupRule rule{*name, {}};
            if (const toml::table* when = check.table(*group, "when")) {
                for (const auto& [field, value] : *when) {
                    if (mapping::condition_fields().count(field.str()) == 0) {
                        check.error(value.source(), "a group rule cannot test '" + std::string(field.str()) +
                                                        "' (it can test entity_kind, return_type, office, preparer, "
                                                        "tax_year, connector)");
                        continue;
                    }
                    if (auto values = check.texts(*when, field.str())) {
                        rule.when.push_back({std::string(field.str()), *values});
                    }
                }
            }
            rules.groups.push_back(std::move(rule));
        }
    }
}

bool valid_connector_name(std::string_view name) {
    if (name.empty() || name.size() > 40) return false;
    for (char c : name) {
        if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-' && c != '_') return false;
    }
    return true;
}

// The intake keys added for quarantine, Excel damage, workbooks and the exec connector.
void load_intake_settings(Checker& check, const toml::table& table, const std::filesystem::path& base,
                          connectors::ConnectorSettings& settings) {
    if (auto quarantine = check.text(table, "quarantine", "[[connector]]")) settings.quarantine = resolve(base, *quarantine);
    if (auto width = check.integer(table, "id_width", 1, 40)) settings.id_width = static_cast<std::size_t>(*width);
    if (auto sheet = check.text(table, "sheet", "[[connector]]")) settings.sheet = *sheet;
    if (auto command = check.texts(table, "command")) {
        if (command->empty()) check.error(table.get("command")->source(), "command must name a program");
        settings.command = *command;
    }
    if (auto timeout = check.integer(table, "timeout_seconds", 1, 86400)) settings.timeout = std::chrono::seconds(*timeout);
    if (settings.type == "exec" && settings.command.empty()) {
        check.error(table.source(), "an exec connector needs command = [\"program\", \"argument\", ...]");
    }
}

void load_connectors(Checker& check, const toml::table& root, const std::filesystem::path& base,
                     const connectors::ConnectorRegistry& registry, Config& config) {
    const toml::node* node = root.get("connector");
    if (node == nullptr) {
        check.error(root.source(), "no [[connector]] is configured, so there is nothing to import");
        return;
    }
    std::set<std::string> names;
    for (const toml::table* table : check.tables(*node, "[[connector]]")) {
        check.only_keys(*table,
                        {"name", "type", "folder", "patterns", "encoding", "settle_seconds", "tax_year", "columns",
                         "quarantine", "id_width", "sheet", "command", "timeout_seconds"},
                        "[[connector]]");
        connectors::ConnectorSettings settings;
        if (auto name = check.text(*table, "name", "[[connector]]", true)) {
            if (!valid_connector_name(*name)) {
                check.error(table->get("name")->source(),
                            "connector name \"" + *name + "\" may use only letters, digits, '-' and '_'");
            } else if (!names.insert(*name).second) {
                check.error(table->get("name")->source(), "two connectors are named \"" + *name + "\"");
            }
            settings.name = ConnectorName(*name);
        }
        if (auto type = check.text(*table, "type", "[[connector]]", true)) {
            settings.type = *type;
            if (registry.find(*type) == nullptr) {
                std::string known;
                for (const auto* registered : registry.list()) known += (known.empty() ? "" : ", ") + registered->name;
                check.error(table->get("type")->source(), "unknown connector type \"" + *type + "\" (known: " + known + ")");
            }
        }
        if (auto folder = check.text(*table, "folder", "[[connector]]", true)) settings.folder = resolve(base, *folder);
        if (auto patterns = check.texts(*table, "patterns")) {
            if (patterns->empty()) check.error(table->get("patterns")->source(), "patterns must not be empty");
            settings.patterns = *patterns;
        }
        if (auto encoding = check.text(*table, "encoding", "[[connector]]")) {
            if (*encoding != "auto" && *encoding != "utf-8" && *encoding != "windows-1252") {
                check.error(table->get("encoding")->source(), "encoding must be auto, utf-8 or windows-1252");
            }
            settings.encoding = *encoding;
        }
        if (auto settle = check.integer(*table, "settle_seconds", 0, 3600)) settings.settle = std::chrono::seconds(*settle);
        if (auto year = check.text(*table, "tax_year", "[[connector]]")) settings.default_tax_year = *year;
        load_intake_settings(check, *table, base, settings);
        if (const toml::table* columns = check.table(*table, "columns")) {
            const auto& canonical = connectors::canonical_fields();
            for (const auto& [field, value] : *columns) {
                if (std::find(canonical.begin(), canonical.end(), field.str()) == canonical.end()) {
                    check.error(value.source(), "unknown column field '" + std::string(field.str()) +
                                                    "' (known: " + join(canonical, ", ") + ")");
                    continue;
                }
                if (!value.is_string()) {
                    check.error(value.source(), "column '" + std::string(field.str()) +
                                                    "' must name a header as a string");
                    continue;
                }
                settings.columns[std::string(field.str())] = *value.value<std::string>();
            }
        }
        config.connectors.push_back(std::move(settings));
    }
}

}  // namespace

std::optional<std::filesystem::path> read_control_socket(const std::filesystem::path& file) {
    try {
        const toml::table root = toml::parse_file(file.string());
        const auto base = std::filesystem::absolute(file).lexically_normal().parent_path();
        if (const auto socket = root["service"]["control_socket"].value<std::string>()) return resolve(base, *socket);
        if (const auto state = root["service"]["state_dir"].value<std::string>()) {
            return resolve(base, *state) / "control.sock";
        }
    } catch (const toml::parse_error&) {  // not even TOML: nothing to go on
    }
    return std::nullopt;
}

Expected<Config, std::vector<ConfigError>> load_config(const std::filesystem::path& file, const Environment& environment,
                                                       const connectors::ConnectorRegistry& registry) {
    std::vector<ConfigError> errors;
    const std::string name = file.string();
    std::error_code error_code;
    if (!std::filesystem::is_regular_file(file, error_code)) {
        errors.push_back({name, 0, 0, "cannot read the configuration file: it does not exist or is not a file"});
        return unexpected(std::move(errors));
    }
    toml::table root;
    try {
        root = toml::parse_file(name);
    } catch (const toml::parse_error& error) {
        errors.push_back({name, error.source().begin.line, error.source().begin.column, std::string(error.description())});
        return unexpected(std::move(errors));
    }
    Config config;
    config.file = std::filesystem::absolute(file).lexically_normal();
    const std::filesystem::path base = config.file.parent_path();
    struct stat info {};
    const bool config_private = stat(config.file.c_str(), &info) == 0 && (info.st_mode & 077U) == 0;

    Checker check(name, errors);
    check.only_keys(root, {"service", "security", "portal", "mapping", "connector"}, "the top level");
    load_service(check, root, base, config);
    load_portal(check, root, base, environment, config_private, config);
    load_mapping(check, root, config);
    load_connectors(check, root, base, registry, config);
    if (!errors.empty()) return unexpected(std::move(errors));
    return config;
}

}  // namespace taxsync::daemon
