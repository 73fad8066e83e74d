#pragma once
// Running as a Windows service: the dispatcher, ServiceMain, and the control handler.
//
// The control handler runs on the dispatcher's thread and must return quickly, so it only turns
// an SCM control into a ServiceCommand and hands it to whatever sink the service body connected
// (which posts it to the event loop). Shutdown then takes the same path as SIGTERM or
// `taxsync ctl`; the body reports STOP_PENDING itself through ServiceManager::stopping().

#include <windows.h>

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/service_command.hpp"
#include "daemon/windows/scm_service_manager.hpp"

namespace taxsync::daemon::windows {

/// STOP, SHUTDOWN and PRESHUTDOWN are Shutdown, PARAMCHANGE is Reload; nothing else is a command.
std::optional<ServiceCommand> translate_service_control(DWORD control);

/// Carries commands from the control handler's thread to the service body. Thread-safe.
class ServiceCommandRelay {
public:
    /// From now on commands go to `sink`; commands that came before are delivered at once. `sink`
    /// is called with a lock held: it posts and returns, and never calls back into the relay.
    void connect(ServiceCommandSink sink);
    /// No call to the sink is running or will start once this returns (call it before the event
    /// loop the sink posts to goes away). Later commands wait for the next connect().
    void disconnect();
    void deliver(ServiceCommand command);

private:
    std::mutex mutex_;
    ServiceCommandSink sink_;
    std::vector<ServiceCommand> waiting_;
};

/// The control handler's whole job, as HandlerEx returns it: NO_ERROR for a control taken (and
/// for INTERROGATE, which the SCM answers from the last report), ERROR_CALL_NOT_IMPLEMENTED else.
DWORD relay_service_control(ServiceCommandRelay& relay, DWORD control);

/// The service itself. It calls manager.starting_progress() during start-up, connects a sink to
/// `commands` and calls manager.ready() once really started; it returns the exit code once a
/// Shutdown command has been carried out (after manager.stopping()). The SCM's STOPPED report
/// follows when it returns.
using ServiceBody = std::function<int(ScmServiceManager& manager, ServiceCommandRelay& commands)>;

enum class ServiceRunOutcome {
    Finished,         // ran as a service; exit_code is the body's
    NotStartedByScm,  // started from a console: run in the foreground instead
    Failed,           // the dispatcher or the handler registration failed; see message
};

struct ServiceRun {
    ServiceRunOutcome outcome = ServiceRunOutcome::Failed;
    int exit_code = 1;
    std::string message;
};

/// Connects to the SCM and runs `body` as the service `service_name` (blocks until it stopped).
/// One service per process; not re-entrant.
ServiceRun run_windows_service(std::wstring_view service_name, ServiceBody body, ScmTiming timing = {});

}  // namespace taxsync::daemon::windows
