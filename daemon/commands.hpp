#pragma once
// The subcommands. Each returns the process exit status (see exit_codes.hpp).

#include <filesystem>
#include <iosfwd>

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
int run_config_check(const CommandContext& context);
/// `taxsync connector list`: each configured connector's folder at a glance.
int run_connector_list(const CommandContext& context);
/// `taxsync connector check NAME`: what the connector sees and would import, and every problem;
/// read-only (nothing moved, stored or sent), so it runs beside the service.
int run_connector_check(const CommandContext& context, const std::string& name);
/// `taxsync run`: the long-running service, until SIGTERM or a stop from the service manager.
int run_service(const CommandContext& context);
/// `taxsync ctl COMMAND`: asks the running service over its control socket. The configuration is
/// read (and so validated) first: `ctl reload` refuses a broken file before the service sees it.
int run_ctl(const CommandContext& context, const std::string& command, const std::string& socket_override);

}  // namespace taxsync::daemon
