#include "engine/engine.hpp"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "core/digest.hpp"
#include "engine/executor.hpp"
#include "mapping/desired.hpp"
#include "mapping/planner.hpp"

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
    std::map<ClientKey, TaxClient> read;
    std::map<ClientKey, ClientChange> changes;
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
        execute(report, stop);
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
        connectors::Batch batch = connector->read(state);
        summary.read = true;
        summary.files = batch.files.size();
        summary.clients = batch.clients.size();

        const auto snapshot = store.snapshot(connector->name());
        std::set<ClientId> present;
        for (TaxClient& client : batch.clients) {
            const std::string hash = client.content_hash();
            const auto existing = snapshot.find(client.id);
            ClientChange change = ClientChange::Unchanged;
            if (existing == snapshot.end()) {
                change = ClientChange::Added;
                ++summary.added;
            } else if (existing->second.content_hash != hash) {
                change = ClientChange::Changed;
                ++summary.changed;
            }
            present.insert(client.id);
            // A client exported as before costs no write: its record and people rows already say
            // this. One back from absence is written, which clears its absence count.
            const bool rewrite = change != ClientChange::Unchanged || existing->second.absent_count > 0 ||
                                 existing->second.removal.has_value();
            if (!rewrite) continue;
            store.upsert_client(client, hash, cycle);
            sync_people(store, client);
            const ClientKey key{client.connector, client.id};
            if (change == ClientChange::Unchanged) continue;
            intake.changes[key] = change;
            intake.read.insert_or_assign(key, std::move(client));
        }
        if (batch.complete) {
            store.count_absences(connector->name(), present);
            summary.absent = static_cast<std::size_t>(std::count_if(
                snapshot.begin(), snapshot.end(), [&](const auto& entry) { return present.count(entry.first) == 0; }));
        } else {
            summary.note = "a file could not be read whole; it will be read again, and absences are not counted";
        }

        std::vector<store::FileRecord> files;
        for (const auto& file : batch.files) {
            files.push_back({file.path.string(), file.content_hash, file.encoding, static_cast<std::int64_t>(file.rows),
                             static_cast<std::int64_t>(file.imported), file.failed});
        }
        std::vector<store::ProblemRecord> problems;
        for (const auto& problem : batch.problems) {
            problems.push_back({connector->name().value(), problem.file, static_cast<std::int64_t>(problem.line),
                                severity_text(problem.severity), problem.reason});
            (problem.severity == connectors::Severity::Error ? log_.warn("{}:{}: {}", problem.file, problem.line, problem.reason)
                                                             : log_.debug("{}:{}: {}", problem.file, problem.line, problem.reason));
            report.problems.push_back(problem);
        }
        // An incomplete read stores no fingerprint, so the next cycle reads the source again.
        store.record_read(connector->name(), batch.complete ? state.fingerprint : std::string(), cycle, files, problems);
        log_.info("connector {}: read {} file(s), {} client(s): {} new, {} changed, {} absent, {} problem(s)",
                  connector->name(), summary.files, summary.clients, summary.added, summary.changed, summary.absent,
                  batch.problems.size());
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
        store_.enqueue(cycle, operations);
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

            std::optional<TaxClient> client;
            if (const auto read = intake.read.find(key); read != intake.read.end()) {
                client = read->second;
            } else {
                client = store_.load_client(key.first, key.second);
            }
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
    plan_reminders(report, resumed_index, enqueue);
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

void Engine::plan_reminders(CycleReport& report, const std::map<ClientKey, std::size_t>& busy, const Enqueue& enqueue) {
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
        if (store_.review(owner->first, owner->second)) continue;
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

void Engine::execute(CycleReport& report, const std::stop_token& stop) {
    const auto rows = store_.open_operations();
    if (rows.empty()) return;
    log_.info("applying {} operation(s) for {} client(s)", rows.size(), report.plan.size());

    Executor executor(store_, portal_, clock_, log_);
    std::set<ClientKey> touched;
    std::set<ClientKey> failed;
    int unavailable_streak = 0;
    std::size_t attempted = 0;
    for (const store::OutboxRow& row : rows) {
        if (stop.stop_requested()) {
            report.cancelled = true;
            log_.info("taxsync is stopping: this cycle ends here; the remaining operations wait in the outbox");
            break;
        }
        if (const auto down_until = options_.portal_down_until ? options_.portal_down_until() : std::nullopt) {
            report.stopped =
                Error{ErrorKind::Unavailable, "portal unavailable, circuit open until " + format_utc(*down_until) +
                                                  "; the remaining operations wait for the next cycle"};
            log_.error("stopping this cycle: {}", report.stopped->message);
            break;
        }
        const ClientKey key{row.connector, row.client};
        if (failed.count(key) != 0) continue;  // superseded when its earlier step failed
        touched.insert(key);
        auto action = mapping::action_from_json(row.kind, row.payload_json);
        ++attempted;
        if (action.has_error()) {
            store_.mark_failed(row.id, action.error().message);
            ++report.operations_failed;
            report.failures.push_back({row.connector, row.client, row.kind, action.error()});
            continue;
        }
        auto result = executor.run(row, *action);
        if (result.has_value()) {
            ++report.operations_done;
            unavailable_streak = 0;
            if (result->invited) {
                ++report.invitations_sent;
                report.invited.push_back(*result->invited);
            }
        } else {
            const Error& error = result.error();
            ++report.operations_failed;
            report.failures.push_back({row.connector, row.client, mapping::describe(*action), error});
            log_.warn("{}:{}: {} failed: {}", row.connector, row.client, mapping::describe(*action), error.message);
            // The client's later steps depend on this one: drop them; the next cycle plans the client afresh.
            store_.supersede_open(row.connector, row.client, "an earlier step failed: " + error.message);
            failed.insert(key);
            if (error.kind == ErrorKind::Conflict) {
                // Several portal objects could be this client's, or the one found is not a client
                // contact: an administrator decides, and nothing more is created for it meanwhile.
                store_.open_review(row.connector, row.client, mapping::describe(*action) + ": " + error.message);
                report.reviews.push_back(row.connector.value() + ":" + row.client.value() + ": " + error.message);
                log_.warn("{}:{} waits in the review queue: {}", row.connector, row.client, error.message);
                // Other clients that name the same address wait with it: their steps need that contact.
                if (const auto email = mapping::contact_email(*action)) {
                    for (const auto& other : store_.clients_naming(*email)) {
                        if (other == key) continue;
                        const std::string reason = "shares the address " + *email + " with " + row.connector.value() +
                                                   ":" + row.client.value() + ", which waits in review";
                        store_.open_review(other.first, other.second, reason);
                        store_.supersede_open(other.first, other.second, reason);
                        failed.insert(other);
                        report.reviews.push_back(other.first.value() + ":" + other.second.value() + ": " + reason);
                    }
                }
            }
            if (error.kind == ErrorKind::Unauthorized || error.kind == ErrorKind::Forbidden) {
                report.stopped = Error{error.kind, "the portal refused taxsync's credentials: " + error.message};
            } else if (is_transient(error.kind) && ++unavailable_streak >= options_.stop_after_unavailable) {
                report.stopped = Error{ErrorKind::Unavailable,
                                       "the portal is not answering (" + error.message +
                                           "); the remaining operations wait for the next cycle"};
            } else if (!is_transient(error.kind)) {
                unavailable_streak = 0;
            }
            if (report.stopped) {
                log_.error("stopping this cycle: {}", report.stopped->message);
                break;
            }
        }
        if (options_.progress_every > 0 && attempted % options_.progress_every == 0) {
            log_.info("progress: {} of {} operations, {} invitation(s) sent", attempted, rows.size(),
                      report.invitations_sent);
        }
    }

    report.operations_left = store_.open_operations().size();

    // A client is done when nothing is left to plan for it.
    mapping::PlanContext context(options_.policy.removal != RemovalPolicy::Preserve);
    for (const ClientKey& key : touched) {
        if (failed.count(key) != 0) continue;
        executor.link_people(key.first, key.second);
        const auto snapshot = store_.snapshot_row(key.first, key.second);
        if (!snapshot) continue;
        if (snapshot->absent_count > 0) {
            if (removal_actions(key).empty()) store_.mark_removed(key.first, key.second, to_string(options_.policy.removal));
            continue;
        }
        const auto client = store_.load_client(key.first, key.second);
        if (!client) continue;
        const auto remaining = mapping::plan_client(
            mapping::desire(*client, rules_), known_state(store_, key.first, key.second),
            [&](const std::string& email) { return portal_has_contact(store_, email); }, context);
        if (remaining.empty())
            store_.set_applied(key.first, key.second, applied_hash(snapshot->content_hash, rules_fingerprint_));
    }
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
