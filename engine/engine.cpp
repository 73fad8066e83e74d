#include "engine/engine.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "core/digest.hpp"
#include "engine/executor.hpp"
#include "mapping/desired.hpp"
#include "mapping/planner.hpp"

namespace taxsync::engine {

std::string_view to_string(Mode mode) { return mode == Mode::Apply ? "apply" : "plan"; }

std::string_view to_string(ClientChange change) {
    switch (change) {
        case ClientChange::Added: return "new";
        case ClientChange::Changed: return "changed";
        case ClientChange::Unchanged: return "retry";
        case ClientChange::Resumed: return "resumed";
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

bool CycleReport::has_problems() const { return has_row_errors() || !failures.empty() || stopped.has_value(); }

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
    if (mode == Mode::Plan) {
        // The same code as a real cycle, in a transaction that is never committed.
        sqlite::Transaction scratch(store_.db());
        const CycleId cycle = store_.begin_cycle("plan", trigger);
        read_sources(store_, cycle, report, intake);
        plan(cycle, report, intake);
        report.finished_at = clock_.now();
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
        execute(report, stop);
    } catch (const sqlite::Error& error) {
        store_.finish_cycle(cycle, store::CycleOutcome::Failed, nlohmann::json{{"error", error.what()}}.dump());
        throw;
    }
    report.finished_at = clock_.now();
    const store::CycleOutcome outcome = report.cancelled        ? store::CycleOutcome::Interrupted
                                        : report.stopped        ? store::CycleOutcome::Failed
                                        : report.has_problems() ? store::CycleOutcome::Problems
                                                                : store::CycleOutcome::Ok;
    store_.finish_cycle(cycle, outcome, summary_json(report));
    return report;
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
            store.upsert_client(client, hash, cycle);
            sync_people(store, client);
            present.insert(client.id);
            const ClientKey key{client.connector, client.id};
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
    // Operations left by an interrupted cycle come first, in their original order.
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

    mapping::PlanContext context;
    const auto contact_exists = [&](const std::string& email) { return portal_has_contact(store_, email); };
    for (const auto& connector : connectors_) {
        for (const auto& [id, row] : store_.snapshot(connector->name())) {
            const ClientKey key{connector->name(), id};
            if (row.absent_count > 0 || resumed_index.count(key) != 0) continue;
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
            auto actions = mapping::plan_client(desired, known_state(store_, key.first, key.second), contact_exists, context);
            if (actions.empty()) {
                store_.set_applied(key.first, key.second, expected);
                continue;
            }
            std::vector<store::NewOperation> operations;
            operations.reserve(actions.size());
            for (const mapping::Action& action : actions) {
                operations.push_back({key.first, key.second, mapping::kind_of(action), mapping::to_json_text(action)});
            }
            store_.enqueue(cycle, operations);
            report.operations_planned += actions.size();
            const auto change = intake.changes.find(key);
            report.plan.push_back({key.first, key.second, client->display_name(),
                                   change != intake.changes.end() ? change->second : ClientChange::Unchanged,
                                   std::move(actions), desired.notes});
        }
    }
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
    mapping::PlanContext context;
    const auto contact_exists = [&](const std::string& email) { return portal_has_contact(store_, email); };
    for (const ClientKey& key : touched) {
        if (failed.count(key) != 0) continue;
        executor.link_people(key.first, key.second);
        const auto client = store_.load_client(key.first, key.second);
        if (!client) continue;
        const auto remaining = mapping::plan_client(mapping::desire(*client, rules_),
                                                    known_state(store_, key.first, key.second), contact_exists, context);
        if (remaining.empty()) store_.set_applied(key.first, key.second, applied_hash(client->content_hash(), rules_fingerprint_));
    }
}

}  // namespace taxsync::engine
