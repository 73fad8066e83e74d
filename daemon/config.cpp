#include "daemon/config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

#include "core/file.hpp"
#include "core/text.hpp"
#include "daemon/endpoint.hpp"
#include "daemon/platform.hpp"
#include "portal/http.hpp"
#include "portal/smartvault/smartvault_portal.hpp"

namespace taxsync::daemon {

std::string ConfigError::to_string() const {
    if (line == 0) return file + ": " + message;
    return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

std::string to_string(const std::vector<ConfigError>& errors) {
    std::string text;
    for (const ConfigError& error : errors) text += error.to_string() + "\n";
    return text;
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

namespace {

constexpr std::string_view kCaseware = "caseware-cloud";
constexpr std::string_view kSmartvault = "smartvault";

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

// control_socket: a file path, or on Windows a pipe name (\\.\pipe\NAME), which is no file path and
// must stay as written (joining it to the configuration's folder would make it Z:\pipe\NAME).
std::filesystem::path resolve_control_channel(const std::filesystem::path& base, const std::string& value) {
    if (value.starts_with("\\\\.\\") || value.starts_with("//./")) return std::filesystem::path(value);
    return resolve(base, value);
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
    settings.control_socket = default_control_channel(settings.state_dir);
    if (auto socket = check.text(*service, "control_socket", "[service]")) {
        settings.control_socket = resolve_control_channel(base, *socket);
    }
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

// [safety], [removal] and [invitations]: the sync policy.
void load_policy(Checker& check, const toml::table& root, Config& config) {
    engine::SyncPolicy& policy = config.policy;
    if (const toml::table* safety = check.table(root, "safety")) {
        check.only_keys(*safety, {"max_invitations", "max_revocations", "max_changed_percent", "percent_needs_clients"},
                        "[safety]");
        if (auto n = check.integer(*safety, "max_invitations", 0, 1'000'000)) policy.limits.max_invitations = static_cast<std::size_t>(*n);
        if (auto n = check.integer(*safety, "max_revocations", 0, 1'000'000)) policy.limits.max_revocations = static_cast<std::size_t>(*n);
        if (auto n = check.integer(*safety, "max_changed_percent", 0, 100)) policy.limits.max_changed_percent = static_cast<double>(*n);
        if (auto n = check.integer(*safety, "percent_needs_clients", 1, 1'000'000)) {
            policy.limits.percent_needs_clients = static_cast<std::size_t>(*n);
        }
    }
    if (const toml::table* removal = check.table(root, "removal")) {
        check.only_keys(*removal, {"policy", "after_absences"}, "[removal]");
        if (auto name = check.text(*removal, "policy", "[removal]")) {
            if (*name == "preserve") {
                policy.removal = engine::RemovalPolicy::Preserve;
            } else if (*name == "revoke") {
                policy.removal = engine::RemovalPolicy::Revoke;
            } else if (*name == "archive") {
                policy.removal = engine::RemovalPolicy::Archive;
            } else {
                check.error(removal->get("policy")->source(),
                            "policy must be \"preserve\", \"revoke\" or \"archive\", not \"" + *name + "\"");
            }
        }
        if (auto n = check.integer(*removal, "after_absences", 1, 1000)) policy.absences_before_removal = static_cast<int>(*n);
    }
    if (const toml::table* invitations = check.table(root, "invitations")) {
        check.only_keys(*invitations, {"reinvite_after_days", "max_reinvites", "valid_days", "recheck_hours", "checks_per_cycle"},
                        "[invitations]");
        engine::InvitationPolicy& invites = policy.invitations;
        if (auto n = check.integer(*invitations, "reinvite_after_days", 0, 365)) invites.reinvite_after = std::chrono::hours(24 * *n);
        if (auto n = check.integer(*invitations, "max_reinvites", 0, 20)) invites.max_reinvites = static_cast<int>(*n);
        if (auto n = check.integer(*invitations, "valid_days", 1, 365)) invites.valid_for = std::chrono::hours(24 * *n);
        if (auto n = check.integer(*invitations, "recheck_hours", 0, 24 * 30)) invites.recheck_after = std::chrono::hours(*n);
        if (auto n = check.integer(*invitations, "checks_per_cycle", 0, 100'000)) {
            invites.checks_per_cycle = static_cast<std::size_t>(*n);
        }
    }
}

void load_transport(Checker& check, const toml::table& portal, const std::filesystem::path& base,
                    PortalSettings& settings) {
    if (auto seconds = check.integer(portal, "timeout_seconds", 1, 600)) settings.timeout = std::chrono::seconds(*seconds);
    if (auto seconds = check.integer(portal, "connect_timeout_seconds", 1, 120)) {
        settings.connect_timeout = std::chrono::seconds(*seconds);
    }
    if (auto attempts = check.integer(portal, "max_attempts", 1, 20)) settings.max_attempts = static_cast<int>(*attempts);
    if (auto ca = check.text(portal, "ca_file", "[portal]")) settings.ca_file = resolve(base, *ca).string();
    // Every dialect gets the rate limiter and circuit breaker.
    if (auto rate = check.integer(portal, "requests_per_minute", 0, 1'000'000)) {
        settings.requests_per_minute = static_cast<int>(*rate);
    }
    if (auto burst = check.integer(portal, "burst", 1, 10'000)) settings.burst = static_cast<int>(*burst);
    if (auto failures = check.integer(portal, "breaker_failures", 0, 1000)) {
        settings.breaker_failures = static_cast<int>(*failures);
    }
    if (auto seconds = check.integer(portal, "breaker_cooldown_seconds", 1, 86'400)) {
        settings.breaker_cooldown = std::chrono::seconds(*seconds);
    }
    if (auto clients = check.integer(portal, "concurrency", 1, 64)) settings.concurrency = static_cast<int>(*clients);
}

// [portal] type = "smartvault": autonomous authentication with the app's RSA key pair.
void load_smartvault(Checker& check, const toml::table& portal, const std::filesystem::path& base, Config& config) {
    check.only_keys(portal,
                    {"type", "base_url", "account", "app_id", "private_key_file", "admin_email", "requests_per_second",
                     "timeout_seconds", "connect_timeout_seconds", "max_attempts", "ca_file", "requests_per_minute", "burst",
                     "breaker_failures", "breaker_cooldown_seconds", "concurrency"},
                    "[portal] (smartvault)");
    PortalSettings& settings = config.portal;
    settings.base_url = std::string(portal::smartvault::kDefaultBaseUrl);
    if (auto url = check.text(portal, "base_url", "[portal]")) {
        if (auto allowed = portal::check_url_allowed(*url); allowed.has_error()) {
            check.error(portal.get("base_url")->source(), "base_url: " + allowed.error().message);
        }
        settings.base_url = *url;
    }
    if (auto account = check.text(portal, "account", "[portal]", true)) {
        if (account->empty()) check.error(portal.get("account")->source(), "account must name the SmartVault account");
        settings.account = *account;
    }
    if (auto app = check.text(portal, "app_id", "[portal]", true)) {
        if (app->empty()) check.error(portal.get("app_id")->source(), "app_id must be the autonomous API client's id");
        settings.app_id = *app;
        settings.client_id = *app;
    }
    if (auto email = check.text(portal, "admin_email", "[portal]", true)) {
        if (!is_plausible_email(*email)) {
            check.error(portal.get("admin_email")->source(),
                        "admin_email \"" + *email + "\" is not an email address (the firm admin taxsync acts for)");
        }
        settings.admin_email = normalize_email(*email);
    }
    if (auto file = check.text(portal, "private_key_file", "[portal]", true)) {
        settings.private_key_file = resolve(base, *file);
        const auto* node = portal.get("private_key_file");
        if (auto private_file = check_private_file(settings.private_key_file, "private key file");
            private_file.has_error()) {
            check.error(node->source(), private_file.error().message);
        } else if (auto key = portal::smartvault::read_private_key_file(settings.private_key_file); key.has_error()) {
            check.error(node->source(), key.error().message);
        } else {
            settings.private_key = std::move(key).value();
            settings.client_secret_from = settings.private_key_file.string();
        }
    }
    if (const auto* rate = portal.get("requests_per_second")) {
        const auto value = rate->is_integer() ? std::optional<double>(static_cast<double>(**rate->as_integer()))
                                              : rate->value<double>();
        if (!value || *value < 0 || *value > 1000) {
            check.error(rate->source(), "requests_per_second must be a number from 0 (no pacing) to 1000");
        } else {
            settings.requests_per_second = *value;
        }
    }
    load_transport(check, portal, base, settings);
}

void load_portal(Checker& check, const toml::table& root, const std::filesystem::path& base, const Environment& environment,
                 bool config_private, Config& config) {
    const toml::table* portal = check.table(root, "portal");
    if (portal == nullptr) {
        check.error(root.source(), "missing [portal] table");
        return;
    }
    PortalSettings& settings = config.portal;
    if (auto type = check.text(*portal, "type", "[portal]", true)) {
        settings.type = *type;
        if (*type != kCaseware && *type != kSmartvault) {
            check.error(portal->get("type")->source(),
                        "unknown portal type \"" + *type + "\" (known: caseware-cloud, smartvault)");
        }
    }
    if (settings.type == kSmartvault) {
        load_smartvault(check, *portal, base, config);
        return;
    }
    check.only_keys(*portal,
                    {"type", "base_url", "client_id", "client_secret", "client_secret_file", "client_secret_credential",
                     "idempotency_keys", "timeout_seconds", "connect_timeout_seconds", "max_attempts", "ca_file",
                     "requests_per_minute", "burst", "breaker_failures", "breaker_cooldown_seconds", "concurrency"},
                    "[portal]");
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
    load_transport(check, *portal, base, settings);
}

// Folder rules as [[mapping.folder]] writes them: tables with a path template and an access.
std::vector<mapping::FolderRule> folder_rules(Checker& check, const toml::node& node, std::string_view written_as) {
    std::vector<mapping::FolderRule> rules;
    for (const toml::table* folder : check.tables(node, written_as)) {
        check.only_keys(*folder, {"path", "access"}, written_as);
        mapping::FolderRule rule;
        if (!check.text(*folder, "path", written_as, true)) continue;
        auto path = check.template_at(*folder, "path", mapping::client_fields());
        if (!path) continue;
        rule.path = *path;
        const std::string access = check.text(*folder, "access", written_as).value_or("read");
        if (access == "read") {
            rule.access = mapping::Access::Read;
        } else if (access == "upload") {
            rule.access = mapping::Access::Upload;
        } else {
            check.error(folder->get("access")->source(), "access must be \"read\" or \"upload\"");
        }
        rules.push_back(std::move(rule));
    }
    return rules;
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

    if (const toml::node* folders = table->get("folder"))
        rules.folders = folder_rules(check, *folders, "[[mapping.folder]]");

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

// Group names for an override: a string or a list of strings, each a template of client fields.
std::optional<std::vector<mapping::Template>> group_names(Checker& check, const toml::table& table,
                                                          std::string_view key) {
    const auto names = check.texts(table, key);
    if (!names) return std::nullopt;
    std::vector<mapping::Template> out;
    for (const std::string& name : *names) {
        auto parsed = mapping::Template::parse(name, mapping::client_fields());
        if (parsed.has_error()) {
            check.error(table.get(key)->source(), "'" + std::string(key) + "': " + parsed.error().message);
            continue;
        }
        if (trim(name).empty()) {
            check.error(table.get(key)->source(), "'" + std::string(key) + "' must not name an empty group");
            continue;
        }
        out.push_back(std::move(parsed).value());
    }
    return out;
}

void load_overrides(Checker& check, const toml::table& root, Config& config) {
    const toml::node* node = root.get("override");
    if (node == nullptr) return;
    constexpr std::string_view kWhere = "[[override]]";
    std::size_t number = 0;
    for (const toml::table* table : check.tables(*node, kWhere)) {
        ++number;
        check.only_keys(*table,
                        {"name", "match", "role", "folders", "extra_folders", "groups", "extra_groups", "invite",
                         "invitation_message"},
                        kWhere);
        mapping::Override rule;
        rule.label = "#" + std::to_string(number);
        if (auto name = check.text(*table, "name", kWhere)) {
            if (trim(*name).empty()) check.error(table->get("name")->source(), "name must not be empty");
            rule.label = "\"" + *name + "\"";
        }
        const toml::table* match = check.table(*table, "match");
        if (match == nullptr) {
            if (table->get("match") == nullptr) {
                check.error(table->source(), "[[override]] " + rule.label +
                                                 " needs a match, e.g. match = { client_ids = "
                                                 "[\"00417I\"] } or match = { office = \"Austin\" }");
            }
        } else {
            check.only_keys(*match, {"client_ids", "connector", "office", "preparer", "return_type", "entity_kind"},
                            "an override's match");
            for (const auto& [key, value] : *match) {
                const std::string field = key.str() == "client_ids" ? "client_id" : std::string(key.str());
                if (mapping::override_match_fields().count(field) == 0) continue;  // reported by only_keys
                auto values = check.texts(*match, key.str());
                if (!values) continue;
                if (values->empty()) {
                    check.error(value.source(), "'" + std::string(key.str()) + "' must list at least one value");
                    continue;
                }
                if (field == "entity_kind") {
                    for (const std::string& kind : *values) {
                        if (!iequals_ascii(kind, "individual") && !iequals_ascii(kind, "business")) {
                            check.error(value.source(),
                                        "entity_kind must be \"individual\" or \"business\", not \"" + kind + "\"");
                        }
                    }
                }
                rule.match.push_back({field, *values});
            }
            if (match->get("connector") != nullptr && match->get("client_ids") == nullptr) {
                check.error(match->get("connector")->source(),
                            "connector narrows client_ids to one connector; give client_ids with it");
            }
            if (match->empty()) check.error(match->source(), "an override's match must name at least one condition");
        }
        bool sets = false;
        if (auto role = check.text(*table, "role", kWhere)) {
            if (trim(*role).empty()) check.error(table->get("role")->source(), "role must not be empty");
            rule.role = *role;
            sets = true;
        }
        if (const toml::node* folders = table->get("folders")) {
            rule.folders = folder_rules(check, *folders, "an override's folders");
            sets = true;
        }
        if (const toml::node* folders = table->get("extra_folders")) {
            rule.extra_folders = folder_rules(check, *folders, "an override's extra_folders");
            sets = true;
        }
        if (auto groups = group_names(check, *table, "groups")) {
            rule.groups = std::move(*groups);
            sets = true;
        }
        if (auto groups = group_names(check, *table, "extra_groups")) {
            rule.extra_groups = std::move(*groups);
            sets = true;
        }
        if (auto invite = check.boolean(*table, "invite")) {
            rule.invite = *invite;
            sets = true;
        }
        if (auto message = check.template_at(*table, "invitation_message", mapping::message_fields())) {
            rule.invitation_message = *message;
            sets = true;
        }
        if (!sets && table->get("invitation_message") == nullptr) {
            check.error(table->source(), "[[override]] " + rule.label +
                                             " changes nothing: set role, folders, "
                                             "extra_folders, groups, extra_groups, invite or invitation_message");
        }
        config.rules.overrides.push_back(std::move(rule));
    }
}

void load_document_request(Checker& check, const toml::table& root, Config& config) {
    const toml::table* table = check.table(root, "document_request");
    if (table == nullptr) return;
    check.only_keys(*table, {"enabled", "subject", "description", "message", "attach"}, "[document_request]");
    mapping::DocumentRequest& request = config.rules.document_request;
    if (auto enabled = check.boolean(*table, "enabled")) request.enabled = *enabled;
    if (auto subject = check.template_at(*table, "subject", mapping::request_fields())) {
        if (trim(subject->source()).empty()) check.error(table->get("subject")->source(), "subject must not be empty");
        request.subject = *subject;
    }
    if (auto description = check.template_at(*table, "description", mapping::request_fields())) {
        request.description = *description;
    }
    if (auto message = check.template_at(*table, "message", mapping::message_fields())) request.message = *message;
    if (auto attach = check.template_at(*table, "attach", mapping::client_fields())) {
        const std::string& source = attach->source();
        const auto slash = source.rfind('/');
        if (slash == std::string::npos || slash == 0 || trim(source.substr(slash + 1)).empty()) {
            check.error(table->get("attach")->source(),
                        "attach must be a folder path and a file name, e.g. \"{tax_year}/Organizer/Organizer.pdf\"");
        } else {
            request.attach = *attach;
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
        if (const auto socket = root["service"]["control_socket"].value<std::string>()) {
            return resolve_control_channel(base, *socket);
        }
        if (const auto state = root["service"]["state_dir"].value<std::string>()) {
            return default_control_channel(resolve(base, *state));
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
    const bool config_private = is_private_file(config.file);

    Checker check(name, errors);
    check.only_keys(root,
                    {"service", "security", "portal", "mapping", "connector", "safety", "removal", "invitations", "override",
                     "document_request"},
                    "the top level");
    load_service(check, root, base, config);
    load_portal(check, root, base, environment, config_private, config);
    load_policy(check, root, config);
    load_mapping(check, root, config);
    load_overrides(check, root, config);
    load_document_request(check, root, config);
    load_connectors(check, root, base, registry, config);
    if (!errors.empty()) return unexpected(std::move(errors));
    return config;
}

}  // namespace taxsync::daemon
