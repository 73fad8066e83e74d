// `taxsync run` and `taxsync service install | uninstall` on Windows (commands.hpp).

#include <memory>
#include <optional>
#include <ostream>

#include "connectors/registry.hpp"
#include "daemon/commands.hpp"
#include "daemon/config.hpp"
#include "daemon/exit_codes.hpp"
#include "daemon/service.hpp"
#include "daemon/service_manager.hpp"
#include "daemon/windows/event_log.hpp"
#include "daemon/windows/service_entry.hpp"
#include "daemon/windows/service_install.hpp"
#include "daemon/windows/win32_text.hpp"

namespace taxsync::daemon {
namespace {

constexpr std::wstring_view kServiceName = L"taxsync";

// The SCM's ServiceManager, plus the event log as the place for log lines: a service has no
// console, so its messages go to the Application log (source taxsync).
class EventLoggingServiceManager final : public ServiceManager {
public:
    EventLoggingServiceManager(windows::ScmServiceManager& scm, std::optional<windows::EventLogWriter> event_log)
        : scm_(scm), event_log_(std::make_shared<std::optional<windows::EventLogWriter>>(std::move(event_log))) {}

    void ready(std::string_view status) override { scm_.ready(status); }
    void reloading() override { scm_.reloading(); }
    void stopping() override { scm_.stopping(); }
    void status(std::string_view text) override { scm_.status(text); }
    void watchdog() override { scm_.watchdog(); }
    [[nodiscard]] std::optional<std::chrono::microseconds> watchdog_interval() const override {
        return scm_.watchdog_interval();
    }
    [[nodiscard]] LogLineWriter system_log() const override {
        if (!*event_log_) return {};
        // Shared: a logger may outlive this manager by a moment at shutdown.
        return [event_log = event_log_](LogLevel level, std::string_view line) {
            const auto event_level = level == LogLevel::Error     ? windows::EventLevel::Error
                                     : level == LogLevel::Warning ? windows::EventLevel::Warning
                                                                  : windows::EventLevel::Information;
            (void)(*event_log)->write(event_level, line);  // nowhere left to report a failure
        };
    }

private:
    windows::ScmServiceManager& scm_;
    std::shared_ptr<const std::optional<windows::EventLogWriter>> event_log_;
};

connectors::ConnectorRegistry builtin_registry() {
    connectors::ConnectorRegistry registry;
    connectors::register_builtin_connectors(registry);
    return registry;
}

int run_in_foreground(const CommandContext& context, const connectors::ConnectorRegistry& registry) {
    NoServiceManager manager;
    Service service(context.config_file, registry, manager, environment_from_process());
    return service.run();
}

}  // namespace

int run_service(const CommandContext& context, bool as_windows_service) {
    const auto registry = builtin_registry();
    if (!as_windows_service) return run_in_foreground(context, registry);

    const auto body = [&](windows::ScmServiceManager& scm, windows::ServiceCommandRelay& commands) {
        auto event_log = windows::EventLogWriter::open(kServiceName);
        EventLoggingServiceManager manager(
            scm, event_log.has_value() ? std::optional(std::move(event_log).value()) : std::nullopt);
        Service service(context.config_file, registry, manager, environment_from_process());
        // Stop, shutdown and preshutdown become the Shutdown that SIGTERM posts on Linux,
        // paramchange the Reload of SIGHUP.
        commands.connect([&service](ServiceCommand command) { service.post(command); });
        const int exit_code = service.run();
        commands.disconnect();
        return exit_code;
    };
    const windows::ServiceRun run = windows::run_windows_service(kServiceName, body);
    switch (run.outcome) {
        case windows::ServiceRunOutcome::Finished: return run.exit_code;
        case windows::ServiceRunOutcome::NotStartedByScm:
            context.err << "taxsync: run --service: not started by the service control manager; running in the "
                           "foreground instead (Ctrl+C stops)\n";
            return run_in_foreground(context, registry);
        case windows::ServiceRunOutcome::Failed: break;
    }
    context.err << "taxsync: cannot run as a service: " << run.message << "\n";
    return exit_code::kError;
}

int run_service_install(const CommandContext& context) {
    windows::ServiceInstallation installation;
    installation.executable = windows::current_executable();
    installation.config = context.config_file;
    auto installed = windows::install_service(installation);
    if (installed.has_error()) {
        context.err << "taxsync: " << installed.error().message << "\n";
        return exit_code::kError;
    }
    for (const std::string& skipped : installed->skipped_settings) {
        context.err << "warning: this system does not support " << skipped << "; left out\n";
    }
    context.out << "installed the service taxsync (stopped) for "
                << std::filesystem::absolute(context.config_file).string()
                << ".\nGrant NT SERVICE\\taxsync access to its files (docs/windows.md), then: sc.exe start taxsync\n";
    return exit_code::kOk;
}

int run_service_uninstall(const CommandContext& context) {
    if (auto removed = windows::uninstall_service(kServiceName); removed.has_error()) {
        context.err << "taxsync: " << removed.error().message << "\n";
        return exit_code::kError;
    }
    context.out << "removed the service taxsync; its state folder, configuration and secret file are kept\n";
    return exit_code::kOk;
}

}  // namespace taxsync::daemon
