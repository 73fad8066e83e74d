#include "daemon/windows/service_install.hpp"

#include <windows.h>

#include <array>
#include <thread>
#include <vector>

#include "daemon/windows/event_log.hpp"
#include "daemon/windows/unique_handle.hpp"
#include "daemon/windows/win32_text.hpp"

namespace taxsync::daemon::windows {
namespace {

using namespace std::chrono_literals;

// Restarts after a crash or a non-zero exit; the count starts over after a day without failures.
constexpr std::array<std::chrono::milliseconds, 3> kRestartDelays{10s, 60s, 300s};
constexpr DWORD kFailureCountResetSeconds = 24 * 60 * 60;

Unexpected<Error> scm_failure(std::string_view what, DWORD code) {
    if (code == ERROR_ACCESS_DENIED) {
        return fail(ErrorKind::Forbidden, std::string(what) +
                                              ": access denied. Run it as Administrator (in an "
                                              "elevated prompt: right-click, \"Run as administrator\").");
    }
    return win32_failure(what, code);
}

Expected<ServiceHandle> open_service_manager(DWORD access) {
    ServiceHandle manager(OpenSCManagerW(nullptr, nullptr, access));
    if (!manager) return scm_failure("cannot open the service control manager", GetLastError());
    return manager;
}

// One ChangeServiceConfig2W setting. A level this system does not know (ERROR_INVALID_LEVEL: never
// on Windows 10 or Server 2016, but wine lacks some) is noted in `skipped`, not fatal.
Status configure(SC_HANDLE service, DWORD level, void* info, std::string_view what, std::vector<std::string>& skipped) {
    if (ChangeServiceConfig2W(service, level, info) != FALSE) return ok();
    const DWORD code = GetLastError();
    if (code == ERROR_INVALID_LEVEL) {
        skipped.emplace_back(what);
        return ok();
    }
    return scm_failure("cannot set the service's " + std::string(what), code);
}

Status configure_service(SC_HANDLE service, const ServiceInstallation& installation,
                         std::vector<std::string>& skipped) {
    Status done = ok();
    const auto apply = [&](DWORD level, void* info, std::string_view what) {
        if (done.has_value()) done = configure(service, level, info, what, skipped);
    };

    std::wstring description = installation.description;
    SERVICE_DESCRIPTIONW description_info{description.data()};
    apply(SERVICE_CONFIG_DESCRIPTION, &description_info, "description");

    SERVICE_DELAYED_AUTO_START_INFO delayed{TRUE};
    apply(SERVICE_CONFIG_DELAYED_AUTO_START_INFO, &delayed, "delayed start");

    std::array<SC_ACTION, kRestartDelays.size()> actions{};
    for (std::size_t i = 0; i < actions.size(); ++i) {
        actions[i] = {SC_ACTION_RESTART, static_cast<DWORD>(kRestartDelays[i].count())};
    }
    SERVICE_FAILURE_ACTIONSW failure_actions{kFailureCountResetSeconds, nullptr, nullptr,
                                             static_cast<DWORD>(actions.size()), actions.data()};
    apply(SERVICE_CONFIG_FAILURE_ACTIONS, &failure_actions, "failure actions");
    // Without this flag only a crash counts as a failure; taxsync also fails by exiting non-zero.
    SERVICE_FAILURE_ACTIONS_FLAG on_exit_code{TRUE};
    apply(SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &on_exit_code, "failure actions on exit codes");

    SERVICE_PRESHUTDOWN_INFO preshutdown{static_cast<DWORD>(installation.preshutdown_timeout.count())};
    apply(SERVICE_CONFIG_PRESHUTDOWN_INFO, &preshutdown, "preshutdown timeout");

    // The service SID (NT SERVICE\<name>) in the process token, so ACLs that name it apply.
    SERVICE_SID_INFO sid_info{SERVICE_SID_TYPE_UNRESTRICTED};
    apply(SERVICE_CONFIG_SERVICE_SID_INFO, &sid_info, "service SID");
    return done;
}

Expected<SERVICE_STATUS_PROCESS> query_status(SC_HANDLE service) {
    SERVICE_STATUS_PROCESS status{};
    DWORD needed = 0;
    if (QueryServiceStatusEx(service, SC_STATUS_PROCESS_INFO, reinterpret_cast<BYTE*>(&status), sizeof(status),
                             &needed) == FALSE) {
        return scm_failure("cannot query the service", GetLastError());
    }
    return status;
}

Status stop_and_wait(SC_HANDLE service, std::chrono::milliseconds timeout) {
    auto status = query_status(service);
    if (status.has_error()) return unexpected(std::move(status).error());
    if (status->dwCurrentState == SERVICE_STOPPED) return ok();
    if (status->dwCurrentState != SERVICE_STOP_PENDING) {
        SERVICE_STATUS ignored{};
        if (ControlService(service, SERVICE_CONTROL_STOP, &ignored) == FALSE) {
            const DWORD error = GetLastError();
            // Still starting: it accepts STOP once it runs, so keep asking until the deadline.
            if (error != ERROR_SERVICE_CANNOT_ACCEPT_CTRL && error != ERROR_SERVICE_NOT_ACTIVE) {
                return scm_failure("cannot stop the service", error);
            }
        }
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(250ms);
        status = query_status(service);
        if (status.has_error()) return unexpected(std::move(status).error());
        if (status->dwCurrentState == SERVICE_STOPPED) return ok();
        if (status->dwCurrentState == SERVICE_RUNNING) {
            SERVICE_STATUS ignored{};
            ControlService(service, SERVICE_CONTROL_STOP, &ignored);
        }
    }
    return fail(ErrorKind::Unavailable,
                "the service did not stop within " +
                    std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) + " s");
}

}  // namespace

std::wstring service_command_line(const std::filesystem::path& executable, const std::filesystem::path& config) {
    return quote_command_line_argument(executable.native()) + L" --config " +
           quote_command_line_argument(config.native()) + L" run --service";
}

std::filesystem::path current_executable() {
    std::wstring buffer(MAX_PATH, L'\0');
    for (;;) {
        const DWORD length = GetModuleFileNameW(nullptr, buffer.data(), static_cast<DWORD>(buffer.size()));
        if (length == 0) return {};
        if (length < buffer.size()) {
            buffer.resize(length);
            return buffer;
        }
        buffer.resize(buffer.size() * 2);  // truncated: try a bigger buffer
    }
}

Expected<InstalledService> install_service(const ServiceInstallation& installation) {
    std::error_code error;
    const std::filesystem::path executable = std::filesystem::absolute(installation.executable, error);
    if (error || !std::filesystem::is_regular_file(executable, error)) {
        return fail(ErrorKind::InvalidInput,
                    "the program to install was not found: " + to_utf8(installation.executable.native()));
    }
    const std::filesystem::path config = std::filesystem::absolute(installation.config, error);
    if (error || !std::filesystem::is_regular_file(config, error)) {
        return fail(ErrorKind::InvalidInput,
                    "the configuration file " + to_utf8(installation.config.native()) +
                        " does not exist; write it first (see docs/configure.md), then install");
    }

    auto manager = open_service_manager(SC_MANAGER_CONNECT | SC_MANAGER_CREATE_SERVICE);
    if (manager.has_error()) return unexpected(std::move(manager).error());

    const std::wstring command_line = service_command_line(executable, config);
    const std::wstring account =
        installation.account.empty() ? L"NT SERVICE\\" + installation.name : installation.account;
    ServiceHandle service(CreateServiceW(manager->get(), installation.name.c_str(), installation.display_name.c_str(),
                                         SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START,
                                         SERVICE_ERROR_NORMAL, command_line.c_str(), nullptr, nullptr, nullptr,
                                         account.c_str(), nullptr));
    if (!service) {
        const DWORD code = GetLastError();
        if (code == ERROR_SERVICE_EXISTS || code == ERROR_DUPLICATE_SERVICE_NAME) {
            return fail(ErrorKind::Conflict, "a service named " + to_utf8(installation.name) +
                                                 " is already installed; run `taxsync service uninstall` first");
        }
        if (code == ERROR_SERVICE_MARKED_FOR_DELETE) {
            return fail(ErrorKind::Conflict, "the old " + to_utf8(installation.name) +
                                                 " service is still being deleted; close the Services window and "
                                                 "any `sc` session, then try again");
        }
        return scm_failure("cannot create the service " + to_utf8(installation.name), code);
    }

    InstalledService installed;
    Status configured = configure_service(service.get(), installation, installed.skipped_settings);
    if (configured.has_value()) configured = register_event_source(installation.name);
    if (configured.has_error()) {
        DeleteService(service.get());  // no half-configured service left behind
        return unexpected(std::move(configured).error());
    }
    return installed;
}

Status uninstall_service(std::wstring_view name, std::chrono::milliseconds stop_timeout) {
    auto manager = open_service_manager(SC_MANAGER_CONNECT);
    if (manager.has_error()) return unexpected(std::move(manager).error());
    const std::wstring service_name(name);
    ServiceHandle service(
        OpenServiceW(manager->get(), service_name.c_str(), SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE));
    if (!service) {
        const DWORD code = GetLastError();
        if (code == ERROR_SERVICE_DOES_NOT_EXIST) {
            return fail(ErrorKind::NotFound, "no service named " + to_utf8(name) + " is installed");
        }
        return scm_failure("cannot open the service " + to_utf8(name), code);
    }
    const Status stopped = stop_and_wait(service.get(), stop_timeout);
    if (DeleteService(service.get()) == FALSE) {
        const DWORD code = GetLastError();
        if (code != ERROR_SERVICE_MARKED_FOR_DELETE)
            return scm_failure("cannot delete the service " + to_utf8(name), code);
    }
    if (stopped.has_error()) {
        return fail(stopped.error().kind,
                    stopped.error().message + "; it is marked for deletion and disappears once it has stopped");
    }
    return unregister_event_source(name);
}

}  // namespace taxsync::daemon::windows
