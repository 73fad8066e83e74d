#include "store/store.hpp"

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "core/digest.hpp"
#include "store/schema.hpp"

namespace taxsync::store {

std::string_view to_string(CycleOutcome outcome) {
    switch (outcome) {
        case CycleOutcome::Running: return "running";
        case CycleOutcome::Ok: return "ok";
        case CycleOutcome::Problems: return "problems";
        case CycleOutcome::Failed: return "failed";
        case CycleOutcome::Interrupted: return "interrupted";
        case CycleOutcome::Held: return "held";
    }
    return "running";
}

std::string_view to_string(Origin origin) { return origin == Origin::Created ? "created" : "adopted"; }

std::string_view to_string(ContactState state) {
    switch (state) {
        case ContactState::NotInvited: return "not_invited";
        case ContactState::Invited: return "invited";
        case ContactState::Activated: return "activated";
        case ContactState::Failed: return "failed";
        case ContactState::Deactivated: return "deactivated";
    }
    return "not_invited";
}

std::string_view to_string(GrantKind kind) {
    switch (kind) {
        case GrantKind::Role: return "role";
        case GrantKind::Group: return "group";
        case GrantKind::Folder: return "folder";
        case GrantKind::FileRequest: return "file_request";
    }
    return "role";
}

std::string_view to_string(OutboxState state) {
    switch (state) {
        case OutboxState::Pending: return "pending";
        case OutboxState::InFlight: return "in_flight";
        case OutboxState::Done: return "done";
        case OutboxState::Failed: return "failed";
        case OutboxState::Superseded: return "superseded";
        case OutboxState::Held: return "held";
        case OutboxState::Rejected: return "rejected";
    }
    return "pending";
}

namespace {

CycleOutcome outcome_from(std::string_view text) {
    for (auto outcome : {CycleOutcome::Running, CycleOutcome::Ok, CycleOutcome::Problems, CycleOutcome::Failed,
                         CycleOutcome::Interrupted, CycleOutcome::Held}) {
        if (to_string(outcome) == text) return outcome;
    }
    return CycleOutcome::Failed;
}

ContactState contact_state_from(std::string_view text) {
    for (auto state : {ContactState::NotInvited, ContactState::Invited, ContactState::Activated, ContactState::Failed,
                       ContactState::Deactivated}) {
        if (to_string(state) == text) return state;
    }
    return ContactState::NotInvited;
}

OutboxState outbox_state_from(std::string_view text) {
    for (auto state : {OutboxState::Pending, OutboxState::InFlight, OutboxState::Done, OutboxState::Failed,
                       OutboxState::Superseded, OutboxState::Held, OutboxState::Rejected}) {
        if (to_string(state) == text) return state;
    }
    return OutboxState::Failed;
}

GrantKind grant_kind_from(std::string_view text) {
    if (text == "group") return GrantKind::Group;
    if (text == "folder") return GrantKind::Folder;
    if (text == "file_request") return GrantKind::FileRequest;
    return GrantKind::Role;
}

Origin origin_from(std::string_view text) { return text == "adopted" ? Origin::Adopted : Origin::Created; }
PersonRole role_from(std::string_view text) { return text == "spouse" ? PersonRole::Spouse : PersonRole::Taxpayer; }
EmailStatus email_status_from(std::string_view text) {
    if (text == "usable") return EmailStatus::Usable;
    if (text == "invalid") return EmailStatus::Invalid;
    return EmailStatus::Missing;
}

std::optional<std::string> optional_id(const auto& id) {
    return id ? std::optional<std::string>(id->value()) : std::nullopt;
}

ContactRow contact_from(const sqlite::Statement& row) {
    ContactRow contact;
    contact.email = row.column_text(0);
    if (auto id = row.column_optional_text(1)) contact.contact = ContactId(*id);
    contact.first_name = row.column_text(2);
    contact.last_name = row.column_text(3);
    contact.origin = origin_from(row.column_text(4));
    contact.state = contact_state_from(row.column_text(5));
    if (auto at = row.column_optional_int(6)) contact.invited_at = from_unix_seconds(*at);
    contact.last_error = row.column_text(7);
    contact.invitations = row.column_int(8);
    if (auto at = row.column_optional_int(9)) contact.checked_at = from_unix_seconds(*at);
    return contact;
}

constexpr std::string_view kSnapshotColumns = "client_id, content_hash, applied_hash, absent_count, removal";

SnapshotRow snapshot_from(const sqlite::Statement& row) {
    return {ClientId(row.column_text(0)), row.column_text(1), row.column_optional_text(2), row.column_int(3),
            row.column_optional_text(4)};
}

CycleRecord cycle_from(const sqlite::Statement& row) {
    CycleRecord record;
    record.id = CycleId(row.column_int(0));
    record.started_at = from_unix_seconds(row.column_int(1));
    if (auto finished = row.column_optional_int(2)) record.finished_at = from_unix_seconds(*finished);
    record.mode = row.column_text(3);
    record.trigger = row.column_text(4);
    record.outcome = outcome_from(row.column_text(5));
    record.summary_json = row.column_text(6);
    return record;
}

AuditRecord audit_record_from(const sqlite::Statement& row) {
    AuditRecord record;
    record.id = row.column_int(0);
    record.at = from_unix_seconds(row.column_int(1));
    if (auto cycle = row.column_optional_int(2)) record.entry.cycle = CycleId(*cycle);
    if (auto operation = row.column_optional_int(3)) record.entry.operation = OperationId(*operation);
    record.entry.connector = ConnectorName(row.column_text(4));
    record.entry.client = ClientId(row.column_text(5));
    record.entry.action = row.column_text(6);
    record.entry.target = row.column_text(7);
    record.entry.outcome = row.column_text(8);
    record.entry.detail = row.column_text(9);
    return record;
}

constexpr std::string_view kOutboxColumns =
    "id, cycle_id, connector, client_id, kind, payload, idempotency_key, state, attempts, coalesce(last_error, '')";

OutboxRow outbox_row_from(const sqlite::Statement& row) {
    return {OperationId(row.column_int(0)), CycleId(row.column_int(1)), ConnectorName(row.column_text(2)),
            ClientId(row.column_text(3)),  row.column_text(4),          row.column_text(5),
            row.column_text(6),            outbox_state_from(row.column_text(7)),
            row.column_int(8),             row.column_text(9)};
}

constexpr std::string_view kContactColumns =
    "email, contact_id, first_name, last_name, origin, state, invited_at, coalesce(last_error, ''), invitations, "
    "checked_at";

}  // namespace

Expected<Store> Store::open(const std::filesystem::path& file, const Clock& clock, bool recover) {
    auto opened = sqlite::Database::open(file, sqlite::OpenMode::ReadWrite);
    if (opened.has_error()) return unexpected(std::move(opened).error());
    sqlite::Database db = std::move(opened).value();
    try {
        // Check the version before touching anything: a newer database must stay exactly as it is.
        if (auto newer = refuse_newer(db); newer.has_error()) return unexpected(std::move(newer).error());
        db.exec("PRAGMA journal_mode = WAL");
        db.exec("PRAGMA synchronous = FULL");
        db.exec("PRAGMA foreign_keys = ON");
        if (auto status = migrate(db); status.has_error()) return unexpected(std::move(status).error());
        Store store(std::move(db), clock);
        auto install = store.db_.query_text("SELECT value FROM meta WHERE key = 'install_id'");
        if (!install) {
            install = to_hex(random_bytes(8));
            store.db_.prepare("INSERT INTO meta(key, value) VALUES ('install_id', ?1)").bind_all(*install).run();
        }
        store.install_id_ = *install;
        if (recover) {
            store.db_.prepare("UPDATE cycles SET outcome = 'interrupted', finished_at = ?1 WHERE outcome = 'running'")
                .bind_all(store.now())
                .run();
        }
        return store;
    } catch (const sqlite::Error& error) {
        return fail(ErrorKind::Io, "cannot use database " + file.string() + ": " + error.what());
    }
}

Expected<Store> Store::open_reader(const std::filesystem::path& file, const Clock& clock) {
    auto opened = sqlite::Database::open(file, sqlite::OpenMode::ReadOnly);
    if (opened.has_error()) return unexpected(std::move(opened).error());
    sqlite::Database db = std::move(opened).value();
    try {
        if (auto newer = refuse_newer(db); newer.has_error()) return unexpected(std::move(newer).error());
        if (schema_version(db) != kSchemaVersion) {
            return fail(ErrorKind::Io, "database " + file.string() + " has not been brought up to date yet");
        }
        Store store(std::move(db), clock);
        store.install_id_ = store.db_.query_text("SELECT value FROM meta WHERE key = 'install_id'").value_or("");
        return store;
    } catch (const sqlite::Error& error) {
        return fail(ErrorKind::Io, "cannot read database " + file.string() + ": " + error.what());
    }
}

// ---- cycles -----------------------------------------------------------------------------------

CycleId Store::begin_cycle(std::string_view mode, std::string_view trigger) {
    db_.prepare("INSERT INTO cycles(started_at, mode, trigger) VALUES (?1, ?2, ?3)").bind_all(now(), mode, trigger).run();
    return CycleId(db_.last_insert_rowid());
}

void Store::finish_cycle(const CycleId& cycle, CycleOutcome outcome, const std::string& summary_json) {
    db_.prepare("UPDATE cycles SET finished_at = ?1, outcome = ?2, summary = ?3 WHERE id = ?4")
        .bind_all(now(), to_string(outcome), summary_json, cycle.value())
        .run();
}

std::optional<CycleRecord> Store::last_cycle(bool only_finished) {
    auto row = db_.prepare(only_finished ? "SELECT id, started_at, finished_at, mode, trigger, outcome, summary FROM "
                                           "cycles WHERE outcome NOT IN ('running') ORDER BY id DESC LIMIT 1"
                                         : "SELECT id, started_at, finished_at, mode, trigger, outcome, summary FROM "
                                           "cycles ORDER BY id DESC LIMIT 1");
    if (!row.step()) return std::nullopt;
    return cycle_from(row);
}

std::optional<CycleRecord> Store::cycle(const CycleId& cycle) {
    auto row = db_.prepare("SELECT id, started_at, finished_at, mode, trigger, outcome, summary FROM cycles WHERE id = ?1");
    row.bind_all(cycle.value());
    if (!row.step()) return std::nullopt;
    return cycle_from(row);
}

// ---- intake -----------------------------------------------------------------------------------

std::optional<std::string> Store::source_fingerprint(const ConnectorName& connector) {
    auto row = db_.cached("SELECT fingerprint FROM sources WHERE connector = ?1");
    row->bind_all(connector.value());
    if (!row->step()) return std::nullopt;
    return row->column_text(0);
}

void Store::record_read(const ConnectorName& connector, const std::string& fingerprint, const CycleId& cycle,
                        const std::vector<FileRecord>& files, const std::vector<ProblemRecord>& problems) {
    db_.prepare(
           "INSERT INTO sources(connector, fingerprint, read_at, cycle_id) VALUES (?1, ?2, ?3, ?4) "
           "ON CONFLICT(connector) DO UPDATE SET fingerprint = excluded.fingerprint, read_at = excluded.read_at, "
           "cycle_id = excluded.cycle_id")
        .bind_all(connector.value(), fingerprint, now(), cycle.value())
        .run();
    db_.prepare("DELETE FROM export_files WHERE connector = ?1").bind_all(connector.value()).run();
    auto file_insert = db_.prepare(
        "INSERT INTO export_files(connector, path, content_hash, encoding, rows, imported, failed, read_at, cycle_id) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    for (const FileRecord& file : files) {
        file_insert.bind_all(connector.value(), file.path, file.content_hash, file.encoding, file.rows, file.imported,
                             file.failed ? 1 : 0, now(), cycle.value());
        file_insert.run();
        file_insert.reset();
    }
    db_.prepare("DELETE FROM problems WHERE connector = ?1").bind_all(connector.value()).run();
    auto problem_insert = db_.prepare(
        "INSERT INTO problems(cycle_id, connector, file, line, severity, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    for (const ProblemRecord& problem : problems) {
        problem_insert.bind_all(cycle.value(), connector.value(), problem.file, problem.line, problem.severity,
                                problem.reason);
        problem_insert.run();
        problem_insert.reset();
    }
}

std::vector<ProblemRecord> Store::problems() {
    std::vector<ProblemRecord> out;
    auto row = db_.prepare("SELECT connector, file, line, severity, reason FROM problems ORDER BY connector, file, line, id");
    while (row.step()) {
        out.push_back({row.column_text(0), row.column_text(1), row.column_int(2), row.column_text(3), row.column_text(4)});
    }
    return out;
}

// ---- snapshot ---------------------------------------------------------------------------------

std::map<ClientId, SnapshotRow> Store::snapshot(const ConnectorName& connector) {
    std::map<ClientId, SnapshotRow> out;
    auto row = db_.prepare("SELECT " + std::string(kSnapshotColumns) + " FROM clients WHERE connector = ?1");
    row.bind_all(connector.value());
    while (row.step()) {
        SnapshotRow snapshot = snapshot_from(row);
        out.emplace(snapshot.client, std::move(snapshot));
    }
    return out;
}

void Store::visit_snapshot(const ConnectorName& connector, const std::function<void(const SnapshotEntry& row)>& visit) {
    auto row = db_.cached(
        "SELECT client_id, content_hash, absent_count, removal IS NOT NULL FROM clients WHERE connector = ?1");
    row->bind_all(connector.value());
    while (row->step()) {
        visit(SnapshotEntry{row->column_view(0), row->column_view(1), row->column_int(2), row->column_int(3) != 0});
    }
}

std::optional<SnapshotRow> Store::snapshot_row(const ConnectorName& connector, const ClientId& client) {
    auto row =
        db_.cached("SELECT " + std::string(kSnapshotColumns) + " FROM clients WHERE connector = ?1 AND client_id = ?2");
    row->bind_all(connector.value(), client.value());
    if (!row->step()) return std::nullopt;
    return snapshot_from(*row);
}

std::map<ClientId, SnapshotRow> Store::unsettled(const ConnectorName& connector) {
    std::map<ClientId, SnapshotRow> out;
    // Served by the partial index clients_unsettled: the cost follows the clients with work, not the firm.
    auto row = db_.cached("SELECT " + std::string(kSnapshotColumns) +
                          " FROM clients WHERE connector = ?1 AND (applied_hash IS NULL OR absent_count > 0)");
    row->bind_all(connector.value());
    while (row->step()) {
        SnapshotRow snapshot = snapshot_from(*row);
        out.emplace(snapshot.client, std::move(snapshot));
    }
    return out;
}

std::int64_t Store::known_clients(const ConnectorName& connector) {
    auto row = db_.cached("SELECT count(*) FROM clients WHERE connector = ?1 AND removal IS NULL");
    row->bind_all(connector.value());
    row->step();
    return row->column_int(0);
}

void Store::clear_applied(const ConnectorName& connector, const ClientId& client) {
    db_.cached("UPDATE clients SET applied_hash = NULL WHERE connector = ?1 AND client_id = ?2")
        ->bind_all(connector.value(), client.value())
        .run();
}

std::optional<std::string> Store::settled_rules() {
    return db_.query_text("SELECT value FROM meta WHERE key = 'settled_rules'");
}

void Store::set_settled_rules(const std::string& rules_fingerprint) {
    db_.prepare(
           "INSERT INTO meta(key, value) VALUES ('settled_rules', ?1) ON CONFLICT(key) DO UPDATE SET value = "
           "excluded.value")
        .bind_all(rules_fingerprint)
        .run();
}

std::vector<ConnectorName> Store::snapshot_connectors() {
    std::vector<ConnectorName> out;
    auto row = db_.prepare("SELECT DISTINCT connector FROM clients ORDER BY connector");
    while (row.step()) out.emplace_back(row.column_text(0));
    return out;
}

void Store::upsert_client(const TaxClient& client, const std::string& content_hash, const CycleId& cycle) {
    const nlohmann::json record = client;
    db_.cached(
           "INSERT INTO clients(connector, client_id, record, content_hash, first_seen_cycle, last_seen_cycle) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT(connector, client_id) DO UPDATE SET record = excluded.record, "
           "content_hash = excluded.content_hash, last_seen_cycle = excluded.last_seen_cycle, absent_count = 0, "
           "removed_at = NULL, removal = NULL, "
           "applied_hash = CASE WHEN clients.content_hash = excluded.content_hash THEN clients.applied_hash END")
        ->bind_all(client.connector.value(), client.id.value(), record.dump(), content_hash, cycle.value())
        .run();
}

void Store::count_absent(const ConnectorName& connector, const std::vector<ClientId>& absent) {
    auto update =
        db_.cached("UPDATE clients SET absent_count = absent_count + 1 WHERE connector = ?1 AND client_id = ?2");
    for (const ClientId& id : absent) {
        update->bind_all(connector.value(), id.value());
        update->run();
        update->reset();
    }
}

void Store::set_applied(const ConnectorName& connector, const ClientId& client, const std::string& applied_hash) {
    // An empty mark (an administrator asked for the client to be planned again) is stored as none.
    db_.cached("UPDATE clients SET applied_hash = NULLIF(?1, '') WHERE connector = ?2 AND client_id = ?3")
        ->bind_all(applied_hash, connector.value(), client.value())
        .run();
}

void Store::count_absences_again(const ConnectorName& connector) {
    db_.prepare("UPDATE clients SET absent_count = absent_count + 1 WHERE connector = ?1 AND absent_count > 0")
        .bind_all(connector.value())
        .run();
}

void Store::mark_removed(const ConnectorName& connector, const ClientId& client, std::string_view removal) {
    // The applied mark goes too: should the client come back, it is planned afresh.
    db_.prepare(
           "UPDATE clients SET removed_at = ?1, removal = ?2, applied_hash = NULL WHERE connector = ?3 AND client_id = ?4")
        .bind_all(now(), removal, connector.value(), client.value())
        .run();
}

std::optional<TaxClient> Store::load_client(const ConnectorName& connector, const ClientId& client) {
    auto row = db_.cached("SELECT record FROM clients WHERE connector = ?1 AND client_id = ?2");
    row->bind_all(connector.value(), client.value());
    if (!row->step()) return std::nullopt;
    return nlohmann::json::parse(row->column_text(0)).get<TaxClient>();
}

// ---- links ------------------------------------------------------------------------------------

namespace {

EntityLink entity_from(const sqlite::Statement& row) {
    return {ConnectorName(row.column_text(0)), ClientId(row.column_text(1)), EntityId(row.column_text(2)),
            row.column_text(3),                row.column_text(4),          origin_from(row.column_text(5))};
}

}  // namespace

std::optional<EntityLink> Store::entity_link(const ConnectorName& connector, const ClientId& client) {
    auto row = db_.cached(
        "SELECT connector, client_id, entity_id, external_key, name, origin FROM entities "
        "WHERE connector = ?1 AND client_id = ?2");
    row->bind_all(connector.value(), client.value());
    if (!row->step()) return std::nullopt;
    return entity_from(*row);
}

std::optional<EntityLink> Store::entity_link_by_key(const std::string& external_key) {
    auto row = db_.prepare(
        "SELECT connector, client_id, entity_id, external_key, name, origin FROM entities WHERE external_key = ?1");
    row.bind_all(external_key);
    if (!row.step()) return std::nullopt;
    return entity_from(row);
}

void Store::save_entity_link(const EntityLink& link) {
    db_.cached(
           "INSERT INTO entities(connector, client_id, entity_id, external_key, name, origin, linked_at) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(connector, client_id) DO UPDATE SET "
           "entity_id = excluded.entity_id, external_key = excluded.external_key, name = excluded.name")
        ->bind_all(link.connector.value(), link.client.value(), link.entity.value(), link.external_key, link.name,
                  to_string(link.origin), now())
        .run();
}

std::optional<ContactRow> Store::contact_by_email(const std::string& email) {
    auto row = db_.cached("SELECT " + std::string(kContactColumns) + " FROM contacts WHERE email = ?1");
    row->bind_all(email);
    if (!row->step()) return std::nullopt;
    return contact_from(*row);
}

std::optional<ContactRow> Store::contact_by_id(const ContactId& contact) {
    auto row = db_.cached("SELECT " + std::string(kContactColumns) + " FROM contacts WHERE contact_id = ?1");
    row->bind_all(contact.value());
    if (!row->step()) return std::nullopt;
    return contact_from(*row);
}

void Store::save_contact(const ContactRow& contact) {
    const std::optional<std::int64_t> invited_at =
        contact.invited_at ? std::optional<std::int64_t>(to_unix_seconds(*contact.invited_at)) : std::nullopt;
    db_.cached(
           "INSERT INTO contacts(email, contact_id, first_name, last_name, origin, state, invited_at, last_error, "
           "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(email) DO UPDATE SET "
           "contact_id = excluded.contact_id, first_name = excluded.first_name, last_name = excluded.last_name, "
           "origin = excluded.origin, state = excluded.state, invited_at = excluded.invited_at, "
           "last_error = excluded.last_error, updated_at = excluded.updated_at")
        ->bind_all(contact.email, optional_id(contact.contact), contact.first_name, contact.last_name,
                  to_string(contact.origin), to_string(contact.state), invited_at,
                  contact.last_error.empty() ? std::optional<std::string>() : contact.last_error, now())
        .run();
}

void Store::change_contact_email(const ContactId& contact, const std::string& new_email) {
    db_.prepare("UPDATE contacts SET email = ?1, updated_at = ?2 WHERE contact_id = ?3")
        .bind_all(new_email, now(), contact.value())
        .run();
}

std::vector<PersonRow> Store::people(const ConnectorName& connector, const ClientId& client) {
    std::vector<PersonRow> out;
    auto row = db_.cached(
        "SELECT role, display_name, email, email_status, contact_id FROM people WHERE connector = ?1 AND client_id = "
        "?2 "
        "ORDER BY role DESC");
    row->bind_all(connector.value(), client.value());
    while (row->step()) {
        PersonRow person{connector,
                         client,
                         role_from(row->column_text(0)),
                         row->column_text(1),
                         row->column_text(2),
                         email_status_from(row->column_text(3)),
                         std::nullopt};
        if (auto id = row->column_optional_text(4)) person.contact = ContactId(*id);
        out.push_back(std::move(person));
    }
    return out;
}

void Store::save_person(const PersonRow& person) {
    db_.cached(
           "INSERT INTO people(connector, client_id, role, display_name, email, email_status, contact_id) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(connector, client_id, role) DO UPDATE SET "
           "display_name = excluded.display_name, email = excluded.email, email_status = excluded.email_status, "
           "contact_id = excluded.contact_id")
        ->bind_all(person.connector.value(), person.client.value(), to_string(person.role), person.display_name,
                   person.email, to_string(person.email_status), optional_id(person.contact))
        .run();
}

void Store::remove_people_except(const ConnectorName& connector, const ClientId& client,
                                 const std::set<PersonRole>& roles) {
    for (PersonRole role : {PersonRole::Taxpayer, PersonRole::Spouse}) {
        if (roles.count(role) != 0) continue;
        db_.cached("DELETE FROM people WHERE connector = ?1 AND client_id = ?2 AND role = ?3")
            ->bind_all(connector.value(), client.value(), to_string(role))
            .run();
    }
}

std::vector<std::pair<ConnectorName, ClientId>> Store::clients_naming(const std::string& email) {
    std::vector<std::pair<ConnectorName, ClientId>> out;
    auto row = db_.prepare(
        "SELECT DISTINCT p.connector, p.client_id FROM people p JOIN clients c ON c.connector = p.connector AND "
        "c.client_id = p.client_id AND c.absent_count = 0 WHERE p.email = ?1 AND p.email_status = 'usable' "
        "ORDER BY p.connector, p.client_id");
    row.bind_all(email);
    while (row.step()) out.emplace_back(ConnectorName(row.column_text(0)), ClientId(row.column_text(1)));
    return out;
}

std::optional<std::pair<ConnectorName, ClientId>> Store::client_of_contact(const ContactId& contact) {
    auto row = db_.prepare(
        "SELECT p.connector, p.client_id FROM people p JOIN clients c ON c.connector = p.connector AND "
        "c.client_id = p.client_id AND c.absent_count = 0 WHERE p.contact_id = ?1 ORDER BY p.connector, p.client_id "
        "LIMIT 1");
    row.bind_all(contact.value());
    if (!row.step()) return std::nullopt;
    return std::pair{ConnectorName(row.column_text(0)), ClientId(row.column_text(1))};
}

std::int64_t Store::people_linked_to(const ContactId& contact) {
    auto row = db_.cached("SELECT count(*) FROM people WHERE contact_id = ?1");
    row->bind_all(contact.value());
    row->step();
    return row->column_int(0);
}

std::optional<GroupId> Store::group(const std::string& name) {
    auto row = db_.cached("SELECT group_id FROM groups WHERE name = ?1");
    row->bind_all(name);
    if (!row->step()) return std::nullopt;
    return GroupId(row->column_text(0));
}

void Store::save_group(const std::string& name, const GroupId& group) {
    db_.prepare("INSERT INTO groups(name, group_id) VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET group_id = excluded.group_id")
        .bind_all(name, group.value())
        .run();
}

std::optional<FolderId> Store::folder(const EntityId& entity, const std::string& path) {
    auto row = db_.cached("SELECT folder_id FROM folders WHERE entity_id = ?1 AND path = ?2");
    row->bind_all(entity.value(), path);
    if (!row->step()) return std::nullopt;
    return FolderId(row->column_text(0));
}

void Store::save_folder(const EntityId& entity, const std::string& path, const FolderId& folder) {
    db_.cached(
           "INSERT INTO folders(entity_id, path, folder_id) VALUES (?1, ?2, ?3) ON CONFLICT(entity_id, path) "
           "DO UPDATE SET folder_id = excluded.folder_id")
        ->bind_all(entity.value(), path, folder.value())
        .run();
}

std::set<std::string> Store::folder_paths(const EntityId& entity) {
    std::set<std::string> out;
    auto row = db_.cached("SELECT path FROM folders WHERE entity_id = ?1");
    row->bind_all(entity.value());
    while (row->step()) out.insert(row->column_text(0));
    return out;
}

std::set<Grant> Store::grants(const ConnectorName& connector, const ClientId& client) {
    std::set<Grant> out;
    auto row =
        db_.cached("SELECT contact_id, kind, target, access FROM grants WHERE connector = ?1 AND client_id = ?2");
    row->bind_all(connector.value(), client.value());
    while (row->step()) {
        out.insert({ContactId(row->column_text(0)), grant_kind_from(row->column_text(1)), row->column_text(2),
                    row->column_text(3)});
    }
    return out;
}

void Store::save_grant(const ConnectorName& connector, const ClientId& client, const Grant& grant) {
    db_.cached(
           "INSERT INTO grants(connector, client_id, contact_id, kind, target, access, granted_at) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(connector, client_id, contact_id, kind, target) "
           "DO UPDATE SET access = excluded.access, granted_at = excluded.granted_at")
        ->bind_all(connector.value(), client.value(), grant.contact.value(), to_string(grant.kind), grant.target,
                  grant.access, now())
        .run();
}

void Store::delete_grant(const ConnectorName& connector, const ClientId& client, const Grant& grant) {
    db_.prepare(
           "DELETE FROM grants WHERE connector = ?1 AND client_id = ?2 AND contact_id = ?3 AND kind = ?4 AND target = ?5")
        .bind_all(connector.value(), client.value(), grant.contact.value(), to_string(grant.kind), grant.target)
        .run();
}

bool Store::grant_held_elsewhere(const ConnectorName& connector, const ClientId& client, const Grant& grant) {
    auto row = db_.prepare(
        "SELECT 1 FROM grants WHERE contact_id = ?1 AND kind = ?2 AND target = ?3 "
        "AND NOT (connector = ?4 AND client_id = ?5) LIMIT 1");
    row.bind_all(grant.contact.value(), to_string(grant.kind), grant.target, connector.value(), client.value());
    return row.step();
}

std::int64_t Store::grant_count(const ContactId& contact) {
    auto row = db_.prepare("SELECT count(*) FROM grants WHERE contact_id = ?1 AND kind <> 'file_request'");
    row.bind_all(contact.value());
    row.step();
    return row.column_int(0);
}

// ---- invitations ------------------------------------------------------------------------------

void Store::count_invitation(const std::string& email) {
    db_.cached("UPDATE contacts SET invitations = invitations + 1, invited_at = ?1, updated_at = ?1 WHERE email = ?2")
        ->bind_all(now(), email)
        .run();
}

std::vector<ContactRow> Store::contacts_to_check(SystemTime before, std::int64_t limit) {
    std::vector<ContactRow> out;
    auto row = db_.prepare("SELECT " + std::string(kContactColumns) +
                           " FROM contacts WHERE state = 'invited' AND contact_id IS NOT NULL "
                           "AND coalesce(checked_at, invited_at, 0) <= ?1 ORDER BY coalesce(checked_at, invited_at, 0), email "
                           "LIMIT ?2");
    row.bind_all(to_unix_seconds(before), limit);
    while (row.step()) out.push_back(contact_from(row));
    return out;
}

void Store::set_contact_checked(const std::string& email, ContactState state) {
    db_.prepare("UPDATE contacts SET state = ?1, checked_at = ?2, updated_at = ?2 WHERE email = ?3")
        .bind_all(to_string(state), now(), email)
        .run();
}

std::vector<ContactRow> Store::contacts_with_state(ContactState state) {
    std::vector<ContactRow> out;
    auto row = db_.prepare("SELECT " + std::string(kContactColumns) + " FROM contacts WHERE state = ?1 ORDER BY email");
    row.bind_all(to_string(state));
    while (row.step()) out.push_back(contact_from(row));
    return out;
}

// ---- outbox -----------------------------------------------------------------------------------

std::vector<OperationId> Store::enqueue(const CycleId& cycle, const std::vector<NewOperation>& operations) {
    std::vector<OperationId> ids;
    ids.reserve(operations.size());
    // The key is fixed when the operation is written, so every retry and every restart sends the same one.
    auto insert = db_.cached(
        "INSERT INTO outbox(cycle_id, connector, client_id, kind, payload, idempotency_key, created_at, updated_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)");
    for (const NewOperation& operation : operations) {
        insert->bind_all(cycle.value(), operation.connector.value(), operation.client.value(), operation.kind,
                         operation.payload_json, next_idempotency_key(), now());
        insert->run();
        insert->reset();
        ids.emplace_back(db_.last_insert_rowid());
    }
    return ids;
}

std::string Store::next_idempotency_key() {
    if (keys_drawn_ == 0) key_prefix_ = to_hex(random_bytes(8));
    const std::uint32_t count = keys_drawn_++;
    const std::array<char, 4> bytes{static_cast<char>(count >> 24), static_cast<char>(count >> 16),
                                    static_cast<char>(count >> 8), static_cast<char>(count)};
    return "taxsync-" + install_id_ + "-" + key_prefix_ + to_hex(std::string_view(bytes.data(), bytes.size()));
}

std::vector<OutboxRow> Store::open_operations() {
    std::vector<OutboxRow> out;
    auto row = db_.prepare("SELECT " + std::string(kOutboxColumns) +
                           " FROM outbox WHERE state IN ('pending', 'in_flight') ORDER BY id");
    while (row.step()) {
        out.push_back(outbox_row_from(row));
    }
    return out;
}

std::set<std::pair<ConnectorName, ClientId>> Store::clients_with_open_operations() {
    std::set<std::pair<ConnectorName, ClientId>> out;
    auto row = db_.prepare("SELECT DISTINCT connector, client_id FROM outbox WHERE state IN ('pending', 'in_flight')");
    while (row.step()) out.emplace(ConnectorName(row.column_text(0)), ClientId(row.column_text(1)));
    return out;
}

void Store::mark_in_flight(const OperationId& operation) {
    db_.cached("UPDATE outbox SET state = 'in_flight', attempts = attempts + 1, updated_at = ?1 WHERE id = ?2")
        ->bind_all(now(), operation.value())
        .run();
}

void Store::unmark_in_flight(const OperationId& operation, OutboxState before) {
    db_.cached(
           "UPDATE outbox SET state = ?1, attempts = max(attempts - 1, 0), updated_at = ?2 "
           "WHERE id = ?3 AND state = 'in_flight'")
        ->bind_all(to_string(before), now(), operation.value())
        .run();
}

void Store::mark_done(const OperationId& operation) {
    db_.cached("UPDATE outbox SET state = 'done', last_error = NULL, updated_at = ?1 WHERE id = ?2")
        ->bind_all(now(), operation.value())
        .run();
}

void Store::mark_failed(const OperationId& operation, const std::string& error) {
    db_.cached("UPDATE outbox SET state = 'failed', last_error = ?1, updated_at = ?2 WHERE id = ?3")
        ->bind_all(error, now(), operation.value())
        .run();
}

void Store::supersede_open(const ConnectorName& connector, const ClientId& client, const std::string& reason) {
    db_.prepare(
           "UPDATE outbox SET state = 'superseded', last_error = ?1, updated_at = ?2 "
           "WHERE connector = ?3 AND client_id = ?4 AND state IN ('pending', 'in_flight')")
        .bind_all(reason, now(), connector.value(), client.value())
        .run();
}

std::map<std::string, std::int64_t> Store::outbox_counts() {
    std::map<std::string, std::int64_t> out;
    auto row = db_.prepare("SELECT state, count(*) FROM outbox GROUP BY state");
    while (row.step()) out[row.column_text(0)] = row.column_int(1);
    return out;
}

std::vector<OutboxRow> Store::client_operations(const ConnectorName& connector, const ClientId& client,
                                                std::int64_t limit) {
    std::vector<OutboxRow> out;
    auto row = db_.prepare("SELECT " + std::string(kOutboxColumns) +
                           " FROM outbox WHERE connector = ?1 AND client_id = ?2 ORDER BY id DESC LIMIT ?3");
    row.bind_all(connector.value(), client.value(), limit);
    while (row.step()) {
        out.push_back(outbox_row_from(row));
    }
    return out;
}

std::int64_t waiting_operations(const std::map<std::string, std::int64_t>& outbox_counts) {
    std::int64_t waiting = 0;
    for (const OutboxState state : {OutboxState::Pending, OutboxState::InFlight}) {
        if (const auto found = outbox_counts.find(std::string(to_string(state))); found != outbox_counts.end()) {
            waiting += found->second;
        }
    }
    return waiting;
}

// ---- audit ------------------------------------------------------------------------------------

void Store::audit(const AuditEntry& entry) {
    const std::optional<std::int64_t> cycle =
        entry.cycle ? std::optional<std::int64_t>(entry.cycle->value()) : std::nullopt;
    const std::optional<std::int64_t> operation =
        entry.operation ? std::optional<std::int64_t>(entry.operation->value()) : std::nullopt;
    db_.cached(
           "INSERT INTO audit(at, cycle_id, op_id, connector, client_id, action, target, outcome, detail) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
        ->bind_all(now(), cycle, operation, entry.connector.value(), entry.client.value(), entry.action, entry.target,
                  entry.outcome, entry.detail)
        .run();
}

std::vector<AuditRecord> Store::audit_trail(std::int64_t limit) {
    std::vector<AuditRecord> out;
    auto row = db_.prepare(
        "SELECT id, at, cycle_id, op_id, connector, client_id, action, target, outcome, detail FROM audit "
        "ORDER BY id DESC LIMIT ?1");
    row.bind_all(limit);
    while (row.step()) out.push_back(audit_record_from(row));
    return out;
}

std::vector<AuditRecord> Store::audit_records(const std::optional<std::pair<ConnectorName, ClientId>>& client,
                                              std::optional<SystemTime> since) {
    std::vector<AuditRecord> out;
    auto row = db_.prepare(
        "SELECT id, at, cycle_id, op_id, connector, client_id, action, target, outcome, detail FROM audit "
        "WHERE (?1 IS NULL OR (connector = ?1 AND client_id = ?2)) AND at >= ?3 ORDER BY id");
    row.bind_all(client ? std::optional<std::string>(client->first.value()) : std::nullopt,
                 client ? std::optional<std::string>(client->second.value()) : std::nullopt,
                 since ? to_unix_seconds(*since) : std::int64_t{0});
    while (row.step()) out.push_back(audit_record_from(row));
    return out;
}

// ---- status -----------------------------------------------------------------------------------

std::vector<PersonStatus> Store::person_statuses(std::optional<SystemTime> expired_before) {
    std::vector<PersonStatus> out;
    // Only people of clients still in the export; a person's invitation state is their contact's.
    auto row = db_.prepare(R"sql(
        SELECT p.connector, p.client_id, p.role, p.display_name, p.email, p.email_status,
               coalesce(byid.state, byemail.state), coalesce(byid.last_error, byemail.last_error, ''),
               coalesce(byid.invited_at, byemail.invited_at)
        FROM people p
        JOIN clients c ON c.connector = p.connector AND c.client_id = p.client_id AND c.absent_count = 0
        LEFT JOIN contacts byid ON byid.contact_id = p.contact_id
        LEFT JOIN contacts byemail ON p.contact_id IS NULL AND byemail.email = p.email
        ORDER BY p.connector, p.client_id, p.role DESC)sql");
    while (row.step()) {
        PersonStatus status;
        status.connector = ConnectorName(row.column_text(0));
        status.client = ClientId(row.column_text(1));
        status.role = role_from(row.column_text(2));
        status.display_name = row.column_text(3);
        status.email = row.column_text(4);
        const std::string email_status = row.column_text(5);
        if (email_status == "missing") {
            status.state = "missing_email";
        } else if (email_status == "invalid") {
            status.state = "invalid_email";
        } else {
            status.state = row.column_optional_text(6).value_or("not_invited");
            status.detail = row.column_text(7);
            const auto invited_at = row.column_optional_int(8);
            if (status.state == "invited" && expired_before && invited_at &&
                from_unix_seconds(*invited_at) < *expired_before) {
                status.state = "expired";
                status.detail = "invited " + format_utc(from_unix_seconds(*invited_at)) +
                                ", not accepted; `taxsync invite " + status.client.value() + " --resend`";
            }
        }
        out.push_back(std::move(status));
    }
    return out;
}

}  // namespace taxsync::store
