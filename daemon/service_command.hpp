#pragma once
// What the outside world can ask of the running service, whatever it came through: a signal
// (SIGTERM, SIGHUP), a Windows service control (STOP, PARAMCHANGE), or the control channel.
// Every source turns its own event into one of these and hands it to the event loop, so the
// service has one command path.

#include <functional>
#include <string_view>

namespace taxsync::daemon {

enum class ServiceCommand { Shutdown, Reload, SyncNow, Pause, Resume };

/// Where a command source delivers commands. It may be called on any thread; an implementation
/// posts to the event loop and returns at once.
using ServiceCommandSink = std::function<void(ServiceCommand)>;

constexpr std::string_view to_string(ServiceCommand command) {
    switch (command) {
        case ServiceCommand::Shutdown: return "shutdown";
        case ServiceCommand::Reload: return "reload";
        case ServiceCommand::SyncNow: return "sync-now";
        case ServiceCommand::Pause: return "pause";
        case ServiceCommand::Resume: return "resume";
    }
    return "unknown";
}

}  // namespace taxsync::daemon
