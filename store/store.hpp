#pragma once
// taxsync's state: one SQLite file in the state directory (WAL, synchronous=FULL). The store
// speaks rows, not portal calls: the engine decides what the rows mean.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/expected.hpp"
#include "core/strong_id.hpp"
#include "core/tax_client.hpp"
#include "store/sqlite.hpp"

namespace taxsync::store {

// ---- cycles -----------------------------------------------------------------------------------

enum class CycleOutcome { Running, Ok, Problems, Failed, Interrupted, Held };
std::string_view to_string(CycleOutcome outcome);

struct CycleRecord {
    CycleId id;
    SystemTime started_at;
    std::optional<SystemTime> finished_at;
    std::string mode;
    std::string trigger;
    CycleOutcome outcome = CycleOutcome::Running;
    std::string summary_json;
};

// ---- intake -----------------------------------------------------------------------------------

struct FileRecord {
    std::string path;
    std::string content_hash;
    std::string encoding;
    std::int64_t rows = 0;
    std::int64_t imported = 0;
    bool failed = false;
};

struct ProblemRecord {
    std::string connector;
    std::string file;
    std::int64_t line = 0;
    std::string severity;  // warning | error
    std::string reason;
};

struct SnapshotRow {
    ClientId client;
    std::string content_hash;
    std::optional<std::string> applied_hash;
    std::int64_t absent_count = 0;
    std::optional<std::string> removal;  // set once the removal policy acted: preserve | revoke | archive
};

/// A snapshot row as visit_snapshot shows it: the views last until the visitor returns.
struct SnapshotEntry {
    std::string_view client;
    std::string_view content_hash;
    std::int64_t absent_count = 0;
    bool removed = false;  // the removal policy acted on it
};

// ---- links ------------------------------------------------------------------------------------

enum class Origin { Created, Adopted };
std::string_view to_string(Origin origin);

struct EntityLink {
    ConnectorName connector;
    ClientId client;
    EntityId entity;
    std::string external_key;
    std::string name;
    Origin origin = Origin::Created;
};

enum class ContactState { NotInvited, Invited, Activated, Failed, Deactivated };
std::string_view to_string(ContactState state);

struct ContactRow {
    std::string email;
    std::optional<ContactId> contact;
    std::string first_name;
    std::string last_name;
    Origin origin = Origin::Created;
    ContactState state = ContactState::NotInvited;
    std::optional<SystemTime> invited_at;  // the latest invitation email
    std::string last_error;
    std::int64_t invitations = 0;          // invitation emails sent so far (kept by count_invitation)
    std::optional<SystemTime> checked_at;  // when its state was last read back from the portal
};

struct PersonRow {
    ConnectorName connector;
    ClientId client;
    PersonRole role = PersonRole::Taxpayer;
    std::string display_name;
    std::string email;
    EmailStatus email_status = EmailStatus::Missing;
    std::optional<ContactId> contact;
};

/// FileRequest records a document request sent to the contact; its target is the tax year.
enum class GrantKind { Role, Group, Folder, FileRequest };
std::string_view to_string(GrantKind kind);

struct Grant {
    ContactId contact;
    GrantKind kind = GrantKind::Role;
    std::string target;
    std::string access;

    friend auto operator<=>(const Grant&, const Grant&) = default;
};

// ---- outbox and audit -------------------------------------------------------------------------

/// Held: planned by a cycle that the safety gate stopped; it waits for `taxsync approve`.
/// Rejected: an administrator said no with `taxsync reject`.
enum class OutboxState { Pending, InFlight, Done, Failed, Superseded, Held, Rejected };
std::string_view to_string(OutboxState state);

struct NewOperation {
    ConnectorName connector;
    ClientId client;
    std::string kind;
    std::string payload_json;
};

struct OutboxRow {
    OperationId id;
    CycleId cycle;
    ConnectorName connector;
    ClientId client;
    std::string kind;
    std::string payload_json;
    std::string idempotency_key;
    OutboxState state = OutboxState::Pending;
    std::int64_t attempts = 0;
    std::string last_error;
};

struct AuditEntry {
    std::optional<CycleId> cycle;
    std::optional<OperationId> operation;
    ConnectorName connector;
    ClientId client;
    std::string action;
    std::string target;
    std::string outcome;  // ok | adopted | failed
    std::string detail;
};

struct AuditRecord {
    std::int64_t id = 0;
    SystemTime at;
    AuditEntry entry;
};

/// Invitation state of every person in the snapshot, as `taxsync status` shows it.
struct PersonStatus {
    ConnectorName connector;
    ClientId client;
    PersonRole role = PersonRole::Taxpayer;
    std::string display_name;
    std::string email;
    std::string state;  // missing_email | invalid_email | not_invited | invited | activated | failed
    std::string detail;
};

/// A cycle held at the safety gate whose operations still wait for a decision.
struct HeldCycle {
    CycleId id;
    SystemTime started_at;
    std::string reason;
    std::int64_t operations = 0;
};

enum class ReviewState { Open, Ignored };
std::string_view to_string(ReviewState state);

/// A client that waits for an administrator instead of being synced.
struct Review {
    ConnectorName connector;
    ClientId client;
    ReviewState state = ReviewState::Open;
    std::string reason;
    SystemTime opened_at;
};

/// One operation a plan-mode cycle would have run.
struct StagedOperation {
    ConnectorName connector;
    ClientId client;
    std::string kind;
    std::string description;
};

/// Operations still to run (pending or in flight) in the counts outbox_counts() returns.
std::int64_t waiting_operations(const std::map<std::string, std::int64_t>& outbox_counts);

class Store {
public:
    /// Opens or creates the database, applies WAL, synchronous=FULL and a busy timeout, and
    /// migrates it forward. With `recover` (the one writer, holding the state lock), cycles left
    /// running by a crash are marked interrupted; without it (a plan next to a running service),
    /// they are left alone.
    static Expected<Store> open(const std::filesystem::path& file, const Clock& clock, bool recover = true);
    /// A second, read-only connection for status queries while another thread runs a cycle. It
    /// writes nothing, and refuses a database whose schema is not exactly this taxsync's.
    static Expected<Store> open_reader(const std::filesystem::path& file, const Clock& clock);

    [[nodiscard]] sqlite::Database& db() { return db_; }
    /// Random per installation; prefixes idempotency keys so two installs never collide.
    [[nodiscard]] const std::string& install_id() const { return install_id_; }

    // cycles
    CycleId begin_cycle(std::string_view mode, std::string_view trigger);
    void finish_cycle(const CycleId& cycle, CycleOutcome outcome, const std::string& summary_json);
    std::optional<CycleRecord> last_cycle(bool only_finished = false);

    std::optional<CycleRecord> cycle(const CycleId& cycle);

    // the safety gate
    /// Marks the cycle held for `reason` and its pending operations held.
    void hold_cycle(const CycleId& cycle, const std::string& reason);
    /// The newest cycle that still has held operations.
    std::optional<HeldCycle> held_cycle();
    /// A newer cycle planned the same work again: the held operations of older cycles are superseded.
    void replace_held(const CycleId& by);
    /// Held operations of `cycle` become pending (approve) or rejected (reject). Returns how many
    /// changed; fails when the cycle holds nothing (never held, already decided, or replaced).
    Expected<std::int64_t> decide_held(const CycleId& cycle, bool approve);

    /// Records what a plan-mode cycle would have done; keeps only the latest `keep` such cycles.
    void record_staged(const CycleId& cycle, const std::vector<StagedOperation>& operations, int keep = 5);
    std::vector<StagedOperation> staged(const CycleId& cycle);

    // intake
    std::optional<std::string> source_fingerprint(const ConnectorName& connector);
    /// Replaces the connector's file records and problems with those of this read.
    void record_read(const ConnectorName& connector, const std::string& fingerprint, const CycleId& cycle,
                     const std::vector<FileRecord>& files, const std::vector<ProblemRecord>& problems);
    std::vector<ProblemRecord> problems();

    // snapshot
    std::map<ClientId, SnapshotRow> snapshot(const ConnectorName& connector);
    /// Each snapshot row of `connector` in turn, without holding them all or copying their text
    /// (an intake of 100,000 clients keeps only what it needs of each).
    void visit_snapshot(const ConnectorName& connector, const std::function<void(const SnapshotEntry& row)>& visit);
    std::optional<SnapshotRow> snapshot_row(const ConnectorName& connector, const ClientId& client);
    std::vector<ConnectorName> snapshot_connectors();
    /// Clients with work possibly left: no applied mark for their current record, or absent.
    /// Together with settled_rules() this lets a cycle skip every client the portal already matches.
    std::map<ClientId, SnapshotRow> unsettled(const ConnectorName& connector);
    /// Clients of `connector` the removal policy has not acted on (the safety gate's "known clients").
    std::int64_t known_clients(const ConnectorName& connector);
    /// The rules fingerprint for which every applied mark is either current or cleared; nullopt
    /// until a cycle has looked at every client under the present rules.
    std::optional<std::string> settled_rules();
    void set_settled_rules(const std::string& rules_fingerprint);
    /// Writes the client's record when it is new or changed, or back from absence; a client whose
    /// content hash did not change keeps its applied mark, one whose content changed loses it.
    /// `last_seen_cycle` is the last cycle that wrote the row.
    void upsert_client(const TaxClient& client, const std::string& content_hash, const CycleId& cycle);
    /// Increments absent_count for the clients `absent` of `connector`.
    void count_absent(const ConnectorName& connector, const std::vector<ClientId>& absent);
    /// The source was not read again (unchanged): clients already absent count one more cycle.
    void count_absences_again(const ConnectorName& connector);
    /// An empty `applied_hash` clears the mark: the client is planned again on the next cycle.
    void set_applied(const ConnectorName& connector, const ClientId& client, const std::string& applied_hash);
    void clear_applied(const ConnectorName& connector, const ClientId& client);
    /// The removal policy acted on an absent client; cleared when the client is exported again.
    void mark_removed(const ConnectorName& connector, const ClientId& client, std::string_view removal);
    std::optional<TaxClient> load_client(const ConnectorName& connector, const ClientId& client);

    // links
    std::optional<EntityLink> entity_link(const ConnectorName& connector, const ClientId& client);
    std::optional<EntityLink> entity_link_by_key(const std::string& external_key);
    void save_entity_link(const EntityLink& link);

    std::optional<ContactRow> contact_by_email(const std::string& email);
    std::optional<ContactRow> contact_by_id(const ContactId& contact);
    void save_contact(const ContactRow& contact);
    /// Rewrites the email of a contact after the portal accepted the change.
    void change_contact_email(const ContactId& contact, const std::string& new_email);

    std::vector<PersonRow> people(const ConnectorName& connector, const ClientId& client);
    void save_person(const PersonRow& person);
    /// Removes person rows of this client whose role is not in `roles` (the spouse left the export).
    void remove_people_except(const ConnectorName& connector, const ClientId& client, const std::set<PersonRole>& roles);
    /// Clients still in their export with a person whose usable address is `email`.
    std::vector<std::pair<ConnectorName, ClientId>> clients_naming(const std::string& email);
    /// A client still in its export with a person linked to `contact` (the first, by connector and id).
    std::optional<std::pair<ConnectorName, ClientId>> client_of_contact(const ContactId& contact);
    /// How many persons (of any client) are linked to `contact`.
    std::int64_t people_linked_to(const ContactId& contact);

    std::optional<GroupId> group(const std::string& name);
    void save_group(const std::string& name, const GroupId& group);
    std::optional<FolderId> folder(const EntityId& entity, const std::string& path);
    void save_folder(const EntityId& entity, const std::string& path, const FolderId& folder);
    std::set<std::string> folder_paths(const EntityId& entity);

    std::set<Grant> grants(const ConnectorName& connector, const ClientId& client);
    void save_grant(const ConnectorName& connector, const ClientId& client, const Grant& grant);
    void delete_grant(const ConnectorName& connector, const ClientId& client, const Grant& grant);
    /// Whether another client's grant gives `contact` the same kind and target (a shared group).
    bool grant_held_elsewhere(const ConnectorName& connector, const ClientId& client, const Grant& grant);
    /// How many grants of access `contact` holds, over all clients (file-request records excluded).
    std::int64_t grant_count(const ContactId& contact);

    // invitations
    /// One more invitation email went to `email`, now.
    void count_invitation(const std::string& email);
    /// Invited contacts neither read back nor invited since `before`, the longest waiting first.
    std::vector<ContactRow> contacts_to_check(SystemTime before, std::int64_t limit);
    void set_contact_checked(const std::string& email, ContactState state);
    std::vector<ContactRow> contacts_with_state(ContactState state);

    // review queue
    void open_review(const ConnectorName& connector, const ClientId& client, const std::string& reason);
    void set_review(const ConnectorName& connector, const ClientId& client, ReviewState state, const std::string& reason);
    void close_review(const ConnectorName& connector, const ClientId& client);
    std::optional<Review> review(const ConnectorName& connector, const ClientId& client);
    std::vector<Review> reviews();

    // outbox
    /// Appends operations in order; returns their ids. Call inside a transaction with the
    /// snapshot changes that caused them.
    std::vector<OperationId> enqueue(const CycleId& cycle, const std::vector<NewOperation>& operations);
    /// Pending and in-flight operations, oldest first.
    std::vector<OutboxRow> open_operations();
    std::set<std::pair<ConnectorName, ClientId>> clients_with_open_operations();
    void mark_in_flight(const OperationId& operation);
    /// Takes back a mark of an operation that was never sent (marked ahead, then the cycle stopped):
    /// it returns to `before` with its attempt uncounted. Only an operation still in flight changes.
    void unmark_in_flight(const OperationId& operation, OutboxState before);
    void mark_done(const OperationId& operation);
    void mark_failed(const OperationId& operation, const std::string& error);
    /// Open operations of a client that can no longer run (a prerequisite failed): failed with `reason`.
    void supersede_open(const ConnectorName& connector, const ClientId& client, const std::string& reason);
    std::map<std::string, std::int64_t> outbox_counts();
    /// Every operation of one client, newest first.
    std::vector<OutboxRow> client_operations(const ConnectorName& connector, const ClientId& client,
                                             std::int64_t limit);

    // audit
    void audit(const AuditEntry& entry);
    std::vector<AuditRecord> audit_trail(std::int64_t limit);
    /// Oldest first; `client` narrows it to one client; `since` to entries at or after that time.
    std::vector<AuditRecord> audit_records(const std::optional<std::pair<ConnectorName, ClientId>>& client,
                                           std::optional<SystemTime> since);

    // status
    /// `expired_before`: an invitation sent before then and not accepted shows as "expired".
    std::vector<PersonStatus> person_statuses(std::optional<SystemTime> expired_before = std::nullopt);

private:
    Store(sqlite::Database db, const Clock& clock) : db_(std::move(db)), clock_(&clock) {}
    [[nodiscard]] std::int64_t now() const { return to_unix_seconds(clock_->now()); }

    /// A new idempotency key: this process's random prefix and a count, unique without drawing
    /// random bytes for every operation.
    std::string next_idempotency_key();

    sqlite::Database db_;
    const Clock* clock_;
    std::string install_id_;
    std::string key_prefix_;        // random, drawn again when the count wraps
    std::uint32_t keys_drawn_ = 0;  // keys made under key_prefix_
};

}  // namespace taxsync::store
