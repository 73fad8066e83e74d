#include "emulator/smartvault_store.hpp"

#include "core/text.hpp"

namespace taxsync::emulator {
namespace {

using nlohmann::json;

constexpr std::string_view kClientsUri = "/nodes/entity/SmartVault.Accounting.Firm/";

constexpr std::string_view kDefaultActivationSubject = "%FROMNAME% has invited you to %SUBJECTTEXT%";
constexpr std::string_view kDefaultActivationBody =
    "%FROMNAME% has given you access to %SUBJECTTEXT% on SmartVault. Follow the link to activate your login.";

}  // namespace

const std::vector<TemplateFolder>& default_client_template() {
    // The product's stock client template: the firm keeps one folder to itself, clients read
    // their returns and drop their documents.
    static const std::vector<TemplateFolder> folders = {
        {"Client Uploads", {{"Vault Manager", "RWCD"}, {"Client Contacts", "RWC"}}},
        {"Tax Returns", {{"Vault Manager", "RWCD"}, {"Client Contacts", "R"}}},
        {"Firm Working Papers", {{"Vault Manager", "RWCD"}}},
    };
    return folders;
}

SmartvaultStore::SmartvaultStore(sqlite::Database& db, const Clock& clock, std::string account)
    : db_(db), clock_(clock), account_(std::move(account)) {
    create_schema();
    seed_templates();
}

void SmartvaultStore::create_schema() {
    db_.exec(R"sql(
        CREATE TABLE IF NOT EXISTS sv_clients (
            seq INTEGER PRIMARY KEY, client_id TEXT NOT NULL UNIQUE, vault TEXT NOT NULL UNIQUE,
            client TEXT NOT NULL, created_on TEXT NOT NULL, modified_on TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS sv_aliases (alias_key TEXT PRIMARY KEY, client_id TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS sv_members (
            seq INTEGER PRIMARY KEY, vault TEXT NOT NULL, group_type TEXT NOT NULL, email TEXT NOT NULL,
            added_at TEXT NOT NULL, UNIQUE (vault, group_type, email));
        CREATE TABLE IF NOT EXISTS sv_logins (email TEXT PRIMARY KEY, activated INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS sv_folders (seq INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, vault TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS sv_folder_access (
            path TEXT NOT NULL, group_type TEXT NOT NULL, access TEXT NOT NULL, PRIMARY KEY (path, group_type));
        CREATE TABLE IF NOT EXISTS sv_email_templates (
            name TEXT PRIMARY KEY, description TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS sv_nonces (nonce TEXT PRIMARY KEY, client_id TEXT NOT NULL, used INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS sv_tokens (
            token TEXT PRIMARY KEY, kind TEXT NOT NULL, subject TEXT NOT NULL, expires_at_ms INTEGER NOT NULL);
    )sql");
}

void SmartvaultStore::seed_templates() {
    db_.prepare("INSERT OR IGNORE INTO sv_email_templates (name, description, subject, body) VALUES (?1, ?2, ?3, ?4)")
        .bind_all(std::string_view("User Activation"),
                  std::string_view("Sent to a new user (client, guest or employee) invited to the account"),
                  kDefaultActivationSubject, kDefaultActivationBody)
        .run();
}

void SmartvaultStore::wipe() {
    sqlite::Transaction transaction(db_);
    db_.exec(
        "DELETE FROM sv_clients; DELETE FROM sv_aliases; DELETE FROM sv_members; DELETE FROM sv_logins; "
        "DELETE FROM sv_folders; DELETE FROM sv_folder_access; DELETE FROM sv_email_templates; "
        "DELETE FROM sv_nonces;");
    seed_templates();
    transaction.commit();
}

// ---- clients

json SmartvaultStore::client_json(sqlite::Statement& row) {
    const std::string client_id = row.column_text(0);
    json client = json::parse(row.column_text(2));
    return json{{"name", client_id},
                {"uri", std::string(kClientsUri) + account_ + "/SmartVault.Accounting.FirmClient/" + client_id},
                {"dav_uri", "/nodes/pth/" + account_ + "/" + row.column_text(1)},
                {"createdOn", row.column_text(3)},
                {"modifiedOn", row.column_text(4)},
                {"entityExProperties", {{"smart_vault", {{"accounting", {{"client", client}}}}}}}};
}

std::optional<json> SmartvaultStore::client(std::string_view client_id) {
    auto row =
        db_.prepare("SELECT client_id, vault, client, created_on, modified_on FROM sv_clients WHERE client_id = ?1");
    row.bind(1, client_id);
    if (!row.step()) return std::nullopt;
    return client_json(row);
}

std::optional<std::string> SmartvaultStore::client_with_alias(std::string_view alias_key) {
    auto row = db_.prepare("SELECT client_id FROM sv_aliases WHERE alias_key = ?1");
    row.bind(1, alias_key);
    if (!row.step()) return std::nullopt;
    return row.column_text(0);
}

// Callers hold the transaction (SmartvaultApi::apply runs every call in one).
json SmartvaultStore::insert_client(const json& client, const std::vector<std::string>& alias_keys) {
    const std::string client_id = client.at("client_id").get<std::string>();
    const std::string vault = client_id;  // one vault per client, named by its immutable id
    const std::string now = format_utc(clock_.now());
    db_.prepare(
           "INSERT INTO sv_clients (client_id, vault, client, created_on, modified_on) VALUES (?1, ?2, ?3, ?4, ?4)")
        .bind_all(client_id, vault, client.dump(), now)
        .run();
    for (const auto& key : alias_keys) {
        db_.prepare("INSERT INTO sv_aliases (alias_key, client_id) VALUES (?1, ?2)").bind_all(key, client_id).run();
    }
    // The default client template: the vault's folders and their group access.
    for (const TemplateFolder& folder : default_client_template()) {
        const std::string path = account_ + "/" + vault + "/" + folder.name;
        insert_folder(vault, path);
        for (const auto& [group, access] : folder.access) set_folder_access(path, group, access);
    }
    return *this->client(client_id);
}

json SmartvaultStore::update_client(std::string_view client_id, const json& client,
                                    const std::vector<std::string>& alias_keys) {
    db_.prepare("UPDATE sv_clients SET client = ?2, modified_on = ?3 WHERE client_id = ?1")
        .bind_all(client_id, client.dump(), format_utc(clock_.now()))
        .run();
    db_.prepare("DELETE FROM sv_aliases WHERE client_id = ?1").bind(1, client_id).run();
    for (const auto& key : alias_keys) {
        db_.prepare("INSERT INTO sv_aliases (alias_key, client_id) VALUES (?1, ?2)").bind_all(key, client_id).run();
    }
    return *this->client(client_id);
}

std::int64_t SmartvaultStore::client_count() { return db_.query_int("SELECT COUNT(*) FROM sv_clients").value_or(0); }

json SmartvaultStore::clients(std::int64_t page, std::int64_t per_page) {
    auto row = db_.prepare(
        "SELECT client_id, vault, client, created_on, modified_on FROM sv_clients ORDER BY seq LIMIT ?1 OFFSET ?2");
    row.bind_all(per_page, page * per_page);
    json out = json::array();
    while (row.step()) out.push_back(client_json(row));
    return out;
}

// ---- groups and logins

bool SmartvaultStore::vault_exists(std::string_view vault) {
    auto row = db_.prepare("SELECT 1 FROM sv_clients WHERE vault = ?1");
    row.bind(1, vault);
    return row.step();
}

bool SmartvaultStore::add_member(std::string_view vault, std::string_view group, std::string_view email) {
    if (is_member(vault, group, email)) return false;
    db_.prepare("INSERT INTO sv_members (vault, group_type, email, added_at) VALUES (?1, ?2, ?3, ?4)")
        .bind_all(vault, group, to_lower_ascii(email), format_utc(clock_.now()))
        .run();
    return true;
}

bool SmartvaultStore::is_member(std::string_view vault, std::string_view group, std::string_view email) {
    auto row = db_.prepare("SELECT 1 FROM sv_members WHERE vault = ?1 AND group_type = ?2 AND email = ?3");
    row.bind_all(vault, group, to_lower_ascii(email));
    return row.step();
}

json SmartvaultStore::members(std::string_view vault, std::string_view group) {
    auto row = db_.prepare(
        "SELECT m.email, COALESCE(l.activated, 0) FROM sv_members m LEFT JOIN sv_logins l ON l.email = m.email "
        "WHERE m.vault = ?1 AND m.group_type = ?2 ORDER BY m.seq");
    row.bind_all(vault, group);
    json out = json::array();
    while (row.step()) out.push_back(json{{"email", row.column_text(0)}, {"activated", row.column_int(1) != 0}});
    return out;
}

bool SmartvaultStore::has_login(std::string_view email) {
    auto row = db_.prepare("SELECT 1 FROM sv_logins WHERE email = ?1");
    row.bind(1, to_lower_ascii(email));
    return row.step();
}

void SmartvaultStore::create_login(std::string_view email) {
    db_.prepare("INSERT OR IGNORE INTO sv_logins (email, activated) VALUES (?1, 0)")
        .bind(1, to_lower_ascii(email))
        .run();
}

void SmartvaultStore::activate_login(std::string_view email) {
    create_login(email);
    db_.prepare("UPDATE sv_logins SET activated = 1 WHERE email = ?1").bind(1, to_lower_ascii(email)).run();
}

// ---- folders

bool SmartvaultStore::folder_exists(std::string_view path) {
    auto row = db_.prepare("SELECT 1 FROM sv_folders WHERE path = ?1");
    row.bind(1, path);
    return row.step();
}

void SmartvaultStore::insert_folder(std::string_view vault, std::string_view path) {
    db_.prepare("INSERT OR IGNORE INTO sv_folders (path, vault) VALUES (?1, ?2)").bind_all(path, vault).run();
}

std::vector<std::string> SmartvaultStore::child_folders(std::string_view parent_path) {
    auto row = db_.prepare("SELECT path FROM sv_folders WHERE substr(path, 1, ?2) = ?1 ORDER BY seq");
    const std::string prefix = std::string(parent_path) + "/";
    row.bind_all(prefix, static_cast<std::int64_t>(prefix.size()));
    std::vector<std::string> out;
    while (row.step()) {
        const std::string rest = row.column_text(0).substr(prefix.size());
        if (rest.find('/') == std::string::npos) out.push_back(rest);
    }
    return out;
}

std::optional<std::string> SmartvaultStore::folder_access(std::string_view path, std::string_view group) {
    auto row = db_.prepare("SELECT access FROM sv_folder_access WHERE path = ?1 AND group_type = ?2");
    row.bind_all(path, group);
    if (!row.step()) return std::nullopt;
    return row.column_text(0);
}

void SmartvaultStore::set_folder_access(std::string_view path, std::string_view group, std::string_view access) {
    db_.prepare(
           "INSERT INTO sv_folder_access (path, group_type, access) VALUES (?1, ?2, ?3) "
           "ON CONFLICT (path, group_type) DO UPDATE SET access = excluded.access")
        .bind_all(path, group, access)
        .run();
}

// ---- email templates

std::optional<json> SmartvaultStore::email_template(std::string_view name) {
    auto row = db_.prepare("SELECT name, description, subject, body FROM sv_email_templates WHERE name = ?1");
    row.bind(1, name);
    if (!row.step()) return std::nullopt;
    return json{{"name", row.column_text(0)},
                {"description", row.column_text(1)},
                {"subject", row.column_text(2)},
                {"body", row.column_text(3)}};
}

void SmartvaultStore::update_email_template(std::string_view name, const std::optional<std::string>& subject,
                                            const std::optional<std::string>& body) {
    if (subject)
        db_.prepare("UPDATE sv_email_templates SET subject = ?2 WHERE name = ?1").bind_all(name, *subject).run();
    if (body) db_.prepare("UPDATE sv_email_templates SET body = ?2 WHERE name = ?1").bind_all(name, *body).run();
}

// ---- authentication

void SmartvaultStore::insert_nonce(std::string_view nonce, std::string_view client_id) {
    db_.prepare("INSERT INTO sv_nonces (nonce, client_id, used) VALUES (?1, ?2, 0)").bind_all(nonce, client_id).run();
}

bool SmartvaultStore::take_nonce(std::string_view nonce, std::string_view client_id) {
    auto row = db_.prepare("SELECT client_id, used FROM sv_nonces WHERE nonce = ?1");
    row.bind(1, nonce);
    if (!row.step() || row.column_text(0) != client_id || row.column_int(1) != 0) return false;
    db_.prepare("UPDATE sv_nonces SET used = 1 WHERE nonce = ?1").bind(1, nonce).run();
    return true;
}

void SmartvaultStore::insert_token(std::string_view token, TokenKind kind, std::string_view subject,
                                   SystemTime expires_at) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(expires_at.time_since_epoch()).count();
    db_.prepare("INSERT INTO sv_tokens (token, kind, subject, expires_at_ms) VALUES (?1, ?2, ?3, ?4)")
        .bind_all(token, std::string_view(kind == TokenKind::Client ? "client" : "delegation"), subject,
                  static_cast<std::int64_t>(ms))
        .run();
}

std::optional<std::string> SmartvaultStore::token_subject(std::string_view token, TokenKind kind) {
    auto row = db_.prepare("SELECT subject, expires_at_ms FROM sv_tokens WHERE token = ?1 AND kind = ?2");
    row.bind_all(token, std::string_view(kind == TokenKind::Client ? "client" : "delegation"));
    if (!row.step()) return std::nullopt;
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch()).count();
    if (row.column_int(1) <= now_ms) return std::nullopt;
    return row.column_text(0);
}

void SmartvaultStore::expire_all_tokens() { db_.exec("UPDATE sv_tokens SET expires_at_ms = 0"); }

json SmartvaultStore::state() {
    json out;
    out["clients"] = clients(0, std::int64_t{1} << 40);
    json members = json::array();
    {
        auto row = db_.prepare(
            "SELECT m.vault, m.group_type, m.email, COALESCE(l.activated, 0) FROM sv_members m "
            "LEFT JOIN sv_logins l ON l.email = m.email ORDER BY m.seq");
        while (row.step()) {
            members.push_back(json{{"vault", row.column_text(0)},
                                   {"group", row.column_text(1)},
                                   {"email", row.column_text(2)},
                                   {"activated", row.column_int(3) != 0}});
        }
    }
    out["group_members"] = members;
    json folders = json::array();
    {
        auto row = db_.prepare("SELECT path, vault FROM sv_folders ORDER BY seq");
        while (row.step()) folders.push_back(json{{"path", row.column_text(0)}, {"vault", row.column_text(1)}});
    }
    out["folders"] = folders;
    json access = json::array();
    {
        auto row = db_.prepare("SELECT path, group_type, access FROM sv_folder_access ORDER BY path, group_type");
        while (row.step()) {
            access.push_back(
                json{{"path", row.column_text(0)}, {"group", row.column_text(1)}, {"access", row.column_text(2)}});
        }
    }
    out["folder_access"] = access;
    out["email_templates"] = json::array({*email_template("User Activation")});
    return out;
}

}  // namespace taxsync::emulator
