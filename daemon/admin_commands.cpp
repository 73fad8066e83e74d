// The administrator's commands: decide on a held cycle, work the review queue, invite on demand,
// explain one client, and export the audit trail. Each is a short transaction on the state
// database, safe next to a running service (SQLite serializes the writers); afterwards the service,
// if one runs, is asked to start a cycle so the decision takes effect at once.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <ostream>

#include "daemon/admin_commands.hpp"
#include "daemon/command_support.hpp"
#include "daemon/control_server.hpp"
#include "daemon/exit_codes.hpp"
#include "mapping/desired.hpp"
#include "mapping/operation.hpp"
#include "store/store.hpp"

namespace taxsync::daemon {
namespace {

using ClientKey = std::pair<ConnectorName, ClientId>;

struct AdminContext {
    const CommandContext& command;
    Config config;
    SystemClock clock;
    std::unique_ptr<store::Store> store;
};

// Opens the state for a short administrative change. Crash recovery is left to the process that
// holds the state lock, so this never disturbs a cycle in progress.
int with_state(const CommandContext& context, const std::function<int(AdminContext&)>& work) {
    const auto registry = builtin_registry();
    auto config = load(context, registry);
    if (!config) return exit_code::kError;
    AdminContext admin{context, std::move(*config), {}, nullptr};
    const auto file = admin.config.service.state_dir / "taxsync.db";
    std::error_code error;
    if (!std::filesystem::exists(file, error)) {
        context.err << "taxsync: no state in " << admin.config.service.state_dir.string()
                    << " yet: taxsync has not run with this configuration\n";
        return exit_code::kError;
    }
    auto store = store::Store::open(file, admin.clock, /*recover=*/false);
    if (store.has_error()) {
        context.err << "taxsync: " << store.error().message << "\n";
        return exit_code::kError;
    }
    admin.store = std::make_unique<store::Store>(std::move(store).value());
    try {
        return work(admin);
    } catch (const sqlite::Error& failure) {
        context.err << "taxsync: the state database failed: " << failure.what() << "\n";
        return exit_code::kError;
    }
}

// Asks a running service to start a cycle now; says what to do when none is running.
void nudge_service(const AdminContext& admin) {
    auto reply = send_control_request(admin.config.service.control_socket, {"sync-now", nlohmann::json::object()},
                                      std::chrono::seconds(5));
    if (reply.has_value() && reply->result == ControlResult::Ok) {
        admin.command.out << "The running service starts a cycle now.\n";
    } else {
        admin.command.out << "No running service answered: the change takes effect at the next `taxsync once` or "
                             "service cycle.\n";
    }
}

}  // namespace

Expected<ClientKey> resolve_client(store::Store& store, const std::string& text) {
    if (const auto colon = text.find(':'); colon != std::string::npos) {
        ClientKey key{ConnectorName(text.substr(0, colon)), ClientId(text.substr(colon + 1))};
        if (!store.snapshot_row(key.first, key.second)) {
            return fail(ErrorKind::NotFound, "no client " + text + " in any export read so far");
        }
        return key;
    }
    std::vector<ClientKey> found;
    for (const ConnectorName& connector : store.snapshot_connectors()) {
        if (store.snapshot_row(connector, ClientId(text))) found.emplace_back(connector, ClientId(text));
    }
    if (found.empty()) return fail(ErrorKind::NotFound, "no client " + text + " in any export read so far");
    if (found.size() > 1) {
        std::string names;
        for (const auto& key : found) names += (names.empty() ? "" : ", ") + key.first.value() + ":" + text;
        return fail(ErrorKind::Ambiguous, "client id " + text + " is known to several connectors: write one of " + names);
    }
    return found.front();
}

namespace {

std::string name_of(const ClientKey& key) { return key.first.value() + ":" + key.second.value(); }

std::optional<CycleId> parse_cycle(const std::string& text) {
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || value <= 0) return std::nullopt;
    return CycleId(value);
}

std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string when(const std::optional<SystemTime>& time) { return time ? format_utc(*time) : "-"; }

}  // namespace

int run_decide(const CommandContext& context, const std::string& cycle_text, bool approve) {
    return with_state(context, [&](AdminContext& admin) {
        std::optional<CycleId> cycle;
        if (cycle_text.empty()) {
            const auto held = admin.store->held_cycle();
            if (!held) {
                context.out << "No cycle is held at the safety gate.\n";
                return exit_code::kOk;
            }
            cycle = held->id;
        } else {
            cycle = parse_cycle(cycle_text);
            if (!cycle) {
                context.err << "taxsync: '" << cycle_text << "' is not a cycle number\n";
                return exit_code::kUsage;
            }
        }
        auto decided = admin.store->decide_held(*cycle, approve);
        if (decided.has_error()) {
            context.err << "taxsync: " << decided.error().message << "\n";
            return exit_code::kError;
        }
        if (approve) {
            context.out << "Cycle " << cycle->value() << " approved: " << *decided
                        << " operation(s) will be sent by the next cycle.\n";
            nudge_service(admin);
        } else {
            context.out << "Cycle " << cycle->value() << " rejected: its " << *decided
                        << " operation(s) will not be sent. The next cycle plans from the exports again and is held "
                           "again if it is still over the limits: fix the export or the [safety] limits first.\n";
        }
        return exit_code::kOk;
    });
}

int run_review(const CommandContext& context, const std::string& action, const std::string& client_text,
               const std::string& entity) {
    return with_state(context, [&](AdminContext& admin) {
        store::Store& store = *admin.store;
        if (action == "list") {
            const auto reviews = store.reviews();
            if (context.json) {
                nlohmann::json list = nlohmann::json::array();
                for (const auto& review : reviews) {
                    list.push_back({{"connector", review.connector.value()},
                                    {"client_id", review.client.value()},
                                    {"state", store::to_string(review.state)},
                                    {"reason", review.reason},
                                    {"since", format_utc(review.opened_at)}});
                }
                context.out << list.dump(2) << "\n";
                return exit_code::kOk;
            }
            if (reviews.empty()) {
                context.out << "The review queue is empty.\n";
                return exit_code::kOk;
            }
            for (const auto& review : reviews) {
                context.out << name_of({review.connector, review.client}) << "  " << store::to_string(review.state)
                            << " since " << format_utc(review.opened_at) << "\n    " << review.reason << "\n";
            }
            context.out << "\nResolve with `taxsync review link CLIENT ENTITY` (use that portal entity), or "
                           "`taxsync review ignore CLIENT` (leave the client alone); `taxsync review retry CLIENT` "
                           "tries the match again.\n";
            return exit_code::kOk;
        }
        auto key = resolve_client(store, client_text);
        if (key.has_error()) {
            context.err << "taxsync: " << key.error().message << "\n";
            return exit_code::kError;
        }
        const auto client = store.load_client(key->first, key->second);
        if (action == "link") {
            if (const auto existing = store.entity_link_by_key(mapping::external_key(key->first, key->second));
                existing && existing->entity.value() != entity) {
                context.err << "taxsync: " << name_of(*key) << " is already linked to entity " << existing->entity.value()
                            << "\n";
                return exit_code::kError;
            }
            sqlite::Transaction transaction(store.db());
            store.save_entity_link({key->first, key->second, EntityId(entity), mapping::external_key(key->first, key->second),
                                    client ? client->display_name() : "", store::Origin::Adopted});
            store.close_review(key->first, key->second);
            store.audit({std::nullopt, std::nullopt, key->first, key->second, "review_link", entity, "ok",
                         "linked by an administrator"});
            transaction.commit();
            context.out << name_of(*key) << " is linked to portal entity " << entity
                        << "; the next cycle completes its contacts, folders and access.\n";
            nudge_service(admin);
            return exit_code::kOk;
        }
        if (action == "ignore") {
            sqlite::Transaction transaction(store.db());
            store.set_review(key->first, key->second, store::ReviewState::Ignored, "ignored by an administrator");
            store.supersede_open(key->first, key->second, "the client is ignored by an administrator");
            store.audit({std::nullopt, std::nullopt, key->first, key->second, "review_ignore", "", "ok", ""});
            transaction.commit();
            context.out << name_of(*key) << " is ignored: taxsync leaves it alone until `taxsync review retry "
                        << name_of(*key) << "`.\n";
            return exit_code::kOk;
        }
        // retry
        if (!store.review(key->first, key->second)) {
            context.out << name_of(*key) << " is not in the review queue.\n";
            return exit_code::kOk;
        }
        sqlite::Transaction transaction(store.db());
        store.close_review(key->first, key->second);
        store.set_applied(key->first, key->second, "");
        store.audit({std::nullopt, std::nullopt, key->first, key->second, "review_retry", "", "ok", ""});
        transaction.commit();
        context.out << name_of(*key) << " left the review queue; the next cycle matches it again.\n";
        nudge_service(admin);
        return exit_code::kOk;
    });
}

int run_invite(const CommandContext& context, const std::string& client_text, bool resend, bool pending) {
    return with_state(context, [&](AdminContext& admin) {
        store::Store& store = *admin.store;
        struct Wanted {
            ClientKey owner;
            std::string email;
            bool reminder = false;
        };
        std::vector<Wanted> wanted;
        std::vector<std::string> skipped;
        const auto consider = [&](const ClientKey& key, const store::PersonRow& person) {
            if (person.email_status != EmailStatus::Usable) {
                skipped.push_back(person.display_name + ": " +
                                  (person.email_status == EmailStatus::Missing ? "no email address in the export"
                                                                               : "invalid address \"" + person.email + "\""));
                return;
            }
            const auto contact = store.contact_by_email(person.email);
            if (!contact || !contact->contact) {
                skipped.push_back(person.email + ": no portal contact yet (the next cycle creates and invites it)");
                return;
            }
            switch (contact->state) {
                case store::ContactState::Activated:
                    skipped.push_back(person.email + ": accepted the invitation already");
                    return;
                case store::ContactState::Deactivated:
                    skipped.push_back(person.email + ": login turned off by the removal policy");
                    return;
                case store::ContactState::Invited:
                    if (!resend) {
                        skipped.push_back(person.email + ": invited " + when(contact->invited_at) +
                                          " (add --resend to send it again)");
                        return;
                    }
                    break;
                case store::ContactState::NotInvited:
                case store::ContactState::Failed: break;
            }
            const bool duplicate = std::any_of(wanted.begin(), wanted.end(), [&](const Wanted& w) { return w.email == person.email; });
            if (!duplicate) wanted.push_back({key, person.email, contact->state == store::ContactState::Invited});
        };

        if (pending) {
            for (const auto state : {store::ContactState::NotInvited, store::ContactState::Failed}) {
                for (const store::ContactRow& contact : store.contacts_with_state(state)) {
                    if (!contact.contact) continue;
                    const auto owner = store.client_of_contact(*contact.contact);
                    if (!owner) continue;
                    for (const store::PersonRow& person : store.people(owner->first, owner->second)) {
                        if (person.email == contact.email) consider(*owner, person);
                    }
                }
            }
        } else {
            auto key = resolve_client(store, client_text);
            if (key.has_error()) {
                context.err << "taxsync: " << key.error().message << "\n";
                return exit_code::kError;
            }
            for (const store::PersonRow& person : store.people(key->first, key->second)) consider(*key, person);
        }
        for (const std::string& line : skipped) context.out << "  skipped " << line << "\n";
        if (wanted.empty()) {
            context.out << "Nothing to send.\n";
            return exit_code::kOk;
        }
        sqlite::Transaction transaction(store.db());
        const CycleId cycle = store.begin_cycle("apply", "admin");
        for (const Wanted& item : wanted) {
            std::string message;
            if (const auto client = store.load_client(item.owner.first, item.owner.second)) {
                for (const auto& desired : mapping::desire(*client, admin.config.rules).contacts) {
                    if (desired.email == item.email) message = desired.invitation_message;
                }
            }
            const mapping::Action action = mapping::InviteContact{item.email, message, item.reminder};
            store.enqueue(cycle, {{item.owner.first, item.owner.second, mapping::kind_of(action), mapping::to_json_text(action)}});
            context.out << "  queued: " << mapping::describe(action) << " (" << name_of(item.owner) << ")\n";
        }
        store.finish_cycle(cycle, store::CycleOutcome::Ok,
                           nlohmann::json{{"invitations_queued", wanted.size()}, {"by", "administrator"}}.dump());
        transaction.commit();
        context.out << wanted.size() << " invitation(s) queued.\n";
        nudge_service(admin);
        return exit_code::kOk;
    });
}

int run_explain(const CommandContext& context, const std::string& client_text) {
    return with_state(context, [&](AdminContext& admin) {
        store::Store& store = *admin.store;
        auto key = resolve_client(store, client_text);
        if (key.has_error()) {
            context.err << "taxsync: " << key.error().message << "\n";
            return exit_code::kError;
        }
        std::ostream& out = context.out;
        const auto row = store.snapshot_row(key->first, key->second);
        const auto client = store.load_client(key->first, key->second);
        out << "Client " << name_of(*key);
        if (client) out << ": " << client->display_name();
        out << "\n";
        if (client) {
            out << "  kind " << to_string(client->kind) << ", tax year " << (client->tax_year.empty() ? "-" : client->tax_year)
                << ", return " << (client->return_type.empty() ? "-" : client->return_type);
            if (!client->office.empty()) out << ", office " << client->office;
            if (!client->preparer.empty()) out << ", preparer " << client->preparer;
            out << "\n";
        }
        if (row->absent_count == 0) {
            out << "  In the latest export.";
        } else {
            out << "  Missing from the export for " << row->absent_count << " cycle(s) in a row.";
            if (row->removal) {
                out << " The removal policy (" << *row->removal << ") has acted.";
            } else {
                out << " The removal policy (" << engine::to_string(admin.config.policy.removal) << ") acts after "
                    << admin.config.policy.absences_before_removal << ".";
            }
        }
        out << (row->applied_hash ? " The portal matched this version of the record.\n"
                                  : " Its changes have not all reached the portal yet.\n");
        if (const auto review = store.review(key->first, key->second)) {
            out << "\n  Review queue (" << store::to_string(review->state) << " since " << format_utc(review->opened_at)
                << "): " << review->reason << "\n  Nothing is created or changed for this client until it is resolved.\n";
        }

        out << "\nPortal entity: ";
        if (const auto link = store.entity_link(key->first, key->second)) {
            out << link->entity.value() << " \"" << link->name << "\" (" << store::to_string(link->origin) << ", key "
                << link->external_key << ")\n";
        } else {
            out << "none yet\n";
        }

        out << "\nPeople:\n";
        for (const store::PersonRow& person : store.people(key->first, key->second)) {
            out << "  " << to_string(person.role) << ": " << person.display_name << ", ";
            if (person.email_status == EmailStatus::Missing) {
                out << "no email address in the export: nobody can be invited\n";
                continue;
            }
            if (person.email_status == EmailStatus::Invalid) {
                out << "invalid address \"" << person.email << "\" in the export: fix it in the tax package\n";
                continue;
            }
            out << person.email;
            const auto contact = store.contact_by_email(person.email);
            if (!contact || !contact->contact) {
                out << ", no portal contact yet\n";
                continue;
            }
            out << ", contact " << contact->contact->value() << " (" << store::to_string(contact->origin) << "), "
                << store::to_string(contact->state);
            if (contact->invitations > 0) {
                out << ", " << contact->invitations << " invitation(s), the latest " << when(contact->invited_at);
            }
            if (contact->checked_at) out << ", read back " << format_utc(*contact->checked_at);
            if (!contact->last_error.empty()) out << "; " << contact->last_error;
            out << "\n";
        }

        const auto grants = store.grants(key->first, key->second);
        out << "\nAccess granted by taxsync (" << grants.size() << "):\n";
        for (const store::Grant& grant : grants) {
            const auto contact = store.contact_by_id(grant.contact);
            out << "  " << (contact ? contact->email : grant.contact.value()) << ": " << store::to_string(grant.kind)
                << " " << grant.target << (grant.access.empty() ? "" : " (" + grant.access + ")") << "\n";
        }

        const auto operations = store.client_operations(key->first, key->second, 200);
        std::vector<const store::OutboxRow*> waiting;
        for (const auto& operation : operations) {
            if (operation.state == store::OutboxState::Pending || operation.state == store::OutboxState::InFlight ||
                operation.state == store::OutboxState::Held) {
                waiting.push_back(&operation);
            }
        }
        out << "\nWaiting operations (" << waiting.size() << "):\n";
        for (auto it = waiting.rbegin(); it != waiting.rend(); ++it) {
            const store::OutboxRow& operation = **it;
            auto action = mapping::action_from_json(operation.kind, operation.payload_json);
            out << "  #" << operation.id.value() << " " << (action.has_value() ? mapping::describe(*action) : operation.kind)
                << ": " << store::to_string(operation.state);
            if (operation.state == store::OutboxState::Held) {
                out << " at the safety gate (cycle " << operation.cycle.value() << "; `taxsync approve "
                    << operation.cycle.value() << "`)";
            }
            if (!operation.last_error.empty()) out << "; " << operation.last_error;
            out << "\n";
        }

        const auto history = store.audit_records(*key, std::nullopt);
        out << "\nHistory of portal writes (" << history.size() << "):\n";
        for (const store::AuditRecord& record : history) {
            out << "  " << format_utc(record.at) << "  " << record.entry.action << " " << record.entry.target << ": "
                << record.entry.outcome << (record.entry.detail.empty() ? "" : " (" + record.entry.detail + ")") << "\n";
        }
        return exit_code::kOk;
    });
}

int run_audit(const CommandContext& context, const std::string& client_text, const std::string& since, bool csv) {
    return with_state(context, [&](AdminContext& admin) {
        std::optional<ClientKey> client;
        if (!client_text.empty()) {
            auto key = resolve_client(*admin.store, client_text);
            if (key.has_error()) {
                context.err << "taxsync: " << key.error().message << "\n";
                return exit_code::kError;
            }
            client = *key;
        }
        std::optional<SystemTime> from;
        if (!since.empty()) {
            from = parse_utc(since.size() == 10 ? since + "T00:00:00Z" : since);
            if (!from) {
                context.err << "taxsync: --since wants a date (2026-01-31) or a UTC time (2026-01-31T08:00:00Z), not '"
                            << since << "'\n";
                return exit_code::kUsage;
            }
        }
        const auto records = admin.store->audit_records(client, from);
        if (csv) {
            context.out << "at,cycle,operation,connector,client_id,action,target,outcome,detail\r\n";
            for (const store::AuditRecord& record : records) {
                const auto& e = record.entry;
                context.out << format_utc(record.at) << "," << (e.cycle ? std::to_string(e.cycle->value()) : "") << ","
                            << (e.operation ? std::to_string(e.operation->value()) : "") << ","
                            << csv_field(e.connector.value()) << "," << csv_field(e.client.value()) << ","
                            << csv_field(e.action) << "," << csv_field(e.target) << "," << csv_field(e.outcome) << ","
                            << csv_field(e.detail) << "\r\n";
            }
            return exit_code::kOk;
        }
        for (const store::AuditRecord& record : records) {
            const auto& e = record.entry;
            context.out << format_utc(record.at) << "  " << name_of({e.connector, e.client}) << "  " << e.action << " "
                        << e.target << ": " << e.outcome << (e.detail.empty() ? "" : " (" + e.detail + ")") << "\n";
        }
        context.out << records.size() << " portal write(s).\n";
        return exit_code::kOk;
    });
}

}  // namespace taxsync::daemon
