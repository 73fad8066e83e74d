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

}  // namespace taxsync::daemon
