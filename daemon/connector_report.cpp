#include "daemon/connector_report.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <ostream>

#include "core/clock.hpp"

namespace taxsync::daemon {
namespace {

std::string masked(const std::optional<TaxIdFingerprint>& tax_id, std::string_view prefix) {
    return tax_id ? std::string(prefix) + tax_id->last4 : std::string();
}

std::string_view severity_word(connectors::Severity severity) {
    return severity == connectors::Severity::Error ? "error" : "warning";
}

std::string people_summary(const TaxClient& client) {
    std::string text;
    for (const Person& person : client.people) {
        if (!text.empty()) text += "; ";
        text += std::string(to_string(person.role)) + " " + person.display_name();
        text += person.email_status == EmailStatus::Usable
                    ? " <" + person.email + ">"
                    : " (" + std::string(to_string(person.email_status)) + " email)";
        if (person.tax_id) text += " SSN " + masked(person.tax_id, "***-**-");
    }
    return text.empty() ? "no people" : text;
}

nlohmann::json file_json(const connectors::ExportFile& file) {
    return {{"path", file.path.string()}, {"size", file.size}, {"modified", format_utc(file.modified)}};
}

}  // namespace

ConnectorView inspect_connector(connectors::Connector& connector, const connectors::ConnectorSettings& settings,
                                bool read) {
    ConnectorView view{settings.name.value(), settings.type, settings.folder, std::nullopt, {}, {}, std::nullopt};
    auto state = connector.scan();
    if (state.has_error()) {
        view.scan_error = state.error().message;
        return view;
    }
    view.state = std::move(state).value();
    if (settings.type != "exec") view.skipped = connectors::skipped_files(settings.folder, view.state);
    if (read) view.batch = connector.read(view.state);
    return view;
}

void print_connector_list(const std::vector<ConnectorView>& views, std::ostream& out) {
    for (const ConnectorView& view : views) {
        out << view.name << " (" << view.type << ") " << view.folder.string() << "\n";
        if (view.scan_error) {
            out << "  cannot look: " << *view.scan_error << "\n";
            continue;
        }
        out << "  " << view.state.ready.size() << " ready, " << view.state.waiting.size() << " waiting, "
            << view.skipped.size() << " ignored\n";
    }
}

void print_connector_check(const ConnectorView& view, bool ephemeral_key, std::ostream& out) {
    out << "connector " << view.name << " (" << view.type << ") reads " << view.folder.string() << "\n";
    if (view.scan_error) {
        out << "  cannot look: " << *view.scan_error << "\n";
        return;
    }
    out << "\nfiles:\n";
    for (const auto& file : view.state.ready)
        out << "  ready    " << file.path.filename().string() << " (" << file.size << " bytes)\n";
    for (const auto& file : view.state.waiting) {
        out << "  waiting  " << file.path.filename().string() << " (changed " << format_utc(file.modified)
            << "; read once it stops changing)\n";
    }
    for (const auto& file : view.skipped)
        out << "  ignored  " << file.path.filename().string() << " (" << file.reason << ")\n";
    if (view.state.ready.empty() && view.state.waiting.empty()) out << "  no export files\n";
    if (!view.batch) return;

    const connectors::Batch& batch = *view.batch;
    const auto businesses = std::count_if(batch.clients.begin(), batch.clients.end(),
                                          [](const TaxClient& c) { return c.kind == EntityKind::Business; });
    std::size_t invitable = 0;
    for (const TaxClient& client : batch.clients) {
        invitable +=
            static_cast<std::size_t>(std::count_if(client.people.begin(), client.people.end(), [](const Person& p) {
                return p.email_status == EmailStatus::Usable;
            }));
    }
    out << "\nwould import: " << batch.clients.size() << " client(s) ("
        << batch.clients.size() - static_cast<std::size_t>(businesses) << " individual, " << businesses
        << " business), " << invitable << " person(s) with a usable email, " << batch.problems.size()
        << " problem(s)\n";
    for (const auto& file : batch.files) {
        out << "  " << file.path.filename().string() << ": ";
        if (file.failed) {
            out << "not taken whole (see problems)\n";
        } else {
            out << file.encoding << ", " << file.rows << " row(s), " << file.imported << " client(s)\n";
        }
    }
    if (!batch.complete) out << "  (a file could not be taken: absences would not be counted)\n";
    if (ephemeral_key) {
        out << "  (no tax-id key in the state directory yet: ids made from tax ids differ from what the service will "
               "use)\n";
    }
    if (!batch.clients.empty()) out << "\nclients:\n";
    for (const TaxClient& client : batch.clients) {
        out << "  " << client.id.value() << "  " << to_string(client.kind) << "  " << client.display_name();
        if (client.entity_tax_id) out << "  EIN " << masked(client.entity_tax_id, "**-***");
        out << "  [" << people_summary(client) << "]  " << client.source.file << ":" << client.source.line << "\n";
    }
    if (!batch.problems.empty()) out << "\nproblems:\n";
    for (const auto& problem : batch.problems) {
        out << "  " << problem.file << ":" << problem.line << ": " << severity_word(problem.severity) << ": "
            << problem.reason << "\n";
    }
}

nlohmann::json connector_view_json(const ConnectorView& view) {
    nlohmann::json out{{"name", view.name}, {"type", view.type}, {"folder", view.folder.string()}};
    if (view.scan_error) {
        out["error"] = *view.scan_error;
        return out;
    }
    out["ready"] = nlohmann::json::array();
    for (const auto& file : view.state.ready) out["ready"].push_back(file_json(file));
    out["waiting"] = nlohmann::json::array();
    for (const auto& file : view.state.waiting) out["waiting"].push_back(file_json(file));
    out["ignored"] = nlohmann::json::array();
    for (const auto& file : view.skipped)
        out["ignored"].push_back({{"path", file.path.string()}, {"reason", file.reason}});
    if (!view.batch) return out;
    nlohmann::json clients = nlohmann::json::array();
    for (const TaxClient& client : view.batch->clients) {
        nlohmann::json people = nlohmann::json::array();
        for (const Person& person : client.people) {
            people.push_back({{"role", to_string(person.role)},
                              {"name", person.display_name()},
                              {"email", person.email},
                              {"email_status", to_string(person.email_status)},
                              {"tax_id_last4", person.tax_id ? person.tax_id->last4 : ""}});
        }
        clients.push_back({{"id", client.id.value()},
                           {"kind", to_string(client.kind)},
                           {"name", client.display_name()},
                           {"ein_last4", client.entity_tax_id ? client.entity_tax_id->last4 : ""},
                           {"people", people},
                           {"source", client.source.file + ":" + std::to_string(client.source.line)}});
    }
    out["clients"] = clients;
    out["complete"] = view.batch->complete;
    nlohmann::json problems = nlohmann::json::array();
    for (const auto& problem : view.batch->problems) {
        problems.push_back({{"file", problem.file},
                            {"line", problem.line},
                            {"severity", severity_word(problem.severity)},
                            {"reason", problem.reason}});
    }
    out["problems"] = problems;
    return out;
}

}  // namespace taxsync::daemon
