#include "emulator/portal_store.hpp"

#include <array>
#include <chrono>
#include <type_traits>
#include <variant>

namespace taxsync::emulator {
namespace {

using nlohmann::json;

constexpr std::array kEntityFields{
    SearchableField{"CWGuid", "cwguid", FieldType::Text},
    SearchableField{"Name", "name", FieldType::Text},
    SearchableField{"EntityNo", "entity_no", FieldType::Text},
    SearchableField{"EntityType", "entity_type", FieldType::Text},
};

constexpr std::array kUserFields{
    SearchableField{"CWGuid", "cwguid", FieldType::Text},
    SearchableField{"FirstName", "first_name", FieldType::Text},
    SearchableField{"MiddleName", "middle_name", FieldType::Text},
    SearchableField{"LastName", "last_name", FieldType::Text},
    SearchableField{"Email", "email", FieldType::Text},
    SearchableField{"OwnerType", "owner_type", FieldType::Text},
    SearchableField{"CanLogin", "can_login", FieldType::Boolean},
    SearchableField{"InActiveDate", "inactive_date", FieldType::Text},
    SearchableField{"Activated", "activated", FieldType::Boolean},
    SearchableField{"EntityId", "entity_id", FieldType::Text},
};

constexpr std::array kGroupFields{
    SearchableField{"CWGuid", "cwguid", FieldType::Text},
    SearchableField{"Name", "name", FieldType::Text},
    SearchableField{"Description", "description", FieldType::Text},
    SearchableField{"GroupType", "group_type", FieldType::Text},
};

constexpr std::array kRoleFields{
    SearchableField{"CWGuid", "cwguid", FieldType::Text},
    SearchableField{"Name", "name", FieldType::Text},
    SearchableField{"RoleType", "role_type", FieldType::Text},
};

struct PredefinedRole {
    std::string_view name;
    std::string_view type;
};

constexpr std::array kPredefinedRoles{
    PredefinedRole{kEntityAccessRole, "Contact"},
    PredefinedRole{kEntityCollaboratorRole, "Contact"},
    PredefinedRole{"Staff Admin", "Staff"},
    PredefinedRole{"Entities Admin", "Staff"},
};

constexpr std::string_view kEntityColumns = "cwguid, name, entity_no, entity_type";
constexpr std::string_view kUserColumns =
    "cwguid, first_name, middle_name, last_name, email, owner_type, can_login, inactive_date, activated, entity_id";
constexpr std::string_view kGroupColumns = "cwguid, name, description, group_type";
constexpr std::string_view kRoleColumns = "cwguid, name, role_type";

json optional_text(const sqlite::Statement& row, int index) {
    auto value = row.column_optional_text(index);
    return value ? json(*value) : json(nullptr);
}

json entity_from_row(const sqlite::Statement& row) {
    return json{{"CWGuid", row.column_text(0)},
                {"Name", row.column_text(1)},
                {"EntityNo", row.column_text(2)},
                {"EntityType", row.column_text(3)}};
}

json user_from_row(const sqlite::Statement& row) {
    return json{{"CWGuid", row.column_text(0)},        {"FirstName", row.column_text(1)},
                {"MiddleName", optional_text(row, 2)}, {"LastName", row.column_text(3)},
                {"Email", optional_text(row, 4)},      {"OwnerType", row.column_text(5)},
                {"CanLogin", row.column_int(6) != 0},  {"InActiveDate", optional_text(row, 7)},
                {"Activated", row.column_int(8) != 0}, {"EntityId", optional_text(row, 9)}};
}

json group_from_row(const sqlite::Statement& row) {
    return json{{"CWGuid", row.column_text(0)},
                {"Name", row.column_text(1)},
                {"Description", row.column_text(2)},
                {"GroupType", row.column_text(3)}};
}

json role_from_row(const sqlite::Statement& row) {
    return json{{"CWGuid", row.column_text(0)}, {"Name", row.column_text(1)}, {"RoleType", row.column_text(2)}};
}

struct CollectionSql {
    std::string_view table;
    std::string_view columns;
    json (*to_json)(const sqlite::Statement&);
};

CollectionSql collection_sql(Collection collection) {
    switch (collection) {
        case Collection::Entities: return {"entities", kEntityColumns, entity_from_row};
        case Collection::Users: return {"users", kUserColumns, user_from_row};
        case Collection::Groups: return {"contact_groups", kGroupColumns, group_from_row};
        case Collection::Roles: return {"roles", kRoleColumns, role_from_row};
    }
    return {"entities", kEntityColumns, entity_from_row};
}

/// Binds a search literal; booleans are stored as 0/1. Returns the next free parameter index.
int bind_search_value(sqlite::Statement& statement, int index, const SearchValue& value) {
    return std::visit(
        [&](const auto& literal) {
            using Literal = std::decay_t<decltype(literal)>;
            if constexpr (std::is_same_v<Literal, std::nullptr_t>) {
                return index;  // IS NULL / IS NOT NULL take no parameter
            } else if constexpr (std::is_same_v<Literal, bool>) {
                statement.bind(index, static_cast<std::int64_t>(literal ? 1 : 0));
                return index + 1;
            } else {
                statement.bind(index, literal);
                return index + 1;
            }
        },
        value);
}

std::optional<json> one_row(sqlite::Statement& statement, json (*to_json)(const sqlite::Statement&)) {
    if (!statement.step()) return std::nullopt;
    return to_json(statement);
}

std::int64_t unix_millis(SystemTime time) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

std::string_view mail_kind_name(MailKind kind) {
    switch (kind) {
        case MailKind::Invitation: return "invitation";
        case MailKind::FileRequest: return "file_request";
        case MailKind::PermissionGranted: return "permission_granted";
    }
    return "invitation";
}

json string_array_from_text(const std::string& text) {
    auto parsed = json::parse(text, nullptr, false);
    return parsed.is_array() ? parsed : json::array();
}

}  // namespace

std::span<const SearchableField> searchable_fields(Collection collection) {
    switch (collection) {
        case Collection::Entities: return kEntityFields;
        case Collection::Users: return kUserFields;
        case Collection::Groups: return kGroupFields;
        case Collection::Roles: return kRoleFields;
    }
    return {};
}

PortalStore::PortalStore(sqlite::Database& db, const Clock& clock, std::uint64_t id_seed)
    : db_(db), clock_(clock), guids_(id_seed) {
    create_schema();
    seed_roles();
    next_counter_ =
        static_cast<std::uint64_t>(db_.query_int("SELECT value FROM meta WHERE key = 'next_guid'").value_or(1));
}

void PortalStore::create_schema() {
    // WAL lets readers (sqlite3 CLI, a debugging session) look while the emulator writes; a file
    // database of a test run need not survive power loss, hence synchronous=NORMAL.
    if (db_.path() != ":memory:") db_.exec("PRAGMA journal_mode = WAL");
    db_.exec(R"sql(
        PRAGMA synchronous = NORMAL;
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
        INSERT OR IGNORE INTO meta (key, value) VALUES ('next_guid', 1);

        CREATE TABLE IF NOT EXISTS entities (
            seq INTEGER PRIMARY KEY, cwguid TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
            entity_no TEXT NOT NULL UNIQUE, entity_type TEXT NOT NULL, created_at TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS entities_name ON entities (name);
        CREATE INDEX IF NOT EXISTS entities_type ON entities (entity_type);

        CREATE TABLE IF NOT EXISTS users (
            seq INTEGER PRIMARY KEY, cwguid TEXT NOT NULL UNIQUE, first_name TEXT NOT NULL, middle_name TEXT,
            last_name TEXT NOT NULL, email TEXT COLLATE NOCASE UNIQUE, owner_type TEXT NOT NULL,
            can_login INTEGER NOT NULL, inactive_date TEXT, activated INTEGER NOT NULL DEFAULT 0,
            entity_id TEXT, created_at TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS users_first_name ON users (first_name);
        CREATE INDEX IF NOT EXISTS users_middle_name ON users (middle_name);
        CREATE INDEX IF NOT EXISTS users_last_name ON users (last_name);
        CREATE INDEX IF NOT EXISTS users_owner_type ON users (owner_type);
        CREATE INDEX IF NOT EXISTS users_can_login ON users (can_login);
        CREATE INDEX IF NOT EXISTS users_inactive_date ON users (inactive_date);
        CREATE INDEX IF NOT EXISTS users_activated ON users (activated);
        CREATE INDEX IF NOT EXISTS users_entity ON users (entity_id);

        CREATE TABLE IF NOT EXISTS contact_groups (
            seq INTEGER PRIMARY KEY, cwguid TEXT NOT NULL UNIQUE, name TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL, group_type TEXT NOT NULL, created_at TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS contact_groups_description ON contact_groups (description);
        CREATE INDEX IF NOT EXISTS contact_groups_type ON contact_groups (group_type);
        CREATE TABLE IF NOT EXISTS group_members (
            seq INTEGER PRIMARY KEY, group_id TEXT NOT NULL, user_id TEXT NOT NULL, UNIQUE (group_id, user_id));
        CREATE INDEX IF NOT EXISTS group_members_user ON group_members (user_id);

        CREATE TABLE IF NOT EXISTS roles (
            seq INTEGER PRIMARY KEY, cwguid TEXT NOT NULL UNIQUE, name TEXT NOT NULL UNIQUE, role_type TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS roles_type ON roles (role_type);

        CREATE TABLE IF NOT EXISTS role_assignments (
            seq INTEGER PRIMARY KEY, entity_id TEXT NOT NULL, role_id TEXT NOT NULL, person_id TEXT NOT NULL,
            UNIQUE (entity_id, role_id, person_id));
        CREATE INDEX IF NOT EXISTS role_assignments_person ON role_assignments (person_id);

        CREATE TABLE IF NOT EXISTS folders (
            seq INTEGER PRIMARY KEY, cwguid TEXT NOT NULL UNIQUE, entity_id TEXT NOT NULL, parent_id TEXT,
            name TEXT NOT NULL);
        CREATE UNIQUE INDEX IF NOT EXISTS folders_unique_name ON folders (entity_id, ifnull(parent_id, ''), name);

        CREATE TABLE IF NOT EXISTS folder_permissions (
            seq INTEGER PRIMARY KEY, folder_id TEXT NOT NULL, person_id TEXT NOT NULL, access TEXT NOT NULL,
            UNIQUE (folder_id, person_id));

        CREATE TABLE IF NOT EXISTS activities (
            seq INTEGER PRIMARY KEY, cwguid TEXT NOT NULL UNIQUE, type TEXT NOT NULL, entity_id TEXT NOT NULL,
            recipients TEXT NOT NULL, subject TEXT NOT NULL, description TEXT, message TEXT,
            attachments TEXT NOT NULL, created_at TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS activities_entity ON activities (entity_id);

        CREATE TABLE IF NOT EXISTS mailbox (
            seq INTEGER PRIMARY KEY, to_address TEXT NOT NULL, user_id TEXT NOT NULL, entity_id TEXT,
            kind TEXT NOT NULL, sent_at TEXT NOT NULL, message TEXT NOT NULL);

        CREATE TABLE IF NOT EXISTS tokens (
            token TEXT PRIMARY KEY, client_id TEXT NOT NULL, expires_at_ms INTEGER NOT NULL);
    )sql");
}

void PortalStore::seed_roles() {
    for (const auto& role : kPredefinedRoles) {
        db_.prepare("INSERT OR IGNORE INTO roles (cwguid, name, role_type) VALUES (?1, ?2, ?3)")
            .bind_all(guid_from_name(role.name), role.name, role.type)
            .run();
    }
}

std::string PortalStore::new_guid() {
    std::string guid = guids_.guid_for(next_counter_++);
    db_.cached("UPDATE meta SET value = ?1 WHERE key = 'next_guid'")
        ->bind(1, static_cast<std::int64_t>(next_counter_))
        .run();
    return guid;
}

void PortalStore::wipe_all_but_roles() {
    sqlite::Transaction transaction(db_);
    db_.exec(
        "DELETE FROM entities; DELETE FROM users; DELETE FROM contact_groups; DELETE FROM group_members;"
        "DELETE FROM role_assignments; DELETE FROM folders; DELETE FROM folder_permissions;"
        "DELETE FROM activities; DELETE FROM mailbox;");
    transaction.commit();
}

json PortalStore::list(Collection collection, const std::optional<SqlCondition>& condition, Page page) {
    const CollectionSql sql = collection_sql(collection);
    std::string text = "SELECT " + std::string(sql.columns) + " FROM " + std::string(sql.table);
    if (condition) text += " WHERE " + condition->clause;
    text += " ORDER BY seq LIMIT ? OFFSET ?";
    auto statement = db_.cached(text);
    int index = 1;
    if (condition) index = bind_search_value(*statement, index, condition->argument);
    statement->bind(index, page.size);
    statement->bind(index + 1, (page.number - 1) * page.size);
    json rows = json::array();
    while (statement->step()) rows.push_back(sql.to_json(*statement));
    return rows;
}

// ---- Entities

std::optional<json> PortalStore::entity(std::string_view guid) {
    auto statement = db_.cached("SELECT " + std::string(kEntityColumns) + " FROM entities WHERE cwguid = ?1");
    statement->bind(1, guid);
    return one_row(*statement, entity_from_row);
}

std::optional<std::string> PortalStore::entity_with_number(std::string_view entity_no) {
    auto statement = db_.cached("SELECT cwguid FROM entities WHERE entity_no = ?1");
    statement->bind(1, entity_no);
    if (!statement->step()) return std::nullopt;
    return statement->column_text(0);
}

json PortalStore::insert_entity(std::string_view name, std::string_view entity_no, std::string_view entity_type) {
    const std::string guid = new_guid();
    db_.cached("INSERT INTO entities (cwguid, name, entity_no, entity_type, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")
        ->bind_all(guid, name, entity_no, entity_type, format_utc(clock_.now()))
        .run();
    return *entity(guid);
}

json PortalStore::update_entity(std::string_view guid, const std::optional<std::string>& name,
                                const std::optional<std::string>& entity_no,
                                const std::optional<std::string>& entity_type) {
    db_.cached(
           "UPDATE entities SET name = ifnull(?2, name), entity_no = ifnull(?3, entity_no),"
           " entity_type = ifnull(?4, entity_type) WHERE cwguid = ?1")
        ->bind_all(guid, name, entity_no, entity_type)
        .run();
    return *entity(guid);
}

// ---- Users

std::optional<json> PortalStore::user(std::string_view guid) {
    auto statement = db_.cached("SELECT " + std::string(kUserColumns) + " FROM users WHERE cwguid = ?1");
    statement->bind(1, guid);
    return one_row(*statement, user_from_row);
}

std::optional<std::string> PortalStore::user_with_email(std::string_view email) {
    auto statement = db_.cached("SELECT cwguid FROM users WHERE email = ?1");  // the column is COLLATE NOCASE
    statement->bind(1, email);
    if (!statement->step()) return std::nullopt;
    return statement->column_text(0);
}

json PortalStore::insert_user(const NewUser& user) {
    const std::string guid = new_guid();
    db_.cached(
           "INSERT INTO users (cwguid, first_name, middle_name, last_name, email, owner_type, can_login, entity_id,"
           " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
        ->bind_all(guid, user.first_name, user.middle_name, user.last_name, user.email, user.owner_type,
                   static_cast<std::int64_t>(user.can_login ? 1 : 0), user.entity_id, format_utc(clock_.now()))
        .run();
    return *this->user(guid);
}

json PortalStore::update_user(std::string_view guid, const UserChanges& changes) {
    // One statement per changed column keeps "absent" and "set to null" apart without SQL tricks.
    auto set_text = [&](std::string_view column, const std::optional<std::string>& value) {
        db_.cached("UPDATE users SET " + std::string(column) + " = ?2 WHERE cwguid = ?1")->bind_all(guid, value).run();
    };
    if (changes.first_name) set_text("first_name", changes.first_name);
    if (changes.middle_name) set_text("middle_name", *changes.middle_name);
    if (changes.last_name) set_text("last_name", changes.last_name);
    if (changes.email) set_text("email", changes.email);
    if (changes.owner_type) set_text("owner_type", changes.owner_type);
    if (changes.inactive_date) set_text("inactive_date", *changes.inactive_date);
    if (changes.entity_id) set_text("entity_id", changes.entity_id);
    if (changes.can_login) {
        db_.cached("UPDATE users SET can_login = ?2 WHERE cwguid = ?1")
            ->bind_all(guid, static_cast<std::int64_t>(*changes.can_login ? 1 : 0))
            .run();
    }
    return *user(guid);
}

void PortalStore::activate_user(std::string_view guid) {
    db_.cached("UPDATE users SET activated = 1 WHERE cwguid = ?1")->bind(1, guid).run();
}

// ---- Groups

std::optional<json> PortalStore::group(std::string_view guid) {
    auto statement = db_.cached("SELECT " + std::string(kGroupColumns) + " FROM contact_groups WHERE cwguid = ?1");
    statement->bind(1, guid);
    return one_row(*statement, group_from_row);
}

std::optional<std::string> PortalStore::group_named(std::string_view name) {
    auto statement = db_.cached("SELECT cwguid FROM contact_groups WHERE name = ?1");
    statement->bind(1, name);
    if (!statement->step()) return std::nullopt;
    return statement->column_text(0);
}

json PortalStore::insert_group(std::string_view name, std::string_view description, std::string_view group_type) {
    const std::string guid = new_guid();
    db_.cached(
           "INSERT INTO contact_groups (cwguid, name, description, group_type, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")
        ->bind_all(guid, name, description, group_type, format_utc(clock_.now()))
        .run();
    return *group(guid);
}

void PortalStore::add_group_member(std::string_view group_guid, std::string_view user_guid) {
    db_.cached("INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES (?1, ?2)")
        ->bind_all(group_guid, user_guid)
        .run();
}

void PortalStore::remove_group_member(std::string_view group_guid, std::string_view user_guid) {
    db_.cached("DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2")->bind_all(group_guid, user_guid).run();
}

std::vector<std::string> PortalStore::group_members(std::string_view group_guid) {
    auto statement = db_.cached("SELECT user_id FROM group_members WHERE group_id = ?1 ORDER BY seq");
    statement->bind(1, group_guid);
    std::vector<std::string> members;
    while (statement->step()) members.push_back(statement->column_text(0));
    return members;
}

// ---- Roles

std::optional<json> PortalStore::role(std::string_view guid) {
    auto statement = db_.cached("SELECT " + std::string(kRoleColumns) + " FROM roles WHERE cwguid = ?1");
    statement->bind(1, guid);
    return one_row(*statement, role_from_row);
}

std::string PortalStore::role_id_named(std::string_view name) {
    auto statement = db_.cached("SELECT cwguid FROM roles WHERE name = ?1");
    statement->bind(1, name);
    return statement->step() ? statement->column_text(0) : std::string{};
}

json PortalStore::role_assignments(std::string_view entity_guid, Page page) {
    auto statement = db_.cached(
        "SELECT role_id, person_id FROM role_assignments WHERE entity_id = ?1 ORDER BY seq LIMIT ?2 OFFSET ?3");
    statement->bind_all(entity_guid, page.size, (page.number - 1) * page.size);
    json rows = json::array();
    while (statement->step())
        rows.push_back({{"RoleId", statement->column_text(0)}, {"PersonId", statement->column_text(1)}});
    return rows;
}

void PortalStore::assign_role(std::string_view entity_guid, std::string_view role_guid, std::string_view person_guid) {
    db_.cached("INSERT OR IGNORE INTO role_assignments (entity_id, role_id, person_id) VALUES (?1, ?2, ?3)")
        ->bind_all(entity_guid, role_guid, person_guid)
        .run();
}

void PortalStore::unassign_role(std::string_view entity_guid, std::string_view role_guid,
                                std::string_view person_guid) {
    db_.cached("DELETE FROM role_assignments WHERE entity_id = ?1 AND role_id = ?2 AND person_id = ?3")
        ->bind_all(entity_guid, role_guid, person_guid)
        .run();
}

bool PortalStore::has_role(std::string_view entity_guid, std::string_view role_guid, std::string_view person_guid) {
    auto statement =
        db_.cached("SELECT 1 FROM role_assignments WHERE entity_id = ?1 AND role_id = ?2 AND person_id = ?3");
    statement->bind_all(entity_guid, role_guid, person_guid);
    return statement->step();
}

// ---- Folders

std::optional<json> PortalStore::folder(std::string_view guid) {
    auto statement = db_.cached("SELECT cwguid, name, parent_id, entity_id FROM folders WHERE cwguid = ?1");
    statement->bind(1, guid);
    if (!statement->step()) return std::nullopt;
    return json{{"CWGuid", statement->column_text(0)},
                {"Name", statement->column_text(1)},
                {"ParentId", optional_text(*statement, 2)},
                {"EntityId", statement->column_text(3)}};
}

bool PortalStore::folder_name_taken(std::string_view entity_guid, const std::optional<std::string>& parent_guid,
                                    std::string_view name) {
    auto statement = db_.cached(
        "SELECT 1 FROM folders WHERE entity_id = ?1 AND ifnull(parent_id, '') = ifnull(?2, '') AND name = ?3");
    statement->bind_all(entity_guid, parent_guid, name);
    return statement->step();
}

json PortalStore::insert_folder(std::string_view entity_guid, const std::optional<std::string>& parent_guid,
                                std::string_view name) {
    const std::string guid = new_guid();
    db_.cached("INSERT INTO folders (cwguid, entity_id, parent_id, name) VALUES (?1, ?2, ?3, ?4)")
        ->bind_all(guid, entity_guid, parent_guid, name)
        .run();
    return *folder(guid);
}

json PortalStore::folders(std::string_view entity_guid, Page page) {
    auto statement = db_.cached(
        "SELECT cwguid, name, parent_id, entity_id FROM folders WHERE entity_id = ?1 ORDER BY seq LIMIT ?2 OFFSET ?3");
    statement->bind_all(entity_guid, page.size, (page.number - 1) * page.size);
    json rows = json::array();
    while (statement->step()) {
        rows.push_back({{"CWGuid", statement->column_text(0)},
                        {"Name", statement->column_text(1)},
                        {"ParentId", optional_text(*statement, 2)},
                        {"EntityId", statement->column_text(3)}});
    }
    return rows;
}

json PortalStore::folder_permissions(std::string_view folder_guid, Page page) {
    auto statement = db_.cached(
        "SELECT person_id, access FROM folder_permissions WHERE folder_id = ?1 ORDER BY seq LIMIT ?2 OFFSET ?3");
    statement->bind_all(folder_guid, page.size, (page.number - 1) * page.size);
    json rows = json::array();
    while (statement->step())
        rows.push_back({{"PersonId", statement->column_text(0)}, {"Access", statement->column_text(1)}});
    return rows;
}

void PortalStore::set_folder_permission(std::string_view folder_guid, std::string_view person_guid,
                                        std::string_view access) {
    db_.cached(
           "INSERT INTO folder_permissions (folder_id, person_id, access) VALUES (?1, ?2, ?3)"
           " ON CONFLICT (folder_id, person_id) DO UPDATE SET access = excluded.access")
        ->bind_all(folder_guid, person_guid, access)
        .run();
}

// ---- Activities

json PortalStore::insert_activity(const NewActivity& activity) {
    const std::string guid = new_guid();
    const std::string created_at = format_utc(clock_.now());
    db_.cached(
           "INSERT INTO activities (cwguid, type, entity_id, recipients, subject, description, message, attachments,"
           " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
        ->bind_all(guid, activity.type, activity.entity_id, json(activity.recipients).dump(), activity.subject,
                   activity.description, activity.message, json(activity.attachments).dump(), created_at)
        .run();
    return json{{"CWGuid", guid},
                {"Type", activity.type},
                {"EntityId", activity.entity_id},
                {"Recipients", activity.recipients},
                {"Subject", activity.subject},
                {"Description", activity.description ? json(*activity.description) : json(nullptr)},
                {"Message", activity.message ? json(*activity.message) : json(nullptr)},
                {"Attachments", activity.attachments},
                {"CreatedAt", created_at}};
}

// ---- Mailbox

void PortalStore::send_mail(std::string_view to, std::string_view user_guid,
                            const std::optional<std::string>& entity_guid, MailKind kind, std::string_view message) {
    db_.cached(
           "INSERT INTO mailbox (to_address, user_id, entity_id, kind, sent_at, message) VALUES (?1, ?2, ?3, ?4, ?5, "
           "?6)")
        ->bind_all(to, user_guid, entity_guid, mail_kind_name(kind), format_utc(clock_.now()), message)
        .run();
}

json PortalStore::mailbox() {
    auto statement =
        db_.prepare("SELECT to_address, user_id, entity_id, kind, sent_at, message FROM mailbox ORDER BY seq");
    json rows = json::array();
    while (statement.step()) {
        rows.push_back({{"to", statement.column_text(0)},
                        {"user", statement.column_text(1)},
                        {"entity", optional_text(statement, 2)},
                        {"kind", statement.column_text(3)},
                        {"sent_at", statement.column_text(4)},
                        {"message", statement.column_text(5)}});
    }
    return rows;
}

// ---- Tokens

void PortalStore::insert_token(std::string_view token, std::string_view client_id, SystemTime expires_at) {
    // Expired tokens are only kept to tell "expired" from "unknown"; a day later they can go.
    db_.cached("DELETE FROM tokens WHERE expires_at_ms < ?1")
        ->bind(1, unix_millis(clock_.now() - std::chrono::hours(24)))
        .run();
    db_.cached("INSERT INTO tokens (token, client_id, expires_at_ms) VALUES (?1, ?2, ?3)")
        ->bind_all(token, client_id, unix_millis(expires_at))
        .run();
}

std::optional<PortalStore::TokenInfo> PortalStore::token(std::string_view token) {
    auto statement = db_.cached("SELECT client_id, expires_at_ms FROM tokens WHERE token = ?1");
    statement->bind(1, token);
    if (!statement->step()) return std::nullopt;
    return TokenInfo{statement->column_text(0), SystemTime{std::chrono::milliseconds(statement->column_int(1))}};
}

void PortalStore::expire_all_tokens() {
    db_.cached("UPDATE tokens SET expires_at_ms = min(expires_at_ms, ?1)")->bind(1, unix_millis(clock_.now())).run();
}

// ---- State

json PortalStore::state() {
    const Page everything = Page::everything();
    json groups = list(Collection::Groups, std::nullopt, everything);
    for (auto& group : groups) group["Members"] = group_members(group["CWGuid"].get<std::string>());

    json assignments = json::array();
    {
        auto statement = db_.prepare("SELECT entity_id, role_id, person_id FROM role_assignments ORDER BY seq");
        while (statement.step()) {
            assignments.push_back({{"EntityId", statement.column_text(0)},
                                   {"RoleId", statement.column_text(1)},
                                   {"PersonId", statement.column_text(2)}});
        }
    }
    json all_folders = json::array();
    {
        auto statement = db_.prepare("SELECT cwguid, name, parent_id, entity_id FROM folders ORDER BY seq");
        while (statement.step()) {
            all_folders.push_back({{"CWGuid", statement.column_text(0)},
                                   {"Name", statement.column_text(1)},
                                   {"ParentId", optional_text(statement, 2)},
                                   {"EntityId", statement.column_text(3)}});
        }
    }
    json permissions = json::array();
    {
        auto statement = db_.prepare("SELECT folder_id, person_id, access FROM folder_permissions ORDER BY seq");
        while (statement.step()) {
            permissions.push_back({{"FolderId", statement.column_text(0)},
                                   {"PersonId", statement.column_text(1)},
                                   {"Access", statement.column_text(2)}});
        }
    }
    json activities = json::array();
    {
        auto statement = db_.prepare(
            "SELECT cwguid, type, entity_id, recipients, subject, description, message, attachments, created_at"
            " FROM activities ORDER BY seq");
        while (statement.step()) {
            activities.push_back({{"CWGuid", statement.column_text(0)},
                                  {"Type", statement.column_text(1)},
                                  {"EntityId", statement.column_text(2)},
                                  {"Recipients", string_array_from_text(statement.column_text(3))},
                                  {"Subject", statement.column_text(4)},
                                  {"Description", optional_text(statement, 5)},
                                  {"Message", optional_text(statement, 6)},
                                  {"Attachments", string_array_from_text(statement.column_text(7))},
                                  {"CreatedAt", statement.column_text(8)}});
        }
    }
    return json{{"entities", list(Collection::Entities, std::nullopt, everything)},
                {"users", list(Collection::Users, std::nullopt, everything)},
                {"groups", std::move(groups)},
                {"roles", list(Collection::Roles, std::nullopt, everything)},
                {"role_assignments", std::move(assignments)},
                {"folders", std::move(all_folders)},
                {"permissions", std::move(permissions)},
                {"activities", std::move(activities)}};
}

}  // namespace taxsync::emulator
