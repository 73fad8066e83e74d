#include "engine/engine.hpp"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <variant>

#include "core/digest.hpp"
#include "core/string_index.hpp"
#include "core/text.hpp"
#include "engine/executor.hpp"
#include "engine/store_lock.hpp"
#include "mapping/desired.hpp"
#include "mapping/planner.hpp"
#include "store/durability.hpp"

namespace taxsync::engine {

std::string_view to_string(Mode mode) {
    switch (mode) {
        case Mode::Apply: return "apply";
        case Mode::Plan: return "plan";
        case Mode::Stage: return "stage";
    }
    return "plan";
}

std::string_view to_string(RemovalPolicy policy) {
    switch (policy) {
        case RemovalPolicy::Preserve: return "preserve";
        case RemovalPolicy::Revoke: return "revoke";
        case RemovalPolicy::Archive: return "archive";
    }
    return "preserve";
}

std::string_view to_string(ClientChange change) {
    switch (change) {
        case ClientChange::Added: return "new";
        case ClientChange::Changed: return "changed";
        case ClientChange::Unchanged: return "retry";
        case ClientChange::Resumed: return "resumed";
        case ClientChange::Removed: return "removed";
        case ClientChange::Reminder: return "reminder";
    }
    return "new";
}

std::size_t CycleReport::planned_invitations() const {
    std::size_t count = 0;
    for (const PlannedClient& client : plan) {
        count += static_cast<std::size_t>(std::count_if(client.actions.begin(), client.actions.end(), mapping::sends_invitation));
    }
    return count;
}

bool CycleReport::has_row_errors() const {
    return std::any_of(problems.begin(), problems.end(),
                       [](const connectors::Problem& p) { return p.severity == connectors::Severity::Error; });
}

std::size_t CycleReport::planned_revocations() const {
    std::size_t count = 0;
    for (const PlannedClient& client : plan) {
        count += static_cast<std::size_t>(std::count_if(client.actions.begin(), client.actions.end(), mapping::removes_access));
    }
    return count;
}

bool CycleReport::has_problems() const {
    return has_row_errors() || !failures.empty() || stopped.has_value() || held.has_value();
}

namespace {

using ClientKey = std::pair<ConnectorName, ClientId>;

std::string severity_text(connectors::Severity severity) {
    return severity == connectors::Severity::Error ? "error" : "warning";
}

std::string applied_hash(const std::string& content_hash, const std::string& rules_fingerprint) {
    return sha256_hex(content_hash + ":" + rules_fingerprint);
}

// The person rows mirror the export; an existing link to a contact is kept, so the planner can
// tell that an address changed.
void sync_people(store::Store& store, const TaxClient& client) {
    std::map<PersonRole, store::PersonRow> existing;
    for (auto& row : store.people(client.connector, client.id)) existing.emplace(row.role, std::move(row));
    std::set<PersonRole> roles;
    for (const Person& person : client.people) {
        store::PersonRow row;
        if (const auto found = existing.find(person.role); found != existing.end()) row = found->second;
        row.connector = client.connector;
        row.client = client.id;
        row.role = person.role;
        row.display_name = person.display_name();
        row.email = person.email;
        row.email_status = person.email_status;
        store.save_person(row);
        roles.insert(person.role);
    }
    store.remove_people_except(client.connector, client.id, roles);
}

// True when the portal has a contact for the address (as far as the store knows).
bool portal_has_contact(store::Store& store, const std::string& email) {
    const auto contact = store.contact_by_email(email);
    return contact && contact->contact;
}

mapping::KnownState known_state(store::Store& store, const ConnectorName& connector, const ClientId& client) {
    mapping::KnownState known;
    if (const auto link = store.entity_link(connector, client)) {
        known.entity_linked = true;
        known.entity_name = link->name;
        known.folders = store.folder_paths(link->entity);
    }
    std::map<ContactId, std::optional<store::ContactRow>> contacts;
    const auto contact = [&](const ContactId& id) -> const std::optional<store::ContactRow>& {
        auto found = contacts.find(id);
        if (found == contacts.end()) found = contacts.emplace(id, store.contact_by_id(id)).first;
        return found->second;
    };
    const auto people = store.people(connector, client);
    for (const store::PersonRow& person : people) {
        if (!person.contact) continue;
        const auto& row = contact(*person.contact);
        if (!row) continue;
        const auto ours = std::count_if(people.begin(), people.end(),
                                        [&](const store::PersonRow& p) { return p.contact == person.contact; });
        known.linked[person.role] = {row->email, row->first_name, row->last_name, row->origin == store::Origin::Adopted,
                                     store.people_linked_to(*person.contact) > ours};
    }
    for (const store::Grant& grant : store.grants(connector, client)) {
        const auto& row = contact(grant.contact);
        if (!row) continue;
        known.grants.insert({row->email, std::string(store::to_string(grant.kind)), grant.target, grant.access});
    }
    return known;
}

/// The engine's end of a read: each client is compared with the snapshot and written to the store
/// as it arrives, inside the cycle's transaction, each file under a savepoint so that a file found
/// unreadable at its end is undone whole. Per client only its id, the stored content hash and
/// what this read did with it are kept; the records of new and changed clients are kept for the
/// planner up to a bound (beyond it the planner loads them from the store).
class StoreIntake final : public connectors::ClientSink {
public:
    struct Counts {
        std::size_t clients = 0;
        std::size_t added = 0;
        std::size_t changed = 0;
    };

    StoreIntake(store::Store& store, const CycleId& cycle, const ConnectorName& connector,
                std::map<ClientKey, TaxClient>& kept, std::map<ClientKey, ClientChange>& changes)
        : store_(store), cycle_(cycle), connector_(connector), kept_(kept), changes_(changes) {
        store_.visit_snapshot(connector_, [this](const store::SnapshotEntry& row) {
            Known& known = known_.try_emplace(row.client).first;
            known.stored = true;
            known.back_from_absence = row.absent_count > 0 || row.removed;
            known.content_hash.assign(row.content_hash);
        });
    }

    void begin_file(const std::filesystem::path& /*file*/) override {
        ++file_;
        displaced_.clear();
        savepoint_.emplace(store_.db(), "intake_file");
    }

    void accept(const TaxClient& client) override {
        const std::string hash = client.content_hash();
        Known& known = known_.try_emplace(client.id.value()).first;
        const bool given_before = known.read.file != kNotRead;  // by an older file of this read
        if (given_before) displaced_.emplace_back(client.id.value(), known.read);
        const ClientChange change = !known.stored                  ? ClientChange::Added
                                    : !known.content_hash.is(hash) ? ClientChange::Changed
                                                                   : ClientChange::Unchanged;
        // A client exported as before costs no write: its record and people rows already say this.
        // One back from absence is written, which clears its absence count; so is one whose row an
        // older file of this read replaced.
        const bool write =
            change != ClientChange::Unchanged || known.back_from_absence || (given_before && known.read.written);
        known.read = ReadMark{file_, change, write};
        if (write) {
            store_.upsert_client(client, hash, cycle_);
            sync_people(store_, client);
        }
        if (change == ClientChange::Unchanged && !given_before) return;
        const ClientKey key{connector_, client.id};
        if (change == ClientChange::Unchanged) {
            forget_change(key);
            return;
        }
        changes_[key] = change;
        if (const auto found = kept_.find(key); found != kept_.end()) {
            found->second = client;
        } else if (kept_.size() < kMostKept) {
            kept_.emplace(key, client);
        }
    }

    void end_file(bool taken) override {
        if (taken) {
            savepoint_->release();
            savepoint_.reset();
            return;
        }
        savepoint_->roll_back();
        savepoint_.reset();
        // The store is as before the file; so must be what this read remembers of its clients.
        for (auto& entry : known_.entries()) {
            if (entry.value.read.file != file_) continue;
            forget_change(ClientKey{connector_, ClientId(entry.key)});
            entry.value.read = ReadMark{};  // a client new in the file is left neither stored nor read: unused
        }
        for (const auto& [id, mark] : displaced_) {
            known_.try_emplace(id).first.read = mark;
            if (mark.change != ClientChange::Unchanged) changes_[ClientKey{connector_, ClientId(id)}] = mark.change;
        }
        displaced_.clear();
    }

    [[nodiscard]] Counts counts() const {
        Counts counts;
        for (const auto& entry : known_.entries()) {
            const ReadMark& read = entry.value.read;
            if (read.file == kNotRead) continue;
            ++counts.clients;
            if (read.change == ClientChange::Added) ++counts.added;
            if (read.change == ClientChange::Changed) ++counts.changed;
        }
        return counts;
    }

    /// Stored clients that no file of this read gave.
    [[nodiscard]] std::vector<ClientId> absent() const {
        std::vector<ClientId> absent;
        for (const auto& entry : known_.entries()) {
            if (entry.value.stored && entry.value.read.file == kNotRead) absent.emplace_back(entry.key);
        }
        return absent;
    }

private:
    static constexpr std::size_t kNotRead = 0;  // files are counted from 1
    /// Records of new and changed clients kept in memory for the planner and the apply (a first
    /// import of a large firm loads the rest from the store instead of holding the whole export):
    /// a few megabytes, which spare parsing each record back from the store once or twice.
    static constexpr std::size_t kMostKept = 10000;

    /// What this read did with a client.
    struct ReadMark {
        std::size_t file = kNotRead;  // the file that gave it last
        ClientChange change = ClientChange::Unchanged;
        bool written = false;
    };
    /// A content hash (64 hex digits) held inline: one allocation fewer per client and read.
    class StoredHash {
    public:
        void assign(std::string_view hash) {
            length_ = std::min(hash.size(), digits_.size());
            std::copy_n(hash.begin(), length_, digits_.begin());
            whole_ = length_ == hash.size();
        }
        [[nodiscard]] bool is(std::string_view hash) const {
            return whole_ && std::string_view(digits_.data(), length_) == hash;
        }

    private:
        std::array<char, 64> digits_{};
        std::size_t length_ = 0;
        bool whole_ = false;  // false for a client new in this read, or a stored hash of another shape
    };

    struct Known {
        StoredHash content_hash;  // as stored before this read
        bool stored = false;
        bool back_from_absence = false;
        ReadMark read;
    };

    void forget_change(const ClientKey& key) {
        changes_.erase(key);
        kept_.erase(key);
    }

    store::Store& store_;
    const CycleId& cycle_;
    const ConnectorName& connector_;
    std::map<ClientKey, TaxClient>& kept_;
    std::map<ClientKey, ClientChange>& changes_;
    StringIndex<Known> known_;
    std::size_t file_ = kNotRead;
    std::optional<sqlite::Savepoint> savepoint_;
    /// What the current file replaced of older files' rows, to put back if it is undone.
    std::vector<std::pair<std::string, ReadMark>> displaced_;
};

std::string summary_json(const CycleReport& report) {
    std::size_t added = 0;
    std::size_t changed = 0;
    for (const auto& connector : report.connectors) {
        added += connector.added;
        changed += connector.changed;
    }
    return nlohmann::json{{"clients_added", added},
                          {"clients_changed", changed},
                          {"clients_planned", report.plan.size()},
                          {"operations_planned", report.operations_planned},
                          {"operations_done", report.operations_done},
                          {"operations_failed", report.operations_failed},
                          {"operations_left", report.operations_left},
                          {"invitations_sent", report.invitations_sent},
                          {"problems", report.problems.size()},
                          {"invitations_planned", report.planned_invitations()},
                          {"revocations_planned", report.planned_revocations()},
                          {"activations", report.activations},
                          {"reviews", report.reviews.size()},
                          {"held", report.held.value_or("")},
                          {"stopped", report.stopped ? report.stopped->message : ""}}
        .dump();
}

}  // namespace

struct Engine::Intake {
    /// The client's record as this cycle read it when it was kept, else as the store has it.
    [[nodiscard]] std::optional<TaxClient> record(store::Store& store, const ClientKey& key) const {
        if (const auto kept = read.find(key); kept != read.end()) return kept->second;
        return store.load_client(key.first, key.second);
    }

    std::map<ClientKey, TaxClient> read;
    std::map<ClientKey, ClientChange> changes;
    /// The actions of the operations this cycle planned or resumed, by operation id: the apply
    /// takes them from here instead of parsing each one's copy in the outbox again.
    std::map<std::int64_t, mapping::Action> planned;
};

Engine::Engine(store::Store& store, portal::Portal& portal, std::vector<std::unique_ptr<connectors::Connector>>& connectors,
               mapping::MappingRules rules, Clock& clock, const Logger& log, EngineOptions options)
    : store_(store),
      portal_(portal),
      connectors_(connectors),
      rules_(std::move(rules)),
      rules_fingerprint_(rules_.fingerprint()),
      clock_(clock),
      log_(log),
      options_(options) {}

CycleReport Engine::run_cycle(Mode mode, std::string_view trigger, std::stop_token stop) {
    CycleReport report;
    report.mode = mode;
    report.started_at = clock_.now();
    Intake intake;
    if (mode != Mode::Apply) {
        // The same code as a real cycle, in a transaction that is never committed.
        {
            sqlite::Transaction scratch(store_.db());
            const CycleId cycle = store_.begin_cycle("plan", trigger);
            read_sources(store_, cycle, report, intake);
            plan(cycle, report, intake);
        }
        report.finished_at = clock_.now();
        if (mode == Mode::Stage) record_stage(report, trigger);
        return report;
    }

    const CycleId cycle = store_.begin_cycle("apply", trigger);
    report.cycle = cycle;
    try {
        {
            // Snapshot and outbox in one transaction: the operations exist exactly when the
            // snapshot that caused them does.
            sqlite::Transaction transaction(store_.db());
            read_sources(store_, cycle, report, intake);
            plan(cycle, report, intake);
            transaction.commit();
        }
        if (report.held) {
            log_.warn("cycle {} held by the safety gate: {}. Nothing new is sent until `taxsync approve {}` (or "
                      "`taxsync reject {}`)",
                      cycle, *report.held, cycle, cycle);
        }
        execute(report, intake, stop);
        check_activations(report, stop);
    } catch (const sqlite::Error& error) {
        store_.finish_cycle(cycle, store::CycleOutcome::Failed, nlohmann::json{{"error", error.what()}}.dump());
        throw;
    }
    report.finished_at = clock_.now();
    const store::CycleOutcome outcome = report.cancelled        ? store::CycleOutcome::Interrupted
                                        : report.stopped        ? store::CycleOutcome::Failed
                                        : report.held           ? store::CycleOutcome::Held
                                        : report.has_problems() ? store::CycleOutcome::Problems
                                                                : store::CycleOutcome::Ok;
    store_.finish_cycle(cycle, outcome, summary_json(report));
    return report;
}

void Engine::record_stage(CycleReport& report, std::string_view trigger) {
    // Staging keeps what it would have done, so `taxsync status` and `explain` can show it.
    sqlite::Transaction transaction(store_.db());
    const CycleId cycle = store_.begin_cycle("plan", trigger);
    std::vector<store::StagedOperation> staged;
    for (const PlannedClient& client : report.plan) {
        for (const mapping::Action& action : client.actions) {
            staged.push_back({client.connector, client.client, mapping::kind_of(action), mapping::describe(action)});
        }
    }
    store_.record_staged(cycle, staged);
    store_.finish_cycle(cycle, report.held ? store::CycleOutcome::Held : store::CycleOutcome::Ok, summary_json(report));
    transaction.commit();
    report.cycle = cycle;
}

void Engine::read_sources(store::Store& store, const CycleId& cycle, CycleReport& report, Intake& intake) {
    for (const auto& connector : connectors_) {
        ConnectorSummary summary;
        summary.name = connector->name();
        auto scanned = connector->scan();
        if (scanned.has_error()) {
            summary.note = scanned.error().message;
            report.problems.push_back({"", 0, connectors::Severity::Error, connector->name().value() + ": " + scanned.error().message});
            log_.error("connector {}: {}", connector->name(), scanned.error().message);
            report.connectors.push_back(std::move(summary));
            continue;
        }
        const connectors::SourceState& state = *scanned;
        summary.waiting_files = state.waiting.size();
        if (store.source_fingerprint(connector->name()) == state.fingerprint) {
            summary.note = "unchanged since the last read";
            store.count_absences_again(connector->name());
            report.connectors.push_back(std::move(summary));
            continue;
        }
        StoreIntake intake_sink(store, cycle, connector->name(), intake.read, intake.changes);
        connectors::ReadSummary read = connector->stream(state, intake_sink);
        const StoreIntake::Counts counts = intake_sink.counts();
        summary.read = true;
        summary.files = read.files.size();
        summary.clients = counts.clients;
        summary.added = counts.added;
        summary.changed = counts.changed;
        if (read.complete) {
            const std::vector<ClientId> absent = intake_sink.absent();
            store.count_absent(connector->name(), absent);
            summary.absent = absent.size();
        } else {
            summary.note = "a file could not be read whole; it will be read again, and absences are not counted";
        }

        std::vector<store::FileRecord> files;
        for (const auto& file : read.files) {
            files.push_back({file.path.string(), file.content_hash, file.encoding, static_cast<std::int64_t>(file.rows),
                             static_cast<std::int64_t>(file.imported), file.failed});
        }
        std::vector<store::ProblemRecord> problems;
        for (const auto& problem : read.problems) {
            problems.push_back({connector->name().value(), problem.file, static_cast<std::int64_t>(problem.line),
                                severity_text(problem.severity), problem.reason});
            (problem.severity == connectors::Severity::Error ? log_.warn("{}:{}: {}", problem.file, problem.line, problem.reason)
                                                             : log_.debug("{}:{}: {}", problem.file, problem.line, problem.reason));
            report.problems.push_back(problem);
        }
        // An incomplete read stores no fingerprint, so the next cycle reads the source again.
        store.record_read(connector->name(), read.complete ? state.fingerprint : std::string(), cycle, files, problems);
        log_.info("connector {}: read {} file(s), {} client(s): {} new, {} changed, {} absent, {} problem(s)",
                  connector->name(), summary.files, summary.clients, summary.added, summary.changed, summary.absent,
                  read.problems.size());
        report.connectors.push_back(std::move(summary));
    }
}

void Engine::plan(const CycleId& cycle, CycleReport& report, Intake& intake) {
    // Operations left by an interrupted cycle, or approved at the gate, come first, in their order.
    const auto open = store_.open_operations();
    std::map<ClientKey, std::size_t> resumed_index;
    for (const store::OutboxRow& row : open) {
        const ClientKey key{row.connector, row.client};
        auto [at, inserted] = resumed_index.try_emplace(key, report.plan.size());
        if (inserted) {
            PlannedClient planned;
            planned.connector = row.connector;
            planned.client = row.client;
            planned.change = ClientChange::Resumed;
            if (auto client = store_.load_client(row.connector, row.client)) planned.display_name = client->display_name();
            report.plan.push_back(std::move(planned));
        }
        if (auto action = mapping::action_from_json(row.kind, row.payload_json); action.has_value()) {
            intake.planned.emplace(row.id.value(), *action);
            report.plan[at->second].actions.push_back(std::move(action).value());
        }
        ++report.operations_planned;
    }
    // Work held by an earlier cycle is planned again below, from the newest export.
    store_.replace_held(cycle);
    const std::size_t first_new = report.plan.size();

    mapping::PlanContext context(options_.policy.removal != RemovalPolicy::Preserve);
    std::size_t known_clients = 0;
    std::size_t changed_clients = 0;
    // Under the rules that settled the store, a client with a current applied mark that is not
    // absent has nothing to plan: only the others are read. Otherwise (new rules, or a store from
    // an older taxsync) every client is looked at once, and marks of other rules are cleared.
    const bool settled = store_.settled_rules() == rules_fingerprint_;
    std::map<ClientKey, store::Review> reviews;
    for (store::Review& review : store_.reviews()) {
        ClientKey key{review.connector, review.client};
        reviews.emplace(std::move(key), std::move(review));
    }
    const Enqueue enqueue = [&](const ClientKey& key, std::string display_name, ClientChange change,
                             std::vector<mapping::Action> actions, std::vector<std::string> notes) {
        std::vector<store::NewOperation> operations;
        operations.reserve(actions.size());
        for (const mapping::Action& action : actions) {
            operations.push_back({key.first, key.second, mapping::kind_of(action), mapping::to_json_text(action)});
        }
        const std::vector<OperationId> ids = store_.enqueue(cycle, operations);
        for (std::size_t i = 0; i < ids.size(); ++i)
            intake.planned.emplace_hint(intake.planned.end(), ids[i].value(), actions[i]);
        report.operations_planned += actions.size();
        report.plan.push_back({key.first, key.second, std::move(display_name), change, std::move(actions), std::move(notes)});
    };

    // Clients not read below (settled ones) are known, neither new nor removed: counted in SQL,
    // and only when the gate's share of changed clients needs the figure.
    std::int64_t visited_not_removed = 0;
    for (const auto& connector : connectors_) {
        const auto rows = settled ? store_.unsettled(connector->name()) : store_.snapshot(connector->name());
        for (const auto& [id, row] : rows) {
            if (!row.removal) ++visited_not_removed;
            const ClientKey key{connector->name(), id};
            const auto change = intake.changes.find(key);
            const ClientChange how = change != intake.changes.end() ? change->second : ClientChange::Unchanged;
            if (how != ClientChange::Added && !row.removal) ++known_clients;
            if (!settled && row.applied_hash &&
                *row.applied_hash != applied_hash(row.content_hash, rules_fingerprint_)) {
                store_.clear_applied(key.first, key.second);
            }
            if (resumed_index.count(key) != 0) continue;
            if (const auto found = reviews.find(key); found != reviews.end()) {
                const store::Review* review = &found->second;
                if (review->state == store::ReviewState::Open && row.applied_hash != applied_hash(row.content_hash, rules_fingerprint_)) {
                    report.reviews.push_back(key.first.value() + ":" + key.second.value() + ": " + review->reason);
                }
                continue;
            }
            if (row.absent_count > 0) {
                if (row.removal || row.absent_count < options_.policy.absences_before_removal) continue;
                auto actions = removal_actions(key);
                if (options_.policy.removal != RemovalPolicy::Preserve) ++changed_clients;
                if (actions.empty()) {
                    store_.mark_removed(key.first, key.second, to_string(options_.policy.removal));
                    log_.info("{}:{} has been missing from its export for {} cycles; removal policy {}: {}", key.first,
                              key.second, row.absent_count, to_string(options_.policy.removal),
                              options_.policy.removal == RemovalPolicy::Preserve ? "its portal access is kept"
                                                                                   : "nothing left to take back");
                    continue;
                }
                std::string name;
                if (auto client = store_.load_client(key.first, key.second)) name = client->display_name();
                enqueue(key, std::move(name), ClientChange::Removed, std::move(actions),
                        {"missing from the export for " + std::to_string(row.absent_count) + " cycles (removal policy " +
                         std::string(to_string(options_.policy.removal)) + ")"});
                continue;
            }
            if (how == ClientChange::Changed) ++changed_clients;
            const std::string expected = applied_hash(row.content_hash, rules_fingerprint_);
            if (row.applied_hash == expected) continue;

            const std::optional<TaxClient> client = intake.record(store_, key);
            if (!client) continue;
            const mapping::DesiredClient desired = mapping::desire(*client, rules_);
            auto actions = mapping::plan_client(desired, known_state(store_, key.first, key.second),
                                                [&](const std::string& email) { return portal_has_contact(store_, email); },
                                                context);
            if (actions.empty()) {
                store_.set_applied(key.first, key.second, expected);
                continue;
            }
            enqueue(key, client->display_name(), how, std::move(actions), desired.notes);
        }
    }
    if (settled && changed_clients > 0 && options_.policy.limits.max_changed_percent > 0) {
        std::int64_t not_removed = 0;
        for (const auto& connector : connectors_) not_removed += store_.known_clients(connector->name());
        known_clients += static_cast<std::size_t>(std::max<std::int64_t>(0, not_removed - visited_not_removed));
    }
    if (!settled) store_.set_settled_rules(rules_fingerprint_);
    plan_reminders(report, resumed_index, reviews, enqueue);
    apply_gate(cycle, report, first_new, known_clients, changed_clients);
}

std::vector<mapping::Action> Engine::removal_actions(const ClientKey& key) {
    if (options_.policy.removal == RemovalPolicy::Preserve) return {};
    const mapping::KnownState known = known_state(store_, key.first, key.second);
    std::vector<std::string> deactivate;
    if (options_.policy.removal == RemovalPolicy::Archive) {
        // A contact whose every grant belongs to this client is left with nothing once they are revoked.
        std::map<std::string, std::int64_t> here;
        for (const mapping::KnownGrant& grant : known.grants) {
            if (grant.kind != "file_request") ++here[grant.email];
        }
        for (const auto& [email, count] : here) {
            const auto contact = store_.contact_by_email(email);
            if (contact && contact->contact && contact->state != store::ContactState::Deactivated &&
                store_.grant_count(*contact->contact) == count) {
                deactivate.push_back(email);
            }
        }
    }
    return mapping::plan_removal(known, deactivate);
}

void Engine::plan_reminders(CycleReport& report, const std::map<ClientKey, std::size_t>& busy,
                            const std::map<ClientKey, store::Review>& reviews, const Enqueue& enqueue) {
    const InvitationPolicy& policy = options_.policy.invitations;
    if (policy.reinvite_after.count() <= 0 || policy.max_reinvites <= 0) return;
    const SystemTime cutoff = clock_.now() - policy.reinvite_after;
    std::set<ClientKey> planned;
    for (const PlannedClient& client : report.plan) planned.insert({client.connector, client.client});
    for (const store::ContactRow& contact : store_.contacts_with_state(store::ContactState::Invited)) {
        if (!contact.contact || !contact.invited_at || *contact.invited_at > cutoff) continue;
        if (contact.invitations > policy.max_reinvites) continue;  // the first invitation plus the reminders
        const auto owner = store_.client_of_contact(*contact.contact);
        if (!owner || busy.count(*owner) != 0 || planned.count(*owner) != 0) continue;
        if (reviews.count(*owner) != 0) continue;  // read once per cycle by plan(); planning opens none
        const auto client = store_.load_client(owner->first, owner->second);
        if (!client) continue;
        std::string message;
        for (const mapping::DesiredContact& desired : mapping::desire(*client, rules_).contacts) {
            if (desired.email == contact.email) message = desired.invitation_message;
        }
        enqueue(*owner, client->display_name(), ClientChange::Reminder,
                {mapping::InviteContact{contact.email, message, true}},
                {"invited " + format_utc(*contact.invited_at) + ", not accepted yet (reminder " +
                 std::to_string(contact.invitations) + " of " + std::to_string(policy.max_reinvites) + ")"});
        planned.insert(*owner);
    }
}

void Engine::apply_gate(const CycleId& cycle, CycleReport& report, std::size_t first_new, std::size_t known_clients,
                        std::size_t changed_clients) {
    std::size_t invitations = 0;
    std::size_t revocations = 0;
    for (std::size_t i = first_new; i < report.plan.size(); ++i) {
        for (const mapping::Action& action : report.plan[i].actions) {
            if (mapping::sends_invitation(action)) ++invitations;
            if (mapping::removes_access(action)) ++revocations;
        }
    }
    const SafetyLimits& limits = options_.policy.limits;
    std::vector<std::string> over;
    if (limits.max_invitations > 0 && invitations > limits.max_invitations) {
        over.push_back(std::to_string(invitations) + " invitations (limit " + std::to_string(limits.max_invitations) + ")");
    }
    if (limits.max_revocations > 0 && revocations > limits.max_revocations) {
        over.push_back(std::to_string(revocations) + " revocations (limit " + std::to_string(limits.max_revocations) + ")");
    }
    if (limits.max_changed_percent > 0 && known_clients >= limits.percent_needs_clients && known_clients > 0) {
        const double percent = 100.0 * static_cast<double>(changed_clients) / static_cast<double>(known_clients);
        if (percent > limits.max_changed_percent) {
            over.push_back(fmt::format("{} of {} known clients changed or removed ({:.0f}%, limit {:.0f}%)",
                                       changed_clients, known_clients, percent, limits.max_changed_percent));
        }
    }
    if (over.empty()) return;
    std::string reason;
    for (const std::string& item : over) reason += (reason.empty() ? "" : "; ") + item;
    report.held = reason;
    store_.hold_cycle(cycle, reason);
}

// Up to `concurrency` operations are in flight at once, each on a worker thread with its own
// adapter. Whenever some finish, the coordinator (this thread) records their outcomes and picks the
// next operations that may start. An operation is handed to a worker only once its in-flight mark
// is on disk. The marks are made ahead: whenever fewer than half a window of marked operations
// wait, the coordinator marks the next window of them (the remaining steps of the clients in
// outbox order) in one transaction, one fsync, so most operations find their mark already durable
// when their turn comes. A mark says "may have reached the portal": every step looks its own work
// up (or replays its idempotency key) before acting again, so a crash after a mark made ahead
// costs a look-up, never a second invitation. Marks of operations the cycle never sent (it
// stopped) are taken back at its end. A client has at most one
// operation in flight, so its steps stay in order and a failed step still drops the ones after
// it. Operations of different clients that touch the same contact run in outbox order, as they
// would one at a time (a client may share a contact an earlier client's step creates), and a
// group not known yet is created by one operation at a time. The threads take turns on the store
// (PortalOutsideStoreLock); what an operation records commits as it finishes and rides on the
// next fsync, as with one operation at a time (store/durability.hpp).
namespace {

/// The contacts (by address) an operation reads or changes, which other clients may share.
std::vector<std::string> contacts_touched(const mapping::Action& action) {
    std::vector<std::string> out;
    const auto contact = [&](const std::string& email) { out.push_back(to_lower_ascii(email)); };
    if (const auto email = mapping::contact_email(action)) contact(*email);
    if (const auto* a = std::get_if<mapping::UpdateContact>(&action)) contact(a->old_email);
    if (const auto* a = std::get_if<mapping::ShareEntity>(&action)) contact(a->email);
    if (const auto* a = std::get_if<mapping::SetFolderAccess>(&action)) contact(a->email);
    if (const auto* a = std::get_if<mapping::AddToGroup>(&action)) contact(a->email);
    if (const auto* a = std::get_if<mapping::RevokeAccess>(&action)) contact(a->email);
    if (const auto* a = std::get_if<mapping::RequestFiles>(&action)) {
        for (const mapping::FileRequestRecipient& recipient : a->recipients) contact(recipient.email);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

/// The group an operation may create (or remove a member from), if any.
std::optional<std::string> group_touched(const mapping::Action& action) {
    if (const auto* a = std::get_if<mapping::AddToGroup>(&action)) return a->group;
    if (const auto* a = std::get_if<mapping::RevokeAccess>(&action); a != nullptr && a->kind == "group")
        return a->target;
    return std::nullopt;
}

/// How many operations are marked in flight ahead of their turn, at least (32 per worker above 32
/// workers): one fsync for half that many, while the operations before them are at the portal.
/// Each commit holds the store while the workers wait to record; fewer, larger ones hold it less.
/// A cycle that stops takes its unsent marks back; after a crash, each costs a look-up on resuming.
constexpr std::size_t kMarkAheadWindow = 1024;
/// An outcome group is committed once this many operations have finished.
constexpr std::size_t kOutcomeGroupOperations = 512;
/// The longest a finished operation's outcome waits for its group's commit (see OutcomeGroup).
/// Each commit writes every page the group changed to the WAL while the workers wait for the
/// store. New rows of the indexes by email and by contact land on scattered pages, so a larger
/// group writes each such page once for many operations.
constexpr auto kOutcomesCommitAfter = std::chrono::milliseconds(250);

/// The store work of the operations under way (what each step records, the coordinator's marks
/// and drops) goes into one open transaction on the shared connection, committed once
/// kOutcomeGroupOperations operations have finished or kOutcomesCommitAfter has passed: one commit
/// for many operations instead of several per operation. A client's next step runs on the same
/// connection and sees its previous step's rows before they are committed. A kill before a commit
/// leaves those operations in flight, and resuming them looks their work up, as after any crash.
class OutcomeGroup {
public:
    OutcomeGroup(sqlite::Database& db, const Clock& clock, std::size_t commit_every)
        : db_(db), clock_(clock), commit_every_(std::max<std::size_t>(1, commit_every)) {
        begin();
    }

    /// `finished` more operations recorded their outcomes: commits the group (and opens the next)
    /// when enough have, or when the oldest uncommitted one has waited long enough.
    void took_in(std::size_t finished) {
        waiting_ += finished;
        if (waiting_ >= commit_every_ || clock_.steady_now() - begun_ >= kOutcomesCommitAfter) {
            finish();
            begin();
        }
    }
    /// Commits the group, then marks the operations in flight in a commit that is on disk when this
    /// returns: one fsync for the marks and every outcome before them (SQLite refuses to change the
    /// sync level inside a transaction, hence two commits).
    void commit_with_marks(store::Store& store, const std::vector<OperationId>& operations) {
        finish();
        db_.exec("PRAGMA synchronous = FULL");
        begin();
        for (const OperationId& operation : operations) store.mark_in_flight(operation);
        finish();
        db_.exec("PRAGMA synchronous = NORMAL");
        begin();
    }
    /// Commits the group and opens no other. Not synced: the cycle's next full commit syncs it.
    void finish() {
        group_->commit();
        group_.reset();
    }

private:
    void begin() {
        group_.emplace(db_);
        waiting_ = 0;
        begun_ = clock_.steady_now();
    }

    sqlite::Database& db_;
    const Clock& clock_;
    std::size_t commit_every_;
    std::optional<sqlite::Transaction> group_;  // the group under way; rolled back if left uncommitted
    std::size_t waiting_ = 0;
    SteadyTime begun_;
};

/// Runs operations on one thread per adapter; with a single adapter, in the caller's thread.
class WorkerPool {
public:
    struct Finished {
        std::size_t index = 0;
        std::optional<Expected<StepOutcome>> result;
        std::exception_ptr error;  // a store failure, rethrown by the coordinator
    };

    WorkerPool(store::Store& store, const std::vector<portal::Portal*>& adapters, std::mutex& store_mutex, Clock& clock,
               const Logger& log)
        : store_(store), store_mutex_(store_mutex), clock_(clock), log_(log), inline_adapter_(*adapters.front()) {
        if (adapters.size() < 2) return;
        for (portal::Portal* adapter : adapters) {
            threads_.emplace_back([this, adapter](const std::stop_token& stop) { work(*adapter, stop); });
        }
    }
    ~WorkerPool() {
        {
            const std::scoped_lock lock(mutex_);
            for (std::jthread& thread : threads_) thread.request_stop();
        }
        work_ready_.notify_all();
    }
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;
    WorkerPool(WorkerPool&&) = delete;
    WorkerPool& operator=(WorkerPool&&) = delete;

    /// How many operations may wait for a worker beyond those running: a worker that finishes one
    /// starts the next at once, without waiting for the coordinator to hand it over.
    [[nodiscard]] std::size_t queue_depth() const { return threads_.size(); }

    /// Hands the operation (already marked in flight) to a worker. Call without the store lock.
    void submit(std::size_t index, const store::OutboxRow& row, const mapping::Action& action) {
        if (threads_.empty()) {
            Finished done{index, std::nullopt, nullptr};
            try {
                Executor executor(store_, inline_adapter_, clock_, log_);
                done.result = executor.apply(row, action);
            } catch (...) {
                done.error = std::current_exception();
            }
            finished_.push_back(std::move(done));
            return;
        }
        {
            const std::scoped_lock lock(mutex_);
            tasks_.push_back({index, &row, &action});
        }
        work_ready_.notify_one();
    }

    /// Waits until at least one operation has finished; returns every one finished so far.
    std::vector<Finished> wait_finished() {
        std::unique_lock lock(mutex_);
        if (!threads_.empty()) done_ready_.wait(lock, [&] { return !finished_.empty(); });
        return std::exchange(finished_, {});
    }

    /// Lets workers start waiting operations again after a failure paused them (see work()).
    void resume() {
        {
            const std::scoped_lock lock(mutex_);
            if (!paused_) return;  // nobody to wake: called on every round of the coordinator
            paused_ = false;
        }
        work_ready_.notify_all();
    }

    /// Takes back the operations no worker has started (the cycle is stopping); returns their indexes.
    std::vector<std::size_t> take_back_waiting() {
        const std::scoped_lock lock(mutex_);
        std::vector<std::size_t> out;
        for (const Task& task : tasks_) out.push_back(task.index);
        tasks_.clear();
        return out;
    }

private:
    struct Task {
        std::size_t index = 0;
        const store::OutboxRow* row = nullptr;
        const mapping::Action* action = nullptr;
    };

    void work(portal::Portal& adapter, const std::stop_token& stop) {
        while (true) {
            Task task;
            {
                std::unique_lock lock(mutex_);
                work_ready_.wait(lock, [&] { return (!tasks_.empty() && !paused_) || stop.stop_requested(); });
                if (tasks_.empty()) return;
                task = tasks_.front();
                tasks_.pop_front();
            }
            Finished done{task.index, std::nullopt, nullptr};
            {
                std::unique_lock store_lock(store_mutex_);
                try {
                    PortalOutsideStoreLock portal(adapter, store_lock);
                    Executor executor(store_, portal, clock_, log_);
                    done.result = executor.apply(*task.row, *task.action);
                } catch (...) {
                    done.error = std::current_exception();
                }
            }
            const bool failed = done.error || !done.result->has_value();
            bool wake = failed;
            {
                const std::scoped_lock lock(mutex_);
                finished_.push_back(std::move(done));
                // A failure may stop the cycle: nothing more starts until the coordinator has seen it.
                if (failed) paused_ = true;
                wake = wake || tasks_.size() <= threads_.size() / 2;
            }
            // While enough operations wait, the coordinator sleeps on: it takes the finished ones in
            // a batch when the queue runs low (always before it runs dry).
            if (wake) done_ready_.notify_one();
        }
    }

    store::Store& store_;
    std::mutex& store_mutex_;
    Clock& clock_;
    const Logger& log_;
    portal::Portal& inline_adapter_;
    std::mutex mutex_;
    std::condition_variable work_ready_;
    std::condition_variable done_ready_;
    std::deque<Task> tasks_;
    std::vector<Finished> finished_;
    bool paused_ = false;                // a failure waits for the coordinator
    std::vector<std::jthread> threads_;  // last: joined before the queues above go
};

}  // namespace

std::vector<portal::Portal*> Engine::prepare_workers() {
    const std::size_t wanted = std::max<std::size_t>(1, options_.concurrency);
    if (wanted > 1 && options_.make_portal) {
        while (worker_portals_.size() + 1 < wanted) {
            auto made = options_.make_portal();
            if (!made) break;
            worker_portals_.push_back(std::move(made));
        }
    }
    std::vector<portal::Portal*> adapters{&portal_};
    for (std::size_t i = 0; i + 1 < wanted && i < worker_portals_.size(); ++i)
        adapters.push_back(worker_portals_[i].get());
    return adapters;
}

void Engine::execute(CycleReport& report, Intake& intake, const std::stop_token& stop) {
    const auto rows = store_.open_operations();
    if (rows.empty()) return;
    const std::vector<portal::Portal*> adapters = prepare_workers();
    const std::size_t workers = adapters.size();
    log_.info("applying {} operation(s) for {} client(s), {} at a time", rows.size(), report.plan.size(), workers);

    // Each client's operations in outbox order; clients in the order of their first operation.
    // Each shared contact's operations in outbox order too, across clients.
    std::vector<Expected<mapping::Action>> actions;
    actions.reserve(rows.size());
    struct ClientQueue {
        ClientKey key;
        std::deque<std::size_t> rows;  // indexes into `rows`
    };
    std::list<ClientQueue> queues;
    std::map<ClientKey, std::list<ClientQueue>::iterator> queue_of;
    std::map<std::string, std::deque<std::size_t>> contact_queues;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const store::OutboxRow& row = rows[i];
        if (auto planned = intake.planned.extract(row.id.value())) {
            actions.emplace_back(std::move(planned.mapped()));
        } else {
            actions.push_back(mapping::action_from_json(row.kind, row.payload_json));
        }
        const ClientKey key{row.connector, row.client};
        auto found = queue_of.find(key);
        if (found == queue_of.end()) {
            queues.push_back({key, {}});
            found = queue_of.emplace(key, std::prev(queues.end())).first;
        }
        found->second->rows.push_back(i);
        if (actions.back().has_value()) {
            for (const std::string& email : contacts_touched(*actions.back())) contact_queues[email].push_back(i);
        }
    }
    intake.planned.clear();

    Executor executor(store_, portal_, clock_, log_);
    std::set<ClientKey> touched;
    std::set<ClientKey> failed;
    std::vector<bool> finished(rows.size(), false);
    const auto retired = [&](std::size_t i) {
        return finished[i] || failed.count({rows[i].connector, rows[i].client}) != 0;
    };
    // The first operation on this address (lower case) still to run, if any; the retired ones
    // before it are dropped on the way.
    const auto first_waiting = [&](const std::string& email) -> std::optional<std::size_t> {
        const auto found = contact_queues.find(email);
        if (found == contact_queues.end()) return std::nullopt;
        auto& waiting = found->second;
        while (!waiting.empty() && retired(waiting.front())) waiting.pop_front();
        return waiting.empty() ? std::nullopt : std::optional<std::size_t>(waiting.front());
    };
    // Whether every earlier operation on each contact this one touches has run (or was dropped).
    const auto contacts_ready = [&](std::size_t i) {
        for (const std::string& email : contacts_touched(*actions[i])) {
            if (const auto first = first_waiting(email); first && *first != i) return false;
        }
        return true;
    };
    // Whether another client's step on one of this client's addresses is still to run.
    const auto shares_waiting_contact = [&](const TaxClient& client) {
        return std::any_of(client.people.begin(), client.people.end(),
                           [&](const Person& person) { return first_waiting(to_lower_ascii(person.email)).has_value(); });
    };
    // A client is done when nothing is left to plan for it: then it is marked applied. `early`: its
    // last step has just finished while other clients' steps run. It is then left for the cycle's
    // end (returns false) if it is missing from its export, or if another client's step could still
    // change what is left for it.
    mapping::PlanContext settle_context(options_.policy.removal != RemovalPolicy::Preserve);
    const auto settle = [&](const ClientKey& key, bool early) {
        const auto snapshot = store_.snapshot_row(key.first, key.second);
        const bool present = snapshot && snapshot->absent_count == 0;
        if (early && !present) return false;
        const std::optional<TaxClient> client = present ? intake.record(store_, key) : std::nullopt;
        if (early && (!client || shares_waiting_contact(*client))) return false;
        executor.link_people(key.first, key.second);
        if (!snapshot) return true;
        if (!present) {
            if (removal_actions(key).empty())
                store_.mark_removed(key.first, key.second, to_string(options_.policy.removal));
            return true;
        }
        if (!client) return true;
        const auto remaining = mapping::plan_client(
            mapping::desire(*client, rules_), known_state(store_, key.first, key.second),
            [&](const std::string& email) { return portal_has_contact(store_, email); }, settle_context);
        if (remaining.empty())
            store_.set_applied(key.first, key.second, applied_hash(snapshot->content_hash, rules_fingerprint_));
        return true;
    };
    // The circuit breaker is open: the portal is known to be down for a while.
    const auto circuit_open = [&]() -> std::optional<Error> {
        const auto down_until = options_.portal_down_until ? options_.portal_down_until() : std::nullopt;
        if (!down_until) return std::nullopt;
        return Error{ErrorKind::Unavailable, "portal unavailable, circuit open until " + format_utc(*down_until) +
                                                 "; the remaining operations wait for the next cycle"};
    };
    // Marks ahead (see above): operations already durably in flight wait for no disk when picked.
    // An invitation to a contact that exists is the one step whose rerun cannot look its own work
    // up: without idempotency keys, a crash after its mark makes it ambiguous (an administrator
    // decides), so it is marked only when it starts.
    const bool invitations_replay_safely = portal_.capabilities().honours_idempotency_keys;
    const auto may_mark_ahead = [&](std::size_t i) {
        return actions[i].has_value() &&
               (invitations_replay_safely || !std::holds_alternative<mapping::InviteContact>(*actions[i]));
    };
    const std::size_t window = std::max<std::size_t>(kMarkAheadWindow, 32 * workers);
    std::vector<bool> marked(rows.size(), false);  // durably in flight by this cycle's doing
    std::vector<bool> sent(rows.size(), false);    // handed to a worker
    std::size_t marked_unsent = 0;
    bool all_marked = false;  // no operation left that may be marked ahead
    const auto drop_marks = [&](const ClientQueue& queue) {
        for (std::size_t index : queue.rows) marked_unsent -= marked[index] && !sent[index] ? 1 : 0;
    };

    int unavailable_streak = 0;
    std::size_t attempted = 0;
    std::size_t next_progress = options_.progress_every;
    {
        const store::RelaxedDurability relaxed(store_.db());  // only the in-flight marks pay a fsync
        const store::DeferredCheckpoints deferred(store_.db());  // copied to the database after the apply
        std::mutex store_mutex;
        // Before the pool: its threads are joined before a rollback.
        OutcomeGroup outcomes(store_.db(), clock_, kOutcomeGroupOperations);
        WorkerPool pool(store_, adapters, store_mutex, clock_, log_);
        std::size_t in_flight = 0;
        std::set<ClientKey> busy_clients;
        std::map<std::size_t, std::string> creating_group;  // operation -> the group it may create
        bool stopping = false;
        while (true) {
            if (!stopping && stop.stop_requested()) {
                report.cancelled = true;
                stopping = true;
                log_.info("taxsync is stopping: this cycle ends here; the remaining operations wait in the outbox");
            }
            if (!stopping) {
                if (auto open = circuit_open()) {
                    report.stopped = std::move(open);
                    stopping = true;
                    log_.error("stopping this cycle: {}", report.stopped->message);
                }
            }
            std::vector<std::size_t> picked;
            if (!stopping) {
                const std::scoped_lock lock(store_mutex);
                const std::size_t in_flight_at_most = workers + pool.queue_depth();
                for (auto queue = queues.begin();
                     queue != queues.end() && in_flight + picked.size() < in_flight_at_most;) {
                    if (busy_clients.count(queue->key) != 0) {
                        ++queue;  // its previous step is still under way
                        continue;
                    }
                    if (queue->rows.empty() || failed.count(queue->key) != 0) {  // done, or dropped when a step failed
                        drop_marks(*queue);
                        // Settled now, while other clients' steps are at the portal, rather than at the cycle's end.
                        if (queue->rows.empty() && failed.count(queue->key) == 0 && settle(queue->key, true)) {
                            touched.erase(queue->key);
                        }
                        queue = queues.erase(queue);
                        continue;
                    }
                    const std::size_t index = queue->rows.front();
                    const store::OutboxRow& row = rows[index];
                    if (actions[index].has_error()) {
                        const Error& error = actions[index].error();
                        queue->rows.pop_front();
                        finished[index] = true;
                        touched.insert(queue->key);
                        ++attempted;
                        store_.mark_failed(row.id, error.message);
                        ++report.operations_failed;
                        report.failures.push_back({row.connector, row.client, row.kind, error});
                        continue;  // the same client's next operation
                    }
                    // A group the store does not know yet may be created by this step: one at a time.
                    const auto group = group_touched(*actions[index]);
                    const bool new_group = group && !store_.group(*group);
                    const bool group_busy =
                        new_group && std::any_of(creating_group.begin(), creating_group.end(),
                                                 [&](const auto& entry) { return entry.second == *group; });
                    if (group_busy || !contacts_ready(index)) {
                        ++queue;  // waits for another client's step on the same contact or group
                        continue;
                    }
                    if (new_group) creating_group.emplace(index, *group);
                    touched.insert(queue->key);
                    busy_clients.insert(queue->key);
                    picked.push_back(index);
                    queue->rows.pop_front();
                    ++queue;
                }
                std::vector<OperationId> ids;
                for (std::size_t index : picked) {
                    sent[index] = true;
                    if (marked[index]) {
                        --marked_unsent;
                    } else {
                        marked[index] = true;
                        ids.push_back(rows[index].id);
                    }
                }
                // Refilled at half the window, or along with a mark that is needed now anyway.
                if (!all_marked && (!ids.empty() || marked_unsent < window / 2)) {
                    const std::size_t before = ids.size();
                    for (const ClientQueue& queue : queues) {
                        if (failed.count(queue.key) != 0) continue;
                        for (std::size_t index : queue.rows) {
                            if (marked_unsent >= window) break;
                            if (marked[index] || !may_mark_ahead(index)) continue;
                            marked[index] = true;
                            ++marked_unsent;
                            ids.push_back(rows[index].id);
                        }
                        if (marked_unsent >= window) break;
                    }
                    all_marked = marked_unsent < window && ids.size() == before;
                }
                if (!ids.empty()) outcomes.commit_with_marks(store_, ids);  // before the portal hears of any of them
            }
            for (std::size_t index : picked) pool.submit(index, rows[index], *actions[index]);
            in_flight += picked.size();
            attempted += picked.size();
            if (stopping) {
                // Handed to the pool but not started: as if never picked, so their marks are taken back.
                for (const std::size_t index : pool.take_back_waiting()) {
                    --in_flight;
                    --attempted;
                    sent[index] = false;
                    creating_group.erase(index);
                    busy_clients.erase({rows[index].connector, rows[index].client});
                }
            }
            pool.resume();              // after a failure, only now that the cycle's going on or stopping is decided
            if (in_flight == 0) break;  // nothing under way and nothing more may start

            auto done = pool.wait_finished();
            const std::scoped_lock lock(store_mutex);
            for (WorkerPool::Finished& outcome : done) {
                --in_flight;
                const std::size_t index = outcome.index;
                finished[index] = true;
                creating_group.erase(index);
                const store::OutboxRow& row = rows[index];
                const ClientKey key{row.connector, row.client};
                busy_clients.erase(key);
                if (outcome.error) std::rethrow_exception(outcome.error);
                const mapping::Action& action = *actions[index];
                const Expected<StepOutcome>& result = *outcome.result;
                if (result.has_value()) {
                    ++report.operations_done;
                    unavailable_streak = 0;
                    if (result->invited) {
                        ++report.invitations_sent;
                        report.invited.push_back(*result->invited);
                    }
                    continue;
                }
                const Error& error = result.error();
                ++report.operations_failed;
                report.failures.push_back({row.connector, row.client, mapping::describe(action), error});
                log_.warn("{}:{}: {} failed: {}", row.connector, row.client, mapping::describe(action), error.message);
                // The client's later steps depend on this one: drop them; the next cycle plans the client afresh.
                store_.supersede_open(row.connector, row.client, "an earlier step failed: " + error.message);
                failed.insert(key);
                if (error.kind == ErrorKind::Conflict) {
                    // Several portal objects could be this client's, or the one found is not a client
                    // contact: an administrator decides, and nothing more is created for it meanwhile.
                    store_.open_review(row.connector, row.client, mapping::describe(action) + ": " + error.message);
                    report.reviews.push_back(row.connector.value() + ":" + row.client.value() + ": " + error.message);
                    log_.warn("{}:{} waits in the review queue: {}", row.connector, row.client, error.message);
                    // Other clients that name the same address wait with it: their steps need that contact.
                    if (const auto email = mapping::contact_email(action)) {
                        for (const auto& other : store_.clients_naming(*email)) {
                            if (other == key) continue;
                            const std::string reason = "shares the address " + *email + " with " +
                                                       row.connector.value() + ":" + row.client.value() +
                                                       ", which waits in review";
                            store_.open_review(other.first, other.second, reason);
                            store_.supersede_open(other.first, other.second, reason);
                            failed.insert(other);
                            report.reviews.push_back(other.first.value() + ":" + other.second.value() + ": " + reason);
                        }
                    }
                }
                if (stopping) continue;  // what was under way when the cycle stopped: counted, nothing more
                if (error.kind == ErrorKind::Unauthorized || error.kind == ErrorKind::Forbidden) {
                    report.stopped = Error{error.kind, "the portal refused taxsync's credentials: " + error.message};
                } else if (is_transient(error.kind)) {
                    if (++unavailable_streak >= options_.stop_after_unavailable) {
                        report.stopped =
                            Error{ErrorKind::Unavailable, "the portal is not answering (" + error.message +
                                                              "); the remaining operations wait for the next cycle"};
                    } else if (auto open = circuit_open()) {
                        report.stopped = std::move(open);  // other requests under way opened the circuit meanwhile
                    }
                } else {
                    unavailable_streak = 0;
                }
                if (report.stopped) {
                    stopping = true;
                    log_.error("stopping this cycle: {}", report.stopped->message);
                }
            }
            outcomes.took_in(done.size());
            if (options_.progress_every > 0 && attempted >= next_progress) {
                log_.info("progress: {} of {} operations, {} invitation(s) sent", attempted, rows.size(),
                          report.invitations_sent);
                while (next_progress <= attempted) next_progress += options_.progress_every;
            }
        }
        // Marked ahead but never sent (the cycle stopped first): as they were, so the next cycle does
        // not take them for steps that may have reached the portal.
        for (std::size_t index = 0; index < rows.size(); ++index) {
            if (marked[index] && !sent[index]) store_.unmark_in_flight(rows[index].id, rows[index].state);
        }
        outcomes.finish();  // on disk with the cycle's next commit (synchronous = FULL again)
    }

    report.operations_left = store_.open_operations().size();

    // The touched clients not settled as their last step finished. One transaction: one fsync, not one a client.
    sqlite::Transaction settled(store_.db());
    for (const ClientKey& key : touched) {
        if (failed.count(key) == 0) settle(key, false);
    }
    settled.commit();
}

void Engine::check_activations(CycleReport& report, const std::stop_token& stop) {
    const InvitationPolicy& policy = options_.policy.invitations;
    if (policy.checks_per_cycle == 0 || report.stopped) return;
    const auto due = store_.contacts_to_check(clock_.now() - policy.recheck_after,
                                              static_cast<std::int64_t>(policy.checks_per_cycle));
    for (const store::ContactRow& contact : due) {
        if (stop.stop_requested()) return;
        auto found = portal_.find_contact(contact.email);
        if (found.has_error()) {
            log_.debug("cannot read back {} now: {}", contact.email, found.error().message);
            if (is_transient(found.error().kind)) return;  // the portal is struggling: try next cycle
            continue;
        }
        const bool activated = found->has_value() && (*found)->activated;
        store_.set_contact_checked(contact.email, activated ? store::ContactState::Activated : store::ContactState::Invited);
        if (activated) {
            ++report.activations;
            log_.info("{} accepted the invitation", contact.email);
        }
    }
}

}  // namespace taxsync::engine
