#include "daemon/windows/service_entry.hpp"

#include <array>
#include <atomic>
#include <exception>

#include "daemon/windows/win32_text.hpp"

namespace taxsync::daemon::windows {

std::optional<ServiceCommand> translate_service_control(DWORD control) {
    switch (control) {
        case SERVICE_CONTROL_STOP:
        case SERVICE_CONTROL_SHUTDOWN:
        case SERVICE_CONTROL_PRESHUTDOWN: return ServiceCommand::Shutdown;
        case SERVICE_CONTROL_PARAMCHANGE: return ServiceCommand::Reload;
        default: return std::nullopt;
    }
}

void ServiceCommandRelay::connect(ServiceCommandSink sink) {
    const std::scoped_lock lock(mutex_);
    sink_ = std::move(sink);
    if (!sink_) return;
    for (const ServiceCommand command : waiting_) sink_(command);
    waiting_.clear();
}

void ServiceCommandRelay::disconnect() {
    const std::scoped_lock lock(mutex_);
    sink_ = nullptr;
}

void ServiceCommandRelay::deliver(ServiceCommand command) {
    const std::scoped_lock lock(mutex_);
    if (sink_) {
        sink_(command);
    } else {
        waiting_.push_back(command);
    }
}

DWORD relay_service_control(ServiceCommandRelay& relay, DWORD control) {
    if (control == SERVICE_CONTROL_INTERROGATE) return NO_ERROR;
    const std::optional<ServiceCommand> command = translate_service_control(control);
    if (!command) return ERROR_CALL_NOT_IMPLEMENTED;
    relay.deliver(*command);
    return NO_ERROR;
}

namespace {

// What ServiceMain needs; lives on run_windows_service's stack for as long as the dispatcher runs.
struct ServiceProcess {
    std::wstring name;
    ServiceBody body;
    ScmTiming timing;
    ServiceCommandRelay relay;
    bool started = false;
    bool handler_registered = false;
    int exit_code = 1;
    std::string message;
};

// The one piece of global state, forced by the Win32 API: ServiceMain gets no context pointer.
// run_windows_service points it at the ServiceProcess it owns before starting the dispatcher and
// clears it when the dispatcher has returned. The control handler does get a context pointer and
// uses that instead.
std::atomic<ServiceProcess*> running_service{nullptr};

DWORD WINAPI handle_control(DWORD control, DWORD /*event_type*/, void* /*event_data*/, void* context) {
    return relay_service_control(*static_cast<ServiceCommandRelay*>(context), control);
}

void WINAPI service_main(DWORD /*argc*/, wchar_t** /*argv*/) {
    ServiceProcess* const process = running_service.load();
    if (process == nullptr) return;
    process->started = true;
    const SERVICE_STATUS_HANDLE handle =
        RegisterServiceCtrlHandlerExW(process->name.c_str(), handle_control, &process->relay);
    if (handle == nullptr) {
        process->message = "cannot register the service control handler: " + describe_win32_error(GetLastError());
        return;
    }
    process->handler_registered = true;
    ScmServiceManager manager(scm_status_sink(handle), process->timing);
    int exit_code = 1;
    try {
        exit_code = process->body(manager, process->relay);
    } catch (const std::exception& error) {
        process->message = std::string("the service failed: ") + error.what();
    } catch (...) {
        process->message = "the service failed with an unknown exception";
    }
    process->relay.disconnect();
    process->exit_code = exit_code;
    // After this report the dispatcher returns and the process may end: `process` is not touched again.
    manager.stopped(exit_code);
}

}  // namespace

ServiceRun run_windows_service(std::wstring_view service_name, ServiceBody body, ScmTiming timing) {
    ServiceProcess process{std::wstring(service_name), std::move(body), timing, {}, false, false, 1, {}};
    ServiceProcess* expected = nullptr;
    if (!running_service.compare_exchange_strong(expected, &process)) {
        return {ServiceRunOutcome::Failed, 1, "a service already runs in this process"};
    }
    std::wstring table_name = process.name;  // the table wants a mutable string
    const std::array<SERVICE_TABLE_ENTRYW, 2> table{{{table_name.data(), service_main}, {nullptr, nullptr}}};
    const bool dispatched = StartServiceCtrlDispatcherW(table.data()) != FALSE;
    const DWORD error = dispatched ? NO_ERROR : GetLastError();
    running_service.store(nullptr);

    if (!dispatched && error == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
        return {ServiceRunOutcome::NotStartedByScm, 0, "not started by the service control manager"};
    }
    if (!dispatched) {
        return {ServiceRunOutcome::Failed, 1,
                "cannot connect to the service control manager: " + describe_win32_error(error)};
    }
    if (!process.started)
        return {ServiceRunOutcome::Failed, 1, "the service control manager never started the service"};
    if (!process.handler_registered) return {ServiceRunOutcome::Failed, 1, process.message};
    return {ServiceRunOutcome::Finished, process.exit_code, process.message};
}

}  // namespace taxsync::daemon::windows
