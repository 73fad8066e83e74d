// `taxsync run` and `taxsync service` on Linux (commands.hpp).

#include <memory>
#include <ostream>

#include "connectors/registry.hpp"
#include "daemon/commands.hpp"
#include "daemon/config.hpp"
#include "daemon/exit_codes.hpp"
#include "daemon/service.hpp"
#include "daemon/service_manager.hpp"

namespace taxsync::daemon {

int run_service(const CommandContext& context, bool /*as_windows_service*/) {
    connectors::ConnectorRegistry registry;
    connectors::register_builtin_connectors(registry);
    const std::unique_ptr<ServiceManager> manager = make_service_manager();
    Service service(context.config_file, registry, *manager, environment_from_process());
    return service.run();
}

namespace {

int service_command_elsewhere(const CommandContext& context) {
    context.err << "taxsync service install | uninstall registers the Windows service. On Linux the package "
                   "installs the systemd unit taxsync.service: systemctl enable --now taxsync (docs/systemd.md).\n";
    return exit_code::kUsage;
}

}  // namespace

int run_service_install(const CommandContext& context) { return service_command_elsewhere(context); }
int run_service_uninstall(const CommandContext& context) { return service_command_elsewhere(context); }

}  // namespace taxsync::daemon
