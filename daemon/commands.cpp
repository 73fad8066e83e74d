#include "daemon/commands.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <ostream>

#include "connectors/registry.hpp"
#include "core/digest.hpp"
#include "daemon/application.hpp"
#include "daemon/config.hpp"
#include "daemon/connector_report.hpp"
#include "daemon/exit_codes.hpp"
#include "daemon/control_server.hpp"
#include "daemon/output.hpp"
#include "daemon/service.hpp"
#include "daemon/service_manager.hpp"

namespace taxsync::daemon {
namespace {

connectors::ConnectorRegistry builtin_registry() {
    connectors::ConnectorRegistry registry;
    connectors::register_builtin_connectors(registry);
    return registry;
}

std::optional<Config> load(const CommandContext& context, const connectors::ConnectorRegistry& registry) {
    auto config = load_config(context.config_file, environment_from_process(), registry);
    if (config.has_error()) {
        for (const ConfigError& error : config.error()) context.err << error.to_string() << "\n";
        context.err << config.error().size() << " error(s) in the configuration; nothing was done.\n";
        return std::nullopt;
    }
    return std::move(config).value();
}

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

int report_plan(const CommandContext& context, const engine::CycleReport& report) {
    if (context.json) {
        context.out << plan_json(report).dump(2) << "\n";
    } else {
        print_plan(report, context.out);
    }
    return report.plan.empty() ? exit_code::kOk : exit_code::kChangesPending;
}

}  // namespace

int run_once(const CommandContext& context) {
    return with_application(context, StateAccess::Exclusive, [&](Application& app) {
        if (app.config().service.mode == engine::Mode::Plan) {
            context.out << "mode = \"plan\" in [service]: nothing is sent. This is what a cycle would do:\n\n";
            report_plan(context, app.engine().run_cycle(engine::Mode::Plan, "once"));
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
        return report_plan(context, app.engine().run_cycle(engine::Mode::Plan, "plan"));
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
        StatusView view{((*store)->db().path()).string(), (*store)->last_cycle(), (*store)->person_statuses(),
                        (*store)->outbox_counts(), (*store)->problems()};
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

int run_service(const CommandContext& context) {
    const auto registry = builtin_registry();
    const std::unique_ptr<ServiceManager> manager = make_service_manager();
    Service service(context.config_file, registry, *manager, environment_from_process());
    return service.run();
}

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
