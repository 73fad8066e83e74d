#pragma once
// The subcommands. Each returns the process exit status (see exit_codes.hpp).

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

namespace taxsync::daemon {

struct CommandContext {
    std::filesystem::path config_file;
    bool json = false;
    std::ostream& out;
    std::ostream& err;
};

int run_once(const CommandContext& context);
int run_plan(const CommandContext& context);
int run_status(const CommandContext& context);
/// `taxsync verify [CLIENT] [--repair]`: read back the access taxsync granted and report drift.
int run_verify(const CommandContext& context, const std::string& client, bool repair);
int run_config_check(const CommandContext& context);
/// `taxsync portal template show | set FILE`: the portal's invitation email template (SmartVault's
/// User Activation), read and update only.
int run_portal_template(const CommandContext& context, const std::optional<std::filesystem::path>& new_text);
/// `taxsync connector list`: each configured connector's folder at a glance.
int run_connector_list(const CommandContext& context);
/// `taxsync connector check NAME`: what the connector sees and would import, and every problem;
/// read-only (nothing moved, stored or sent), so it runs beside the service.
int run_connector_check(const CommandContext& context, const std::string& name);
/// `taxsync run`: the long-running service, until SIGTERM or a stop from the service manager.
/// `as_windows_service` (`run --service`): started by the Windows service control manager; Linux
/// ignores it. (service_commands_posix.cpp, windows/service_commands_windows.cpp)
int run_service(const CommandContext& context, bool as_windows_service);
/// `taxsync service install | uninstall`: registers the Windows service; on Linux, says that the
/// package's systemd unit does that.
int run_service_install(const CommandContext& context);
int run_service_uninstall(const CommandContext& context);
/// `taxsync ctl COMMAND`: asks the running service over its control socket. The configuration is
/// read (and so validated) first: `ctl reload` refuses a broken file before the service sees it.
int run_ctl(const CommandContext& context, const std::string& command, const std::string& socket_override);

}  // namespace taxsync::daemon
