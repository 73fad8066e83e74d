#pragma once
// ServiceManager for the Windows service control manager (SCM).
//
// Start-up stays in SERVICE_START_PENDING, with a checkpoint that keeps advancing, until ready():
// the SCM (and whoever ran `sc start`) then knows the service really works, not merely that its
// process exists. Controls are accepted only once running, so a STOP never meets a half-built
// service. The SCM has no "reloading" state and no status line: a reload stays RUNNING, and the
// status text is kept for whoever asks.

#include <windows.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>

#include "daemon/service_manager.hpp"

namespace taxsync::daemon::windows {

/// Where a status report goes: SetServiceStatus in a service, a recorder in tests.
using ServiceStatusSink = std::function<void(const SERVICE_STATUS&)>;

/// The real sink, for a handle from RegisterServiceCtrlHandlerExW (which must not be closed).
ServiceStatusSink scm_status_sink(SERVICE_STATUS_HANDLE handle);

/// The controls a running taxsync accepts.
inline constexpr DWORD kAcceptedControlsWhenRunning =
    SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN | SERVICE_ACCEPT_PRESHUTDOWN | SERVICE_ACCEPT_PARAMCHANGE;

struct ScmTiming {
    /// How long the SCM waits for the next checkpoint before it considers the service hung.
    std::chrono::milliseconds start_wait_hint{30'000};
    std::chrono::milliseconds stop_wait_hint{30'000};
    /// While pending, the checkpoint also advances by itself this often (zero: never), but only for
    /// so long: a start or a stop that outlasts its limit has hung, and the SCM should get to say so.
    std::chrono::milliseconds progress_period{10'000};
    std::chrono::milliseconds start_limit{15 * 60'000};
    std::chrono::milliseconds stop_limit{60'000};
};

class ScmServiceManager final : public ServiceManager {
public:
    /// Reports SERVICE_START_PENDING, checkpoint 1, at once.
    explicit ScmServiceManager(ServiceStatusSink sink, ScmTiming timing = {});

    /// Start-up made progress (configuration read, store opened, ...): the next checkpoint.
    void starting_progress();
    /// A long shutdown made progress: the next STOP_PENDING checkpoint.
    void stopping_progress();

    void ready(std::string_view status) override;
    void reloading() override;
    void stopping() override;
    void status(std::string_view text) override;
    void watchdog() override {}
    /// The SCM does not watch a running service; failure actions restart it when it dies.
    [[nodiscard]] std::optional<std::chrono::microseconds> watchdog_interval() const override { return std::nullopt; }

    /// SERVICE_STOPPED with the exit code: 0 is NO_ERROR, anything else ERROR_SERVICE_SPECIFIC_ERROR
    /// carrying the code (what `sc query` shows and what failure actions react to). The last report:
    /// the SCM may end the process right after it.
    void stopped(int exit_code);

    [[nodiscard]] DWORD current_state() const;
    /// The last status() or ready() text.
    [[nodiscard]] std::string last_status() const;

private:
    void enter(DWORD state);
    void advance_checkpoint();
    void report();
    void keep_pending_alive(const std::stop_token& stop);

    ServiceStatusSink sink_;
    ScmTiming timing_;
    mutable std::mutex mutex_;
    std::condition_variable_any state_changed_;
    SERVICE_STATUS status_{};
    std::chrono::steady_clock::time_point pending_since_;
    unsigned transitions_ = 0;
    std::string last_status_;
    // Last, so it is stopped and joined before the members it uses go away.
    std::jthread progress_thread_;
};

}  // namespace taxsync::daemon::windows
