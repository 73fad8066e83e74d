#pragma once
// The administrator's commands (see admin_commands.cpp). Each returns the process exit status.

#include <string>

#include "daemon/commands.hpp"

namespace taxsync::daemon {

/// `taxsync approve [CYCLE]` / `taxsync reject [CYCLE]`; without a number, the held cycle.
int run_decide(const CommandContext& context, const std::string& cycle, bool approve);
/// `taxsync review list | link CLIENT ENTITY | ignore CLIENT | retry CLIENT`.
int run_review(const CommandContext& context, const std::string& action, const std::string& client,
               const std::string& entity);
/// `taxsync invite CLIENT [--resend]` or `taxsync invite --pending`.
int run_invite(const CommandContext& context, const std::string& client, bool resend, bool pending);
/// `taxsync explain CLIENT`.
int run_explain(const CommandContext& context, const std::string& client);
/// `taxsync audit [--client CLIENT] [--since DATE] [--csv]`.
int run_audit(const CommandContext& context, const std::string& client, const std::string& since, bool csv);

}  // namespace taxsync::daemon
