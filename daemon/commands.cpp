#include "daemon/commands.hpp"

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>

#include "connectors/registry.hpp"
#include "core/digest.hpp"
#include "daemon/application.hpp"
#include "daemon/command_support.hpp"
#include "daemon/config.hpp"
#include "daemon/connector_report.hpp"
#include "daemon/control_server.hpp"
#include "daemon/exit_codes.hpp"
#include "daemon/output.hpp"
#include "engine/verify.hpp"
#include "core/file.hpp"
#include "portal/smartvault/email_template.hpp"

namespace taxsync::daemon {

connectors::ConnectorRegistry builtin_registry() {
    connectors::ConnectorRegistry registry;
    connectors::register_builtin_connectors(registry);
    return registry;
}

std::optional<Config> load(const CommandContext& context, const connectors::ConnectorRegistry& registry) {
    auto config = load_config(context.config_file, environment_from_process(), registry);
    if (config.has_error()) {
        context.err << to_string(config.error());
        context.err << config.error().size() << " error(s) in the configuration; nothing was done.\n";
        return std::nullopt;
    }
    return std::move(config).value();
}

namespace {

// Loads the configuration, builds the application and runs `work` with it; a configuration error,
// a setup failure or a failure of the state database is reported once, here.
int with_application(const CommandContext& context, StateAccess access, const std::function<int(Application&)>& work) {
    const auto registry = builtin_registry();
    auto config = load(context, registry);
    if (!config) return exit_code::kError;
    auto app = Application::create(std::move(*config), registry, access);
    if (app.has_error()) {
        context.err << "taxsync: " << app.error().message << "\n";
        return exit_code::kError;
    }
    try {
        return work(**app);
    } catch (const sqlite::Error& error) {
        context.err << "taxsync: the state database failed: " << error.what() << "\n";
        return exit_code::kError;
    }
}

int report_plan(const CommandContext& context, const engine::CycleReport& report, const portal::Portal& portal) {
    const std::vector<std::string> limits = portal::limitations(portal.capabilities());
    if (context.json) {
        nlohmann::json plan = plan_json(report);
        plan["portal"] = {{"dialect", portal.dialect()}, {"limitations", limits}};
        context.out << plan.dump(2) << "\n";
    } else {
        print_plan(report, context.out);
        if (!report.plan.empty() && !limits.empty()) {
            context.out << "\nWhat the " << portal.dialect() << " portal does differently:\n";
            for (const auto& limit : limits) context.out << "  - " << limit << "\n";
        }
    }
    return report.plan.empty() ? exit_code::kOk : exit_code::kChangesPending;
}

}  // namespace

int run_once(const CommandContext& context) {
    return with_application(context, StateAccess::Exclusive, [&](Application& app) {
        if (app.config().service.mode == engine::Mode::Plan) {
            context.out << "mode = \"plan\" in [service]: nothing is sent. This is what a cycle would do:\n\n";
            report_plan(context, app.engine().run_cycle(engine::Mode::Stage, "once"), app.portal());
            return exit_code::kOk;
        }
        const engine::CycleReport report = app.engine().run_cycle(engine::Mode::Apply, "once");
        print_cycle(report, app.store().person_statuses(), context.out);
        if (report.stopped) return exit_code::kError;
        return report.has_problems() ? exit_code::kProblems : exit_code::kOk;
    });
}

int run_plan(const CommandContext& context) {
    return with_application(context, StateAccess::Shared, [&](Application& app) {
        return report_plan(context, app.engine().run_cycle(engine::Mode::Plan, "plan"), app.portal());
    });
}

int run_portal_template(const CommandContext& context, const std::optional<std::filesystem::path>& new_text) {
    std::optional<portal::EmailTemplate> wanted;
    if (new_text) {
        auto text = read_whole_file(*new_text);
        if (text.has_error()) {
            context.err << "taxsync: " << text.error().message << "\n";
            return exit_code::kError;
        }
        auto parsed = portal::smartvault::parse_email_template(*text, new_text->string());
        if (parsed.has_error()) {
            context.err << parsed.error().message << "\n";
            return exit_code::kError;
        }
        wanted = std::move(parsed).value();
    }
    return with_application(context, StateAccess::Shared, [&](Application& app) {
        portal::Portal& portal = app.portal();
        if (auto connected = portal.connect(); connected.has_error()) {
            context.err << "taxsync: " << connected.error().message << "\n";
            return exit_code::kError;
        }
        if (wanted) {
            if (auto set = portal.set_invitation_template(*wanted); set.has_error()) {
                context.err << "taxsync: " << set.error().message << "\n";
                return exit_code::kError;
            }
        }
        auto current = portal.invitation_template();
        if (current.has_error()) {
            context.err << "taxsync: " << current.error().message << "\n";
            return exit_code::kError;
        }
        if (context.json) {
            context.out << nlohmann::json{{"name", current->name}, {"subject", current->subject}, {"body", current->body}}
                               .dump(2)
                        << "\n";
        } else {
            if (wanted) context.out << "updated the " << current->name << " email template; it now reads:\n\n";
            context.out << portal::smartvault::format_email_template(*current);
        }
        return exit_code::kOk;
    });
}

int run_verify(const CommandContext& context, const std::string& client, bool repair) {
    return with_application(context, StateAccess::Shared, [&](Application& app) {
        store::Store& store = app.store();
        engine::ClientKeys keys;
        if (!client.empty()) {
            auto key = resolve_client(store, client);
            if (key.has_error()) {
                context.err << "taxsync: " << key.error().message << "\n";
                return exit_code::kError;
            }
            keys.push_back(*key);
        }
        if (!app.portal().capabilities().reads_access_back) {
            context.err << "taxsync: the " << app.portal().dialect() << " portal cannot read access back\n";
            return exit_code::kError;
        }
        if (auto connected = app.portal().connect(); connected.has_error()) {
            context.err << "taxsync: " << connected.error().message << "\n";
            return exit_code::kError;
        }
        const engine::VerifyReport report = engine::verify_access(store, app.portal(), keys);
        std::ostream& out = context.out;
        out << "Checked " << report.clients << " client(s): " << report.grants_checked << " grant(s) read back";
        if (report.grants_not_checkable > 0) {
            out << "; " << report.grants_not_checkable << " group membership(s) not checked (the portal offers no "
                << "read-back of members)";
        }
        out << ".\n";
        for (const auto& drift : report.drift) {
            out << "  drift: " << drift.connector.value() << ":" << drift.client.value() << " " << drift.email << " "
                << drift.found << "\n";
        }
        for (const auto& line : report.unmanaged) out << "  note: " << line << "\n";
        for (const auto& line : report.errors) out << "  not checked: " << line << "\n";
        if (report.drift.empty()) {
            out << (report.errors.empty() ? "The portal matches what taxsync granted.\n" : "");
            return report.errors.empty() ? exit_code::kOk : exit_code::kProblems;
        }
        if (!repair) {
            out << report.drift.size() << " grant(s) drifted. `taxsync verify";
            if (!client.empty()) out << " " << client;
            out << " --repair` has the next cycle put them back.\n";
            return exit_code::kProblems;
        }
        const std::size_t forgotten = engine::forget_drift(store, report);
        out << forgotten << " grant(s) will be put back by the next cycle (through the safety gate).\n";
        return exit_code::kOk;
    });
}

int run_status(const CommandContext& context) {
    const auto registry = builtin_registry();
    auto config = load(context, registry);
    if (!config) return exit_code::kError;
    SystemClock clock;
    auto store = open_store_for_reading(*config, clock);
    if (store.has_error()) {
        context.err << "taxsync: " << store.error().message << "\n";
        return exit_code::kError;
    }
    try {
        store::Store& state = **store;
        StatusView view{state.db().path().string(),
                        state.last_cycle(),
                        state.person_statuses(clock.now() - config->policy.invitations.valid_for),
                        state.outbox_counts(),
                        state.problems(),
                        state.held_cycle(),
                        state.reviews(),
                        {}};
        if (view.last_cycle && view.last_cycle->mode == "plan") view.staged = state.staged(view.last_cycle->id);
        if (context.json) {
            context.out << status_json(view).dump(2) << "\n";
        } else {
            print_status(view, context.out);
        }
        return exit_code::kOk;
    } catch (const sqlite::Error& error) {
        context.err << "taxsync: the state database failed: " << error.what() << "\n";
        return exit_code::kError;
    }
}

int run_config_check(const CommandContext& context) {
    const auto registry = builtin_registry();
    auto config = load(context, registry);
    if (!config) return exit_code::kError;
    // Let each connector check its own settings too, without touching the state directory.
    SystemClock clock;
    const TaxIdHasher validation_only(std::string(32, 'v'));
    const Logger quiet = Logger::null();
    int problems = 0;
    for (const auto& settings : config->connectors) {
        auto connector = registry.create(settings, {clock, validation_only, quiet});
        if (connector.has_error()) {
            context.err << context.config_file.string() << ": connector " << settings.name.value() << ": "
                        << connector.error().message << "\n";
            ++problems;
        }
    }
    if (problems > 0) return exit_code::kError;
    context.out << "configuration OK: " << config->file.string() << "\n"
                << "  state:     " << config->service.state_dir.string() << " (mode "
                << engine::to_string(config->service.mode) << ")\n"
                << "  portal:    " << config->portal.type << " at " << config->portal.base_url << ", client id "
                << config->portal.client_id << ", secret from " << config->portal.client_secret_from << "\n"
                << "  mapping:   entity \"" << config->rules.entity_name.source() << "\", role \"" << config->rules.role
                << "\", " << config->rules.folders.size() << " folder(s), " << config->rules.groups.size()
                << " group rule(s)\n";
    if (!config->rules.overrides.empty()) {
        context.out << "  overrides: " << config->rules.overrides.size() << " [[override]] table(s)\n";
    }
    if (config->rules.document_request.enabled) {
        context.out << "  requests:  a document request to each contact once per tax year\n";
    }
    for (const auto& settings : config->connectors) {
        std::error_code error;
        const bool exists = std::filesystem::is_directory(settings.folder, error);
        context.out << "  connector: " << settings.name.value() << " (" << settings.type << ") reads "
                    << settings.folder.string() << (exists ? "" : "  [warning: this folder does not exist yet]") << "\n";
    }
    return exit_code::kOk;
}

namespace {

/// What a read-only look needs: nothing is quarantined, and tax ids are hashed with the
/// installation's key when it exists (a throwaway one otherwise, so no key file is created).
struct ReadOnlyLook {
    SystemClock clock;
    std::unique_ptr<TaxIdHasher> tax_ids;
    bool ephemeral_key = false;
    Logger quiet = Logger::null();
};

std::optional<ConnectorView> look(const connectors::ConnectorRegistry& registry, ReadOnlyLook& env,
                                  connectors::ConnectorSettings settings, bool read, std::ostream& err) {
    settings.move_unreadable = false;
    auto connector = registry.create(settings, {env.clock, *env.tax_ids, env.quiet});
    if (connector.has_error()) {
        err << "taxsync: connector " << settings.name.value() << ": " << connector.error().message << "\n";
        return std::nullopt;
    }
    return inspect_connector(**connector, settings, read);
}

std::optional<int> prepare_read_only(const CommandContext& context, const Config& config, ReadOnlyLook& env) {
    auto key = read_tax_id_key(config.service.tax_id_key_file);
    if (key.has_error()) {
        context.err << "taxsync: " << key.error().message << "\n";
        return exit_code::kError;
    }
    env.ephemeral_key = !*key;
    env.tax_ids = std::make_unique<TaxIdHasher>(*key ? **key : to_hex(random_bytes(32)));
    return std::nullopt;
}

}  // namespace

int run_connector_list(const CommandContext& context) {
    const auto registry = builtin_registry();
    auto config = load(context, registry);
    if (!config) return exit_code::kError;
    ReadOnlyLook env;
    if (auto failed = prepare_read_only(context, *config, env)) return *failed;
    std::vector<ConnectorView> views;
    for (const auto& settings : config->connectors) {
        auto view = look(registry, env, settings, false, context.err);
        if (!view) return exit_code::kError;
        views.push_back(std::move(*view));
    }
    if (context.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& view : views) out.push_back(connector_view_json(view));
        context.out << out.dump(2) << "\n";
    } else {
        print_connector_list(views, context.out);
        context.out << "\nconnector types:";
        for (const auto* type : registry.list()) context.out << "\n  " << type->name << ": " << type->description;
        context.out << "\n";
    }
    return exit_code::kOk;
}

int run_connector_check(const CommandContext& context, const std::string& name) {
    const auto registry = builtin_registry();
    auto config = load(context, registry);
    if (!config) return exit_code::kError;
    const auto settings = std::find_if(config->connectors.begin(), config->connectors.end(),
                                       [&](const auto& s) { return s.name.value() == name; });
    if (settings == config->connectors.end()) {
        context.err << "taxsync: no connector named \"" << name << "\" in " << config->file.string() << "\n";
        return exit_code::kUsage;
    }
    ReadOnlyLook env;
    if (auto failed = prepare_read_only(context, *config, env)) return *failed;
    auto view = look(registry, env, *settings, true, context.err);
    if (!view) return exit_code::kError;
    if (context.json) {
        context.out << connector_view_json(*view).dump(2) << "\n";
    } else {
        print_connector_check(*view, env.ephemeral_key, context.out);
    }
    if (view->scan_error) return exit_code::kError;
    return view->batch && !view->batch->problems.empty() ? exit_code::kProblems : exit_code::kOk;
}

}  // namespace taxsync::daemon

namespace taxsync::daemon {

int run_ctl(const CommandContext& context, const std::string& command, const std::string& socket_override) {
    std::filesystem::path socket = socket_override;
    if (socket.empty()) {
        const auto registry = builtin_registry();
        if (auto config = load(context, registry)) {
            socket = config->service.control_socket;
        } else if (command == "reload") {
            context.err << "reload refused: the running service keeps its configuration.\n";
            return exit_code::kError;
        } else if (auto fallback = read_control_socket(context.config_file)) {
            context.err << "(the running service is not affected by these errors; asking it anyway)\n";
            socket = *fallback;
        } else {
            return exit_code::kError;
        }
    }
    auto reply = send_control_request(socket, {command, nlohmann::json::object()}, std::chrono::seconds(command == "reload" ? 120 : 15));
    if (reply.has_error()) {
        context.err << "taxsync: " << reply.error().message << "\n";
        return exit_code::kError;
    }
    if (context.json) {
        context.out << nlohmann::json{{"result", static_cast<int>(reply->result)},
                                      {"text", reply->text},
                                      {"arguments", reply->arguments}}
                           .dump(2)
                    << "\n";
    } else {
        (reply->result == ControlResult::Ok ? context.out : context.err) << reply->text << "\n";
    }
    switch (reply->result) {
        case ControlResult::Ok: return exit_code::kOk;
        case ControlResult::Unsupported: return exit_code::kUsage;
        case ControlResult::Error: return exit_code::kError;
    }
    return exit_code::kError;
}

}  // namespace taxsync::daemon
