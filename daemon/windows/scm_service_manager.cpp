#include "daemon/windows/scm_service_manager.hpp"

namespace taxsync::daemon::windows {

ServiceStatusSink scm_status_sink(SERVICE_STATUS_HANDLE handle) {
    return [handle](const SERVICE_STATUS& status) {
        SERVICE_STATUS copy = status;  // SetServiceStatus takes a non-const pointer
        SetServiceStatus(handle, &copy);
    };
}

ScmServiceManager::ScmServiceManager(ServiceStatusSink sink, ScmTiming timing)
    : sink_(std::move(sink)), timing_(timing) {
    status_.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    status_.dwWin32ExitCode = NO_ERROR;
    {
        const std::scoped_lock lock(mutex_);
        enter(SERVICE_START_PENDING);
    }
    if (timing_.progress_period.count() > 0) {
        progress_thread_ = std::jthread([this](const std::stop_token& stop) { keep_pending_alive(stop); });
    }
}

void ScmServiceManager::starting_progress() {
    const std::scoped_lock lock(mutex_);
    if (status_.dwCurrentState == SERVICE_START_PENDING) advance_checkpoint();
}

void ScmServiceManager::stopping_progress() {
    const std::scoped_lock lock(mutex_);
    if (status_.dwCurrentState == SERVICE_STOP_PENDING) advance_checkpoint();
}

void ScmServiceManager::ready(std::string_view status) {
    const std::scoped_lock lock(mutex_);
    last_status_ = status;
    // Once stopping, there is no way back to running.
    if (status_.dwCurrentState == SERVICE_START_PENDING || status_.dwCurrentState == SERVICE_RUNNING) {
        enter(SERVICE_RUNNING);
    }
}

void ScmServiceManager::reloading() {}

void ScmServiceManager::stopping() {
    const std::scoped_lock lock(mutex_);
    if (status_.dwCurrentState == SERVICE_STOP_PENDING) {
        advance_checkpoint();
    } else if (status_.dwCurrentState != SERVICE_STOPPED) {
        enter(SERVICE_STOP_PENDING);
    }
}

void ScmServiceManager::status(std::string_view text) {
    const std::scoped_lock lock(mutex_);
    last_status_ = text;
}

void ScmServiceManager::stopped(int exit_code) {
    // The progress thread ends first, so nothing can be reported after SERVICE_STOPPED.
    progress_thread_.request_stop();
    if (progress_thread_.joinable()) progress_thread_.join();
    const std::scoped_lock lock(mutex_);
    if (status_.dwCurrentState == SERVICE_STOPPED) return;
    status_.dwWin32ExitCode = exit_code == 0 ? NO_ERROR : ERROR_SERVICE_SPECIFIC_ERROR;
    status_.dwServiceSpecificExitCode = static_cast<DWORD>(exit_code);
    enter(SERVICE_STOPPED);
}

DWORD ScmServiceManager::current_state() const {
    const std::scoped_lock lock(mutex_);
    return status_.dwCurrentState;
}

std::string ScmServiceManager::last_status() const {
    const std::scoped_lock lock(mutex_);
    return last_status_;
}

void ScmServiceManager::enter(DWORD state) {
    const bool pending = state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING;
    status_.dwCurrentState = state;
    status_.dwControlsAccepted = state == SERVICE_RUNNING ? kAcceptedControlsWhenRunning : 0;
    status_.dwCheckPoint = pending ? 1 : 0;
    const std::chrono::milliseconds hint = state == SERVICE_START_PENDING  ? timing_.start_wait_hint
                                           : state == SERVICE_STOP_PENDING ? timing_.stop_wait_hint
                                                                           : std::chrono::milliseconds(0);
    status_.dwWaitHint = static_cast<DWORD>(hint.count());
    pending_since_ = std::chrono::steady_clock::now();
    ++transitions_;
    report();
    state_changed_.notify_all();
}

void ScmServiceManager::advance_checkpoint() {
    ++status_.dwCheckPoint;
    report();
}

void ScmServiceManager::report() { sink_(status_); }

void ScmServiceManager::keep_pending_alive(const std::stop_token& stop) {
    std::unique_lock lock(mutex_);
    while (!stop.stop_requested() && status_.dwCurrentState != SERVICE_STOPPED) {
        const unsigned seen = transitions_;
        const auto changed = [this, seen] { return transitions_ != seen; };
        const DWORD state = status_.dwCurrentState;
        const bool pending = state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING;
        const auto limit = state == SERVICE_START_PENDING ? timing_.start_limit : timing_.stop_limit;
        const auto within_limit = [this, limit] { return std::chrono::steady_clock::now() - pending_since_ < limit; };
        if (!pending || !within_limit()) {
            state_changed_.wait(lock, stop, changed);
            continue;
        }
        if (state_changed_.wait_for(lock, stop, timing_.progress_period, changed) || stop.stop_requested()) continue;
        if (within_limit()) advance_checkpoint();
    }
}

}  // namespace taxsync::daemon::windows
