#include "daemon/output.hpp"

#include <nlohmann/json.hpp>

#include <iomanip>

namespace taxsync::daemon {
namespace {

using nlohmann::json;

constexpr const char* kStates[] = {"invited",       "activated",     "not_invited", "expired",
                                   "missing_email", "invalid_email", "failed",      "deactivated"};

std::string label(std::string_view state) {
    std::string text(state);
    std::replace(text.begin(), text.end(), '_', ' ');
    return text;
}

std::string severity(connectors::Severity s) { return s == connectors::Severity::Error ? "error" : "warning"; }

std::string place(const connectors::Problem& problem) {
    if (problem.file.empty()) return "";
    return problem.file + (problem.line > 0 ? ":" + std::to_string(problem.line) : "") + ": ";
}

void print_problems(const std::vector<connectors::Problem>& problems, std::ostream& out) {
    if (problems.empty()) return;
    out << "\nProblems in the exports (" << problems.size() << "):\n";
    for (const auto& problem : problems) {
        out << "  " << place(problem) << severity(problem.severity) << ": " << problem.reason << "\n";
    }
}

void print_sources(const engine::CycleReport& report, std::ostream& out) {
    out << "\nSources:\n";
    for (const auto& source : report.connectors) {
        out << "  " << std::left << std::setw(14) << source.name.value() << " ";
        if (source.read) {
            out << "read " << source.files << " file(s), " << source.clients << " client(s): " << source.added
                << " new, " << source.changed << " changed, " << source.absent << " absent";
            if (!source.note.empty()) out << " (" << source.note << ")";
        } else {
            out << source.note;
        }
        if (source.waiting_files > 0) out << "; " << source.waiting_files << " file(s) still being written";
        out << "\n";
    }
}

}  // namespace

std::vector<std::pair<std::string, std::size_t>> count_states(const std::vector<store::PersonStatus>& people) {
    std::vector<std::pair<std::string, std::size_t>> counts;
    for (const char* state : kStates) {
        const auto n = std::count_if(people.begin(), people.end(), [&](const auto& p) { return p.state == state; });
        counts.emplace_back(state, static_cast<std::size_t>(n));
    }
    return counts;
}

namespace {

void print_gate(const engine::CycleReport& report, std::ostream& out) {
    if (report.held) {
        out << "\nHeld at the safety gate: " << *report.held << ".\n";
        if (report.mode == engine::Mode::Apply && report.cycle) {
            out << "Nothing new was sent. Send it with `taxsync approve " << report.cycle->value()
                << "`, or drop it with `taxsync reject " << report.cycle->value() << "`.\n";
        } else {
            out << "A real cycle would hold these operations until `taxsync approve`.\n";
        }
    }
    if (!report.reviews.empty()) {
        out << "\nWaiting in the review queue (" << report.reviews.size() << "); see `taxsync review list`:\n";
        for (const auto& line : report.reviews) out << "  " << line << "\n";
    }
}

}  // namespace

void print_plan(const engine::CycleReport& report, std::ostream& out) {
    if (report.plan.empty()) {
        out << "Nothing to do: the portal already matches the exports.\n";
    } else {
        out << "Plan: " << report.plan.size() << " client(s) need " << report.operations_planned << " operation(s), "
            << report.planned_invitations() << " invitation(s). Nothing has been sent.\n";
        for (const auto& client : report.plan) {
            out << "\n  " << client.connector.value() << ":" << client.client.value() << "  " << client.display_name
                << "  (" << engine::to_string(client.change) << ")\n";
            for (const auto& action : client.actions) out << "    - " << mapping::describe(action) << "\n";
            for (const auto& note : client.notes) out << "    note: " << note << "\n";
        }
    }
    print_gate(report, out);
    print_problems(report.problems, out);
    print_sources(report, out);
}

void print_cycle(const engine::CycleReport& report, const std::vector<store::PersonStatus>& people, std::ostream& out) {
    out << "Cycle " << (report.cycle ? std::to_string(report.cycle->value()) : "-") << ": "
        << report.operations_done << " operation(s) done, " << report.operations_failed << " failed, "
        << report.operations_left << " waiting; " << report.invitations_sent << " invitation(s) sent.\n";
    if (report.stopped) out << "Stopped early: " << report.stopped->message << "\n";
    if (report.activations > 0) out << report.activations << " person(s) accepted their invitation since the last check.\n";
    print_gate(report, out);
    if (!report.invited.empty()) {
        out << "\nInvited:\n";
        for (const auto& email : report.invited) out << "  " << email << "\n";
    }
    if (!report.failures.empty()) {
        out << "\nFailed (" << report.failures.size() << "):\n";
        for (const auto& failure : report.failures) {
            out << "  " << failure.connector.value() << ":" << failure.client.value() << "  " << failure.step << ": "
                << failure.error.message << "\n";
        }
    }
    print_problems(report.problems, out);
    print_sources(report, out);
    std::string line;
    for (const auto& [state, count] : count_states(people)) {
        line += (line.empty() ? " " : ", ") + std::to_string(count) + " " + label(state);
    }
    out << "\nPeople:" << line << "\n";
}

json plan_json(const engine::CycleReport& report) {
    json clients = json::array();
    for (const auto& client : report.plan) {
        json operations = json::array();
        for (const auto& action : client.actions) {
            operations.push_back({{"kind", mapping::kind_of(action)},
                                  {"description", mapping::describe(action)},
                                  {"sends_invitation", mapping::sends_invitation(action)},
                                  {"details", json::parse(mapping::to_json_text(action))}});
        }
        clients.push_back({{"connector", client.connector.value()},
                           {"client_id", client.client.value()},
                           {"name", client.display_name},
                           {"change", engine::to_string(client.change)},
                           {"operations", std::move(operations)},
                           {"notes", client.notes}});
    }
    json problems = json::array();
    for (const auto& problem : report.problems) {
        problems.push_back({{"file", problem.file}, {"line", problem.line}, {"severity", severity(problem.severity)},
                            {"reason", problem.reason}});
    }
    json sources = json::array();
    for (const auto& source : report.connectors) {
        sources.push_back({{"connector", source.name.value()}, {"read", source.read}, {"note", source.note},
                           {"files", source.files}, {"waiting_files", source.waiting_files},
                           {"clients", source.clients}, {"new", source.added}, {"changed", source.changed},
                           {"absent", source.absent}});
    }
    return {{"changes_pending", !report.plan.empty()},
            {"clients", std::move(clients)},
            {"summary",
             {{"clients", report.plan.size()},
              {"operations", report.operations_planned},
              {"invitations", report.planned_invitations()},
              {"revocations", report.planned_revocations()}}},
            {"held", report.held ? nlohmann::json(*report.held) : nlohmann::json()},
            {"reviews", report.reviews},
            {"problems", std::move(problems)},
            {"sources", std::move(sources)}};
}

void print_status(const StatusView& status, std::ostream& out) {
    out << "State: " << status.database << "\n";
    if (status.last_cycle) {
        const auto& cycle = *status.last_cycle;
        out << "Last cycle: #" << cycle.id.value() << " (" << cycle.mode << ", " << cycle.trigger << ") started "
            << format_utc(cycle.started_at) << ", " << store::to_string(cycle.outcome) << "\n";
        const json summary = json::parse(cycle.summary_json, nullptr, false);
        if (summary.is_object() && summary.contains("stopped") && summary["stopped"].is_string() &&
            !summary["stopped"].get<std::string>().empty()) {
            out << "Stopped early: " << summary["stopped"].get<std::string>() << "\n";
        }
    } else {
        out << "Last cycle: none yet\n";
    }
    if (status.held) {
        out << "\nHeld at the safety gate: cycle " << status.held->id.value() << " (" << format_utc(status.held->started_at)
            << "), " << status.held->operations << " operation(s): " << status.held->reason << ".\n"
            << "  Send with `taxsync approve " << status.held->id.value() << "`, drop with `taxsync reject "
            << status.held->id.value() << "`.\n";
    }
    if (!status.staged.empty()) {
        out << "\nmode = plan: the latest cycle would have run " << status.staged.size() << " operation(s):\n";
        std::size_t shown = 0;
        for (const auto& operation : status.staged) {
            if (++shown > 20) {
                out << "  ... and " << status.staged.size() - 20 << " more (see `taxsync plan`)\n";
                break;
            }
            out << "  " << operation.connector.value() << ":" << operation.client.value() << "  " << operation.description
                << "\n";
        }
    }
    if (!status.reviews.empty()) {
        out << "\nReview queue (" << status.reviews.size() << "), see `taxsync review list`:\n";
        for (const auto& review : status.reviews) {
            out << "  " << review.connector.value() << ":" << review.client.value() << " "
                << store::to_string(review.state) << ": " << review.reason << "\n";
        }
    }
    out << "\nPeople by invitation state:\n";
    for (const auto& [state, count] : count_states(status.people)) {
        out << "  " << std::left << std::setw(15) << label(state) << std::right << std::setw(6) << count << "\n";
    }
    const auto outbox = [&](const char* state) {
        const auto found = status.outbox.find(state);
        return found == status.outbox.end() ? 0 : found->second;
    };
    out << "\nOutbox: " << store::waiting_operations(status.outbox) << " waiting, " << outbox("done") << " done, "
        << outbox("failed") << " failed\n";
    std::vector<const store::PersonStatus*> attention;
    for (const auto& person : status.people) {
        if (person.state != "invited" && person.state != "activated") attention.push_back(&person);
    }
    if (!attention.empty()) {
        out << "\nNeeds attention (" << attention.size() << "):\n";
        for (const auto* person : attention) {
            out << "  " << person->connector.value() << ":" << person->client.value() << " " << to_string(person->role)
                << " " << person->display_name << ": " << label(person->state);
            if (person->state == "invalid_email") out << " \"" << person->email << "\"";
            if (!person->detail.empty()) out << " (" << person->detail << ")";
            out << "\n";
        }
    }
    if (!status.problems.empty()) {
        out << "\nProblems from the last read of each source (" << status.problems.size() << "):\n";
        for (const auto& problem : status.problems) {
            out << "  " << problem.file << (problem.line > 0 ? ":" + std::to_string(problem.line) : "") << ": "
                << problem.severity << ": " << problem.reason << "\n";
        }
    }
}

json status_json(const StatusView& status) {
    json people = json::object();
    for (const auto& [state, count] : count_states(status.people)) people[state] = count;
    json attention = json::array();
    for (const auto& person : status.people) {
        if (person.state == "invited" || person.state == "activated") continue;
        attention.push_back({{"connector", person.connector.value()},
                             {"client_id", person.client.value()},
                             {"role", to_string(person.role)},
                             {"name", person.display_name},
                             {"state", person.state},
                             {"email", person.email},
                             {"detail", person.detail}});
    }
    json problems = json::array();
    for (const auto& problem : status.problems) {
        problems.push_back({{"connector", problem.connector}, {"file", problem.file}, {"line", problem.line},
                            {"severity", problem.severity}, {"reason", problem.reason}});
    }
    json last = nullptr;
    if (status.last_cycle) {
        const auto& cycle = *status.last_cycle;
        last = {{"id", cycle.id.value()},
                {"mode", cycle.mode},
                {"trigger", cycle.trigger},
                {"started_at", format_utc(cycle.started_at)},
                {"finished_at", cycle.finished_at ? json(format_utc(*cycle.finished_at)) : json()},
                {"outcome", store::to_string(cycle.outcome)},
                {"summary", json::parse(cycle.summary_json, nullptr, false)}};
    }
    json held = nullptr;
    if (status.held) {
        held = {{"cycle", status.held->id.value()},
                {"started_at", format_utc(status.held->started_at)},
                {"operations", status.held->operations},
                {"reason", status.held->reason}};
    }
    json reviews = json::array();
    for (const auto& review : status.reviews) {
        reviews.push_back({{"connector", review.connector.value()}, {"client_id", review.client.value()},
                           {"state", store::to_string(review.state)}, {"reason", review.reason}});
    }
    json staged = json::array();
    for (const auto& operation : status.staged) {
        staged.push_back({{"connector", operation.connector.value()}, {"client_id", operation.client.value()},
                          {"kind", operation.kind}, {"description", operation.description}});
    }
    return {{"database", status.database}, {"last_cycle", last},     {"people", people},   {"outbox", status.outbox},
            {"attention", attention},      {"problems", problems},   {"held", held},       {"reviews", reviews},
            {"staged", staged}};
}

}  // namespace taxsync::daemon
