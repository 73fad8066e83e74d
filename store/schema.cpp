#include "store/schema.hpp"

#include <array>
#include <string>

namespace taxsync::store {
namespace {

// Forward migrations, in order. Entry N takes a database from user_version N to N+1.
// Never edit a shipped entry: add a new one.
constexpr std::array<std::string_view, kSchemaVersion> kMigrations = {
    R"sql(
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One row per cycle: when it ran, how, and how it ended.
CREATE TABLE cycles (
    id          INTEGER PRIMARY KEY,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    mode        TEXT NOT NULL,               -- apply | plan
    trigger     TEXT NOT NULL,               -- once | schedule | change | admin
    outcome     TEXT NOT NULL DEFAULT 'running',  -- running | ok | problems | failed | interrupted
    summary     TEXT NOT NULL DEFAULT '{}'   -- JSON counters
);

-- The last input each connector read, so an unchanged source costs nothing.
CREATE TABLE sources (
    connector   TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    read_at     INTEGER NOT NULL,
    cycle_id    INTEGER NOT NULL REFERENCES cycles(id)
);

-- Files read: their content hash and outcome, never their data.
CREATE TABLE export_files (
    connector    TEXT NOT NULL,
    path         TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    encoding     TEXT NOT NULL,
    rows         INTEGER NOT NULL,
    imported     INTEGER NOT NULL,
    failed       INTEGER NOT NULL,
    read_at      INTEGER NOT NULL,
    cycle_id     INTEGER NOT NULL REFERENCES cycles(id),
    PRIMARY KEY (connector, path)
);

-- Problems found in the latest read of each connector (file, line, reason).
CREATE TABLE problems (
    id        INTEGER PRIMARY KEY,
    cycle_id  INTEGER NOT NULL REFERENCES cycles(id),
    connector TEXT NOT NULL,
    file      TEXT NOT NULL,
    line      INTEGER NOT NULL,
    severity  TEXT NOT NULL,                 -- warning | error
    reason    TEXT NOT NULL
);
CREATE INDEX problems_by_connector ON problems(connector);

-- The export snapshot: every client ever seen. `record` is the TaxClient as JSON, with tax ids
-- only as keyed hash and last four digits. `applied_hash` is set when the portal matched it fully.
CREATE TABLE clients (
    connector        TEXT NOT NULL,
    client_id        TEXT NOT NULL,
    record           TEXT NOT NULL,
    content_hash     TEXT NOT NULL,
    first_seen_cycle INTEGER NOT NULL,
    last_seen_cycle  INTEGER NOT NULL,
    absent_count     INTEGER NOT NULL DEFAULT 0,
    applied_hash     TEXT,
    PRIMARY KEY (connector, client_id)
);

-- Client <-> portal entity.
CREATE TABLE entities (
    connector    TEXT NOT NULL,
    client_id    TEXT NOT NULL,
    entity_id    TEXT NOT NULL UNIQUE,
    external_key TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    origin       TEXT NOT NULL,              -- created | adopted
    linked_at    INTEGER NOT NULL,
    PRIMARY KEY (connector, client_id)
);

-- Portal contacts, one per email address, and where their invitation stands.
CREATE TABLE contacts (
    email       TEXT PRIMARY KEY,            -- normalized
    contact_id  TEXT UNIQUE,                 -- NULL until the portal has it
    first_name  TEXT NOT NULL,
    last_name   TEXT NOT NULL,
    origin      TEXT NOT NULL,               -- created | adopted
    state       TEXT NOT NULL,               -- not_invited | invited | activated | failed
    invited_at  INTEGER,
    last_error  TEXT,
    updated_at  INTEGER NOT NULL
);

-- Person (taxpayer or spouse of a client) <-> the email in the export and the linked contact.
CREATE TABLE people (
    connector    TEXT NOT NULL,
    client_id    TEXT NOT NULL,
    role         TEXT NOT NULL,              -- taxpayer | spouse
    display_name TEXT NOT NULL,
    email        TEXT NOT NULL,              -- as in the export (normalized when usable)
    email_status TEXT NOT NULL,              -- usable | missing | invalid
    contact_id   TEXT,                       -- the contact this person is linked to
    PRIMARY KEY (connector, client_id, role)
);
CREATE INDEX people_by_contact ON people(contact_id);
CREATE INDEX people_by_email ON people(email);

CREATE TABLE groups (
    name     TEXT PRIMARY KEY,
    group_id TEXT NOT NULL UNIQUE
);

CREATE TABLE folders (
    entity_id TEXT NOT NULL,
    path      TEXT NOT NULL,
    folder_id TEXT NOT NULL,
    PRIMARY KEY (entity_id, path)
);

-- What taxsync granted: role shares, group memberships, folder access, per client and contact.
CREATE TABLE grants (
    connector  TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    kind       TEXT NOT NULL,                -- role | group | folder
    target     TEXT NOT NULL,                -- role name, group name or folder path
    access     TEXT NOT NULL DEFAULT '',     -- folder access: read | upload
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (connector, client_id, contact_id, kind, target)
);
CREATE INDEX grants_by_contact ON grants(contact_id);

-- The outbox: every portal operation is written here, in the same transaction as the snapshot
-- that caused it, before anything is sent.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    cycle_id        INTEGER NOT NULL REFERENCES cycles(id),
    connector       TEXT NOT NULL,
    client_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,           -- JSON
    idempotency_key TEXT NOT NULL UNIQUE,
    state           TEXT NOT NULL DEFAULT 'pending',  -- pending | in_flight | done | failed | superseded
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX outbox_open ON outbox(state) WHERE state IN ('pending', 'in_flight');
CREATE INDEX outbox_by_client ON outbox(connector, client_id);

-- Every portal write: what, for which client, when, and how it went.
CREATE TABLE audit (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    cycle_id  INTEGER,
    op_id     INTEGER,
    connector TEXT NOT NULL,
    client_id TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    outcome   TEXT NOT NULL,                 -- ok | adopted | failed
    detail    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_by_client ON audit(connector, client_id);
)sql",
    // 1 -> 2: the safety gate, removal policy, review queue, re-invitations and staged plans.
    R"sql(
-- Why a cycle was held at the safety gate, and what an administrator decided.
ALTER TABLE cycles ADD COLUMN gate TEXT;          -- NULL: not held
ALTER TABLE cycles ADD COLUMN decision TEXT;      -- approved | rejected | replaced
ALTER TABLE cycles ADD COLUMN decided_at INTEGER;

-- When the removal policy acted on a client missing from its export, and how.
ALTER TABLE clients ADD COLUMN removed_at INTEGER;
ALTER TABLE clients ADD COLUMN removal TEXT;      -- preserve | revoke | archive

-- How many invitation emails a contact was sent, and when its state was last read back.
ALTER TABLE contacts ADD COLUMN invitations INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN checked_at INTEGER;
UPDATE contacts SET invitations = 1 WHERE invited_at IS NOT NULL;

-- Clients that wait for an administrator: an ambiguous match (review) or told to be left alone.
CREATE TABLE reviews (
    connector TEXT NOT NULL,
    client_id TEXT NOT NULL,
    state     TEXT NOT NULL,                 -- open | ignored
    reason    TEXT NOT NULL,
    opened_at INTEGER NOT NULL,
    PRIMARY KEY (connector, client_id)
);

-- What a cycle in plan mode (staging) would have done, kept for the latest few such cycles.
CREATE TABLE staged (
    cycle_id    INTEGER NOT NULL REFERENCES cycles(id),
    seq         INTEGER NOT NULL,
    connector   TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    description TEXT NOT NULL,
    PRIMARY KEY (cycle_id, seq)
);
CREATE INDEX outbox_by_cycle ON outbox(cycle_id, state);
)sql",
    // 2 -> 3: a cycle on an unchanged export reads only the clients and operations with work left.
    R"sql(
CREATE INDEX clients_unsettled ON clients(connector) WHERE applied_hash IS NULL OR absent_count > 0;
CREATE INDEX clients_known ON clients(connector) WHERE removal IS NULL;
-- Invited contacts due for a read-back, in the order they are checked (contacts_to_check).
CREATE INDEX contacts_to_check ON contacts(coalesce(checked_at, invited_at, 0), email)
    WHERE state = 'invited' AND contact_id IS NOT NULL;
-- Operations held at the safety gate (replace_held, held_cycle), not every operation ever run.
CREATE INDEX outbox_held ON outbox(cycle_id, state) WHERE state = 'held';
)sql",
    // 3 -> 4: an operation's state changes twice as it runs; an index that holds the state is
    // rewritten each time, so the index by cycle holds the cycle alone.
    R"sql(
DROP INDEX outbox_by_cycle;
CREATE INDEX outbox_by_cycle ON outbox(cycle_id);
)sql",
};

}  // namespace

Status refuse_newer(sqlite::Database& db) {
    const int current = schema_version(db);
    if (current > kSchemaVersion) {
        return fail(ErrorKind::Io, "database " + db.path().string() + " has schema version " + std::to_string(current) +
                                       ", but this taxsync understands versions up to " +
                                       std::to_string(kSchemaVersion) +
                                       ": it was written by a newer taxsync. Install that version again, or restore "
                                       "a backup made by this one. The database was not changed.");
    }
    return ok();
}

Status migrate(sqlite::Database& db) {
    if (auto newer = refuse_newer(db); newer.has_error()) return newer;
    const int current = schema_version(db);
    for (int version = current; version < kSchemaVersion; ++version) {
        sqlite::Transaction transaction(db);
        db.exec(kMigrations[static_cast<std::size_t>(version)]);
        db.exec("PRAGMA user_version = " + std::to_string(version + 1));
        transaction.commit();
    }
    return ok();
}

int schema_version(sqlite::Database& db) { return static_cast<int>(db.query_int("PRAGMA user_version").value_or(0)); }

}  // namespace taxsync::store
