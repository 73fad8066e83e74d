// Checks for daemon/windows/, run under wine by the CTest test windows.cross_compile_and_wine.
// No test framework is available for mingw in Debian, so this is one program that prints one line
// per check and ends with a summary; it returns non-zero when any check failed.
//
// Started as `<exe> --config <journal> run --service` it is instead the service that the SCM check
// installs and starts: it writes what happens to it into <journal> for the parent to read.

#include <windows.h>
// After windows.h:
#include <aclapi.h>
#include <sddl.h>
#include <shellapi.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "connectors/child_process.hpp"
#include "core/base64.hpp"
#include "core/digest.hpp"
#include "daemon/config.hpp"
#include "daemon/control_protocol.hpp"
#include "daemon/platform.hpp"
#include "daemon/service_command.hpp"
#include "daemon/state_lock.hpp"
#include "daemon/windows/directory_watcher.hpp"
#include "daemon/windows/event_log.hpp"
#include "daemon/windows/named_pipe_control.hpp"
#include "daemon/windows/scm_service_manager.hpp"
#include "daemon/windows/service_entry.hpp"
#include "daemon/windows/service_install.hpp"
#include "daemon/windows/unique_handle.hpp"
#include "daemon/windows/win32_text.hpp"
#include "portal/winhttp_http_client.hpp"

namespace {

using namespace std::chrono_literals;
using namespace taxsync::daemon;
using namespace taxsync::daemon::windows;
namespace asio = boost::asio;
namespace fs = std::filesystem;

constexpr std::wstring_view kTestServiceName = L"taxsync-wine-test";
constexpr int kTestServiceExitCode = 3;

class Checks {
public:
    void check(bool passed, const std::string& what) {
        ++run_;
        if (!passed) ++failed_;
        std::printf("%s - %s\n", passed ? "ok" : "FAIL", what.c_str());
        std::fflush(stdout);
    }
    void note(const std::string& text) {
        std::printf("# %s\n", text.c_str());
        std::fflush(stdout);
    }
    void section(const std::string& name) {
        const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_);
        note("== " + name + " (at " + std::to_string(elapsed.count()) + " ms)");
    }
    [[nodiscard]] int summary() const {
        if (failed_ == 0) {
            std::printf("windows_test: all %d checks passed\n", run_);
            return 0;
        }
        std::printf("windows_test: %d of %d checks FAILED\n", failed_, run_);
        return 1;
    }

private:
    using Clock = std::chrono::steady_clock;
    Clock::time_point started_ = Clock::now();
    int run_ = 0;
    int failed_ = 0;
};

// Some checks only hold on Windows itself; under wine they become notes.
bool under_wine() { return GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "wine_get_version") != nullptr; }

// Waits until `condition` holds or `timeout` passed; true when it held.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

// An io_context running on a thread of its own, as in the service.
class EventLoop {
public:
    EventLoop() : work_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
    ~EventLoop() {
        work_.reset();
        io_.stop();
        thread_.join();
    }
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;
    EventLoop(EventLoop&&) = delete;
    EventLoop& operator=(EventLoop&&) = delete;

    asio::io_context& io() { return io_; }
    [[nodiscard]] std::thread::id thread_id() const { return thread_.get_id(); }

    /// Runs `work` on the loop's thread and waits for it.
    template <class Work>
    auto run(Work work) -> decltype(work()) {
        std::packaged_task<decltype(work())()> task(std::move(work));
        auto result = task.get_future();
        asio::post(io_, [&task] { task(); });
        return result.get();
    }

private:
    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    std::thread thread_;
};

fs::path unique_temp_path(std::wstring_view stem) {
    return fs::temp_directory_path() / (std::wstring(stem) + L"-" + std::to_wstring(GetCurrentProcessId()));
}

void write_file(const fs::path& path, std::string_view text, std::ios::openmode mode = std::ios::trunc) {
    std::ofstream out(path, std::ios::binary | mode);
    out << text;
}

// --- service control translation --------------------------------------------------------------

void check_control_translation(Checks& checks) {
    checks.section("SCM controls become commands; the handler only relays");
    checks.check(translate_service_control(SERVICE_CONTROL_STOP) == ServiceCommand::Shutdown, "STOP is Shutdown");
    checks.check(translate_service_control(SERVICE_CONTROL_SHUTDOWN) == ServiceCommand::Shutdown,
                 "SHUTDOWN is Shutdown");
    checks.check(translate_service_control(SERVICE_CONTROL_PRESHUTDOWN) == ServiceCommand::Shutdown,
                 "PRESHUTDOWN is Shutdown");
    checks.check(translate_service_control(SERVICE_CONTROL_PARAMCHANGE) == ServiceCommand::Reload,
                 "PARAMCHANGE is Reload");
    checks.check(!translate_service_control(SERVICE_CONTROL_PAUSE), "PAUSE is no command");
    checks.check(!translate_service_control(SERVICE_CONTROL_INTERROGATE), "INTERROGATE is no command");
    checks.check(!translate_service_control(200), "a user-defined control is no command");

    ServiceCommandRelay relay;
    std::vector<ServiceCommand> received;
    checks.check(relay_service_control(relay, SERVICE_CONTROL_PARAMCHANGE) == NO_ERROR, "PARAMCHANGE is taken");
    checks.check(relay_service_control(relay, SERVICE_CONTROL_PAUSE) == ERROR_CALL_NOT_IMPLEMENTED,
                 "PAUSE is refused with ERROR_CALL_NOT_IMPLEMENTED");
    checks.check(relay_service_control(relay, SERVICE_CONTROL_INTERROGATE) == NO_ERROR, "INTERROGATE is answered");
    relay.connect([&received](ServiceCommand command) { received.push_back(command); });
    checks.check(received == std::vector{ServiceCommand::Reload},
                 "a command that came before connect() is delivered by it");
    checks.check(relay_service_control(relay, SERVICE_CONTROL_STOP) == NO_ERROR, "STOP is taken");
    checks.check(received == std::vector{ServiceCommand::Reload, ServiceCommand::Shutdown}, "STOP reaches the sink");
    relay.disconnect();
    relay.deliver(ServiceCommand::SyncNow);
    checks.check(received.size() == 2, "after disconnect() the sink is not called");
    relay.connect([&received](ServiceCommand command) { received.push_back(command); });
    checks.check(received.size() == 3 && received.back() == ServiceCommand::SyncNow,
                 "and the command waits for the next sink");
    checks.check(to_string(ServiceCommand::SyncNow) == "sync-now", "commands have the control protocol's names");
}

// --- ScmServiceManager against a recording SetServiceStatus ------------------------------------

class StatusRecorder {
public:
    ServiceStatusSink sink() {
        return [this](const SERVICE_STATUS& status) {
            const std::scoped_lock lock(mutex_);
            reports_.push_back(status);
        };
    }
    std::vector<SERVICE_STATUS> reports() const {
        const std::scoped_lock lock(mutex_);
        return reports_;
    }
    SERVICE_STATUS last() const {
        const std::scoped_lock lock(mutex_);
        return reports_.empty() ? SERVICE_STATUS{} : reports_.back();
    }
    std::size_t count() const {
        const std::scoped_lock lock(mutex_);
        return reports_.size();
    }

private:
    mutable std::mutex mutex_;
    std::vector<SERVICE_STATUS> reports_;
};

bool checkpoints_increase(const std::vector<SERVICE_STATUS>& reports, DWORD state) {
    DWORD previous = 0;
    for (const SERVICE_STATUS& report : reports) {
        if (report.dwCurrentState != state) continue;
        if (report.dwCheckPoint <= previous) return false;
        previous = report.dwCheckPoint;
    }
    return previous > 0;
}

void check_scm_service_manager(Checks& checks) {
    checks.section("ScmServiceManager reports through a recording SetServiceStatus");
    StatusRecorder recorder;
    ScmTiming timing;
    timing.start_wait_hint = 4000ms;
    timing.stop_wait_hint = 5000ms;
    timing.progress_period = 40ms;
    timing.start_limit = 400ms;
    timing.stop_limit = 400ms;
    ScmServiceManager manager(recorder.sink(), timing);

    SERVICE_STATUS first = recorder.reports().front();
    checks.check(first.dwCurrentState == SERVICE_START_PENDING && first.dwCheckPoint == 1,
                 "construction reports START_PENDING, checkpoint 1");
    checks.check(first.dwControlsAccepted == 0, "no control is accepted while starting");
    checks.check(first.dwWaitHint == 4000, "the start wait hint is reported");
    checks.check(first.dwServiceType == SERVICE_WIN32_OWN_PROCESS, "the service type is WIN32_OWN_PROCESS");
    manager.starting_progress();
    checks.check(recorder.last().dwCurrentState == SERVICE_START_PENDING && recorder.last().dwCheckPoint >= 2,
                 "starting_progress() reports the next checkpoint");
    const std::size_t after_progress = recorder.count();
    checks.check(eventually([&] { return recorder.count() >= after_progress + 2; }, 2s),
                 "while starting, the checkpoint also advances by itself");
    std::this_thread::sleep_for(timing.start_limit + 300ms);
    const std::size_t at_limit = recorder.count();
    std::this_thread::sleep_for(200ms);
    checks.check(recorder.count() == at_limit, "past the start limit it stops advancing, so a hung start shows");
    checks.check(checkpoints_increase(recorder.reports(), SERVICE_START_PENDING), "start checkpoints only increase");

    manager.ready("watching 2 folders");
    SERVICE_STATUS running = recorder.last();
    checks.check(running.dwCurrentState == SERVICE_RUNNING, "ready() reports RUNNING");
    checks.check(running.dwControlsAccepted == (SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN |
                                                SERVICE_ACCEPT_PRESHUTDOWN | SERVICE_ACCEPT_PARAMCHANGE),
                 "running, it accepts STOP, SHUTDOWN, PRESHUTDOWN and PARAMCHANGE");
    checks.check(running.dwCheckPoint == 0 && running.dwWaitHint == 0, "running has no checkpoint and no wait hint");
    const std::size_t when_running = recorder.count();
    manager.reloading();
    manager.status("last cycle ok");
    manager.watchdog();
    std::this_thread::sleep_for(150ms);
    checks.check(recorder.count() == when_running,
                 "running, nothing is reported by itself, nor on reloading()/status()");
    checks.check(manager.last_status() == "last cycle ok", "the status text is kept");
    checks.check(!manager.watchdog_interval(), "the SCM has no watchdog");
    manager.ready("reloaded");
    checks.check(recorder.last().dwCurrentState == SERVICE_RUNNING, "ready() after a reload stays RUNNING");

    manager.stopping();
    SERVICE_STATUS stopping = recorder.last();
    checks.check(stopping.dwCurrentState == SERVICE_STOP_PENDING && stopping.dwCheckPoint == 1,
                 "stopping() reports STOP_PENDING, checkpoint 1");
    checks.check(stopping.dwControlsAccepted == 0 && stopping.dwWaitHint == 5000,
                 "stopping accepts no control and has the stop wait hint");
    manager.stopping_progress();
    checks.check(recorder.last().dwCheckPoint == 2, "stopping_progress() reports the next checkpoint");
    manager.ready("too late");
    checks.check(recorder.last().dwCurrentState == SERVICE_STOP_PENDING, "ready() while stopping changes nothing");
    manager.stopped(kTestServiceExitCode);
    SERVICE_STATUS stopped = recorder.last();
    checks.check(stopped.dwCurrentState == SERVICE_STOPPED, "stopped() reports STOPPED");
    checks.check(stopped.dwWin32ExitCode == ERROR_SERVICE_SPECIFIC_ERROR &&
                     stopped.dwServiceSpecificExitCode == DWORD{kTestServiceExitCode},
                 "a non-zero exit code is a service-specific error carrying the code");
    checks.check(checkpoints_increase(recorder.reports(), SERVICE_STOP_PENDING), "stop checkpoints only increase");
    const std::size_t final_count = recorder.count();
    manager.stopping();
    manager.ready("after the end");
    std::this_thread::sleep_for(100ms);
    checks.check(recorder.count() == final_count, "nothing is reported after STOPPED");

    StatusRecorder clean_recorder;
    ScmServiceManager clean(clean_recorder.sink(), timing);
    clean.stopping();
    clean.stopped(0);
    checks.check(clean_recorder.last().dwWin32ExitCode == NO_ERROR, "exit code 0 is NO_ERROR");
    checks.check(clean_recorder.reports().at(1).dwCurrentState == SERVICE_STOP_PENDING,
                 "a stop during start-up goes straight to STOP_PENDING");
}

// --- command lines ----------------------------------------------------------------------------

std::vector<std::wstring> split_command_line(const std::wstring& command_line) {
    int count = 0;
    wchar_t** words = CommandLineToArgvW(command_line.c_str(), &count);
    std::vector<std::wstring> result(words, words + count);
    LocalFree(static_cast<void*>(words));
    return result;
}

void check_command_lines(Checks& checks) {
    checks.section("command lines survive CommandLineToArgvW");
    const std::vector<std::wstring> samples{L"C:\\Program Files\\taxsync\\taxsync.exe",
                                            L"C:\\ProgramData\\taxsync\\",
                                            L"plain",
                                            L"",
                                            L"a \"quoted\" word",
                                            L"ends with two backslashes\\\\",
                                            L"back\\\\\"slash"};
    for (const std::wstring& sample : samples) {
        const auto words = split_command_line(L"program " + quote_command_line_argument(sample));
        checks.check(words.size() == 2 && words[1] == sample, "round trip: " + to_utf8(sample));
    }
    const std::wstring line =
        service_command_line(L"C:\\Program Files\\taxsync\\taxsync.exe", L"C:\\ProgramData\\taxsync\\taxsync.toml");
    checks.check(line ==
                     L"\"C:\\Program Files\\taxsync\\taxsync.exe\" --config "
                     L"\"C:\\ProgramData\\taxsync\\taxsync.toml\" run --service",
                 "the service command line is \"<exe>\" --config \"<config>\" run --service");
    checks.check(current_executable().filename() == L"taxsync_windows_test.exe",
                 "current_executable() finds this program");
}

// --- event log ----------------------------------------------------------------------------------

void check_event_log(Checks& checks) {
    checks.section("event log");
    const std::wstring source = std::wstring(kTestServiceName) + L"-events";
    const auto registered = register_event_source(source);
    checks.check(registered.has_value(), "register_event_source() writes the registration" +
                                             (registered.has_error() ? ": " + registered.error().message : ""));
    HKEY raw_key = nullptr;
    const std::wstring key_path = L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\" + source;
    const bool key_exists = RegOpenKeyExW(HKEY_LOCAL_MACHINE, key_path.c_str(), 0, KEY_READ, &raw_key) == ERROR_SUCCESS;
    const RegistryKey key(raw_key);
    checks.check(key_exists, "the source's registry key exists");
    if (key_exists) {
        std::wstring value(260, L'\0');
        DWORD size = static_cast<DWORD>(value.size() * sizeof(wchar_t));
        DWORD type = 0;
        RegQueryValueExW(key.get(), L"EventMessageFile", nullptr, &type, reinterpret_cast<BYTE*>(value.data()), &size);
        checks.check(type == REG_EXPAND_SZ && value.find(L"EventCreate.exe") != std::wstring::npos,
                     "its message file is EventCreate.exe");
    }
    auto writer = EventLogWriter::open(source);
    checks.check(writer.has_value(), "EventLogWriter::open() opens the source");
    if (writer.has_value()) {
        checks.check(writer->write(EventLevel::Information, "taxsync test: information").has_value(),
                     "an information event");
        checks.check(writer->write(EventLevel::Warning, "taxsync test: warning").has_value(), "a warning event");
        checks.check(writer->write(EventLevel::Error, std::string(40'000, 'x')).has_value(),
                     "an over-long error event is cut, not refused");
    }
    checks.check(unregister_event_source(source).has_value(), "unregister_event_source() removes it");
    HKEY gone = nullptr;
    checks.check(RegOpenKeyExW(HKEY_LOCAL_MACHINE, key_path.c_str(), 0, KEY_READ, &gone) == ERROR_FILE_NOT_FOUND,
                 "and the key is gone");
    checks.check(unregister_event_source(source).has_value(), "unregistering twice is fine");
}

// --- named pipe control channel -----------------------------------------------------------------

// A client that writes raw bytes, for what send_control_request() would never send.
class RawPipeClient {
public:
    explicit RawPipeClient(const std::wstring& name)
        : pipe_(CreateFileW(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING, 0, nullptr)) {}
    [[nodiscard]] bool connected() const { return pipe_.valid(); }
    [[nodiscard]] HANDLE handle() const { return pipe_.get(); }
    bool send(std::string_view bytes) {
        DWORD written = 0;
        return WriteFile(pipe_.get(), bytes.data(), static_cast<DWORD>(bytes.size()), &written, nullptr) != FALSE &&
               written == bytes.size();
    }
    /// The next line, or nullopt when the server closed the pipe first.
    std::optional<std::string> read_line() {
        for (;;) {
            if (const auto end = buffer_.find('\n'); end != std::string::npos) {
                std::string line = buffer_.substr(0, end);
                buffer_.erase(0, end + 1);
                return line;
            }
            std::array<char, 1024> chunk{};
            DWORD read = 0;
            if (ReadFile(pipe_.get(), chunk.data(), static_cast<DWORD>(chunk.size()), &read, nullptr) == FALSE ||
                read == 0) {
                return std::nullopt;
            }
            buffer_.append(chunk.data(), read);
        }
    }

private:
    KernelHandle pipe_;
    std::string buffer_;
};

bool dacl_names(PACL dacl, WELL_KNOWN_SID_TYPE type) {
    std::array<BYTE, SECURITY_MAX_SID_SIZE> sid{};
    DWORD size = sid.size();
    if (CreateWellKnownSid(type, nullptr, sid.data(), &size) == FALSE) return false;
    for (DWORD i = 0; i < dacl->AceCount; ++i) {
        void* ace = nullptr;
        if (GetAce(dacl, i, &ace) == FALSE) continue;
        auto* allowed = static_cast<ACCESS_ALLOWED_ACE*>(ace);
        if (allowed->Header.AceType == ACCESS_ALLOWED_ACE_TYPE && EqualSid(&allowed->SidStart, sid.data()) != FALSE) {
            return true;
        }
    }
    return false;
}

void check_pipe_dacl(Checks& checks, const RawPipeClient& client) {
    PACL dacl = nullptr;
    PSECURITY_DESCRIPTOR descriptor = nullptr;
    const DWORD result = GetSecurityInfo(client.handle(), SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION, nullptr, nullptr,
                                         &dacl, nullptr, &descriptor);
    const LocalMemory<void> owned(descriptor);
    checks.check(result == ERROR_SUCCESS && dacl != nullptr, "the pipe's DACL can be read");
    if (result != ERROR_SUCCESS || dacl == nullptr) return;
    checks.check(dacl->AceCount == 3,
                 "the DACL has exactly three entries (it has " + std::to_string(dacl->AceCount) + ")");
    checks.check(dacl_names(dacl, WinLocalSystemSid), "SYSTEM is allowed");
    checks.check(dacl_names(dacl, WinBuiltinAdministratorsSid), "Administrators are allowed");
    checks.check(!dacl_names(dacl, WinWorldSid) && !dacl_names(dacl, WinAuthenticatedUserSid) &&
                     !dacl_names(dacl, WinBuiltinUsersSid),
                 "Everyone, Authenticated Users and Users are not");
}

void check_named_pipe_control(Checks& checks) {
    checks.section("named-pipe control channel");
    const auto sid = current_account_sid();
    checks.check(sid.has_value() && sid->starts_with(L"S-1-"), "current_account_sid() gives a SID string");
    checks.check(control_pipe_sddl(L"S-1-5-80-1") == L"D:P(A;;GA;;;SY)(A;;GRGW;;;BA)(A;;GA;;;S-1-5-80-1)",
                 "the SDDL allows SYSTEM, Administrators and the server's account only");

    EventLoop loop;
    const std::wstring name = L"\\\\.\\pipe\\taxsync-test-" + std::to_wstring(GetCurrentProcessId());
    std::atomic<int> handled{0};
    std::atomic<bool> off_thread{false};
    const auto loop_thread = loop.thread_id();
    asio::steady_timer later(loop.io());
    ControlHandler handler = [&](const ControlRequest& request, std::function<void(ControlReply)> reply) {
        ++handled;
        if (std::this_thread::get_id() != loop_thread) off_thread = true;
        if (request.command == "status") {
            reply({ControlResult::Ok, "running", {{"state", "running"}, {"echo", request.arguments}}});
        } else if (request.command == "sync-now") {
            // Answers later, as a reload does.
            later.expires_after(50ms);
            later.async_wait([reply](const boost::system::error_code&) {
                reply({ControlResult::Ok, "a cycle starts now", nlohmann::json::object()});
            });
        } else if (request.command == "crash") {
            throw std::runtime_error("boom");
        } else {
            reply({ControlResult::Unsupported, "unknown command " + request.command, nlohmann::json::object()});
        }
    };
    NamedPipeControlServer server(loop.io(), handler);
    const auto listening = loop.run([&] { return server.listen(name); });
    checks.check(listening.has_value(),
                 "the server listens" + (listening.has_error() ? ": " + listening.error().message : ""));
    if (listening.has_error()) return;

    NamedPipeControlServer squatter(loop.io(), handler);
    const auto second = loop.run([&] { return squatter.listen(name); });
    if (second.has_value() && under_wine()) {
        checks.note("wine does not enforce FILE_FLAG_FIRST_PIPE_INSTANCE: a second server was not refused");
        loop.run([&] { squatter.stop(); });
    } else {
        checks.check(second.has_error() && second.error().kind == taxsync::ErrorKind::Conflict,
                     "a second server on the same name is refused (first-instance flag)" +
                         (second.has_error() ? ": " + second.error().message : ""));
    }

    const auto status = send_control_request(name, {"status", {{"verbose", true}}}, 5s);
    checks.check(status.has_value() && status->result == ControlResult::Ok && status->arguments["state"] == "running",
                 "status round-trips" + (status.has_error() ? ": " + status.error().message : ""));
    checks.check(status.has_value() && status->arguments["echo"]["verbose"] == true, "the request's arguments arrive");
    const auto sync = send_control_request(name, {"sync-now", nlohmann::json::object()}, 5s);
    checks.check(sync.has_value() && sync->text == "a cycle starts now", "a reply given later arrives");
    const auto unknown = send_control_request(name, {"fly", nlohmann::json::object()}, 5s);
    checks.check(unknown.has_value() && unknown->result == ControlResult::Unsupported,
                 "an unknown command is Unsupported");
    const auto crashed = send_control_request(name, {"crash", nlohmann::json::object()}, 5s);
    checks.check(crashed.has_value() && crashed->result == ControlResult::Error &&
                     crashed->text.find("boom") != std::string::npos,
                 "a handler that throws gives an Error reply");
    checks.check(!off_thread, "the handler runs on the io_context's thread");

    RawPipeClient raw(name);
    checks.check(raw.connected(), "a raw client connects");
    if (raw.connected()) {
        raw.send("this is not json\r\n\n{\"command\": \"status\"}\n");
        const auto malformed = raw.read_line();
        checks.check(malformed.has_value() && decode_reply(*malformed).result == ControlResult::Error,
                     "a malformed line gets an Error reply");
        const auto after = raw.read_line();
        checks.check(after.has_value() && decode_reply(*after).result == ControlResult::Ok,
                     "the connection survives it; a blank line is skipped; the next request is served");
        check_pipe_dacl(checks, raw);
    }
    RawPipeClient flood(name);
    if (flood.connected()) {
        flood.send(std::string(70'000, 'x'));
        const auto refused = flood.read_line();
        checks.check(refused.has_value() && decode_reply(*refused).result == ControlResult::Error,
                     "a line over 64 KiB gets an Error reply");
        checks.check(!flood.read_line(), "and the connection is closed");
    }

    std::vector<std::thread> clients;
    std::atomic<int> answered{0};
    for (int i = 0; i < 4; ++i) {
        clients.emplace_back([&] {
            if (const auto reply = send_control_request(name, {"status", nlohmann::json::object()}, 10s);
                reply.has_value() && reply->result == ControlResult::Ok) {
                ++answered;
            }
        });
    }
    for (auto& client : clients) client.join();
    checks.check(answered == 4, "four clients at once are all answered (" + std::to_string(answered.load()) + ")");

    loop.run([&] { server.stop(); });
    const int handled_before = handled;
    const auto after_stop = send_control_request(name, {"status", nlohmann::json::object()}, 2s);
    checks.check(after_stop.has_error() && after_stop.error().kind == taxsync::ErrorKind::Unavailable,
                 "after stop() a client hears that taxsync is not running" +
                     (after_stop.has_error() ? ": " + after_stop.error().message : ""));
    checks.check(handled == handled_before, "and the handler is not called again");
    const auto missing = send_control_request(L"\\\\.\\pipe\\taxsync-nobody-here", {"status", {}}, 1s);
    checks.check(missing.has_error() && missing.error().message.find("not running") != std::string::npos,
                 "a missing pipe says taxsync is not running");
}

// --- directory watcher --------------------------------------------------------------------------

void check_directory_watcher(Checks& checks) {
    checks.section("ReadDirectoryChangesW folder watcher");
    const fs::path watched = unique_temp_path(L"taxsync-watched");
    const fs::path elsewhere = unique_temp_path(L"taxsync-elsewhere");
    std::error_code ignored;
    fs::remove_all(watched, ignored);
    fs::remove_all(elsewhere, ignored);
    fs::create_directories(watched);
    fs::create_directories(elsewhere);

    EventLoop loop;
    std::atomic<int> changes{0};
    std::atomic<bool> off_thread{false};
    const auto loop_thread = loop.thread_id();
    auto watcher = make_native_watcher(loop.io());
    checks.check(watcher->kind() == "ReadDirectoryChangesW",
                 "make_native_watcher() is the ReadDirectoryChangesW watcher");
    const auto started = loop.run([&] {
        return watcher->start({watched}, [&] {
            if (std::this_thread::get_id() != loop_thread) off_thread = true;
            ++changes;
        });
    });
    checks.check(started.has_value(), "it starts" + (started.has_error() ? ": " + started.error().message : ""));
    if (started.has_error()) return;

    // Each step waits for its notification, lets the burst settle, then starts counting afresh.
    const auto expect_change = [&](const std::string& what, const std::function<void()>& act) {
        changes = 0;
        act();
        checks.check(eventually([&] { return changes > 0; }), what + " is noticed");
        std::this_thread::sleep_for(150ms);
    };
    write_file(elsewhere / "other.csv", "id\n1\n");
    std::this_thread::sleep_for(300ms);
    checks.check(changes == 0, "a file written in a folder not watched goes unnoticed");
    expect_change("a new file", [&] { write_file(watched / "clients.csv", "id,name\n"); });
    expect_change("a file written to", [&] { write_file(watched / "clients.csv", "1,Ann\n", std::ios::app); });
    expect_change("a rename within the folder",
                  [&] { fs::rename(watched / "clients.csv", watched / "clients-2024.csv"); });
    expect_change("a file moved in", [&] { fs::rename(elsewhere / "other.csv", watched / "moved-in.csv"); });
    expect_change("a deleted file", [&] { fs::remove(watched / "moved-in.csv"); });
    expect_change("a new subfolder", [&] { fs::create_directory(watched / "2024"); });
    checks.check(!off_thread, "on_change runs on the io_context's thread");

    const auto twice = loop.run([&] { return watcher->start({watched}, [] {}); });
    checks.check(twice.has_error(), "starting a running watcher is an error");
    loop.run([&] { watcher->stop(); });
    changes = 0;
    write_file(watched / "after-stop.csv", "id\n");
    std::this_thread::sleep_for(300ms);
    checks.check(changes == 0, "after stop() nothing is reported");

    auto missing = make_native_watcher(loop.io());
    const auto refused = loop.run([&] { return missing->start({watched / "no-such-folder"}, [] {}); });
    checks.check(refused.has_error() && refused.error().message.find("no-such-folder") != std::string::npos,
                 "a missing folder is an error naming it");
    loop.run([&] {
        watcher.reset();
        missing.reset();
    });
    fs::remove_all(watched, ignored);
    fs::remove_all(elsewhere, ignored);
}

// --- the service as the SCM runs it -------------------------------------------------------------

// Under wine the dispatcher takes about ten seconds to give up outside a service. It is not run
// alongside anything else: wine's dispatcher connects to the control pipe of whichever service
// services.exe started last, so while one is starting (wine's own, at boot, or ours) a console
// process can be taken for it.
void check_console_fallback(Checks& checks) {
    checks.section("not started by the SCM");
    const ServiceRun run =
        run_windows_service(kTestServiceName, [](ScmServiceManager&, ServiceCommandRelay&) { return 0; });
    checks.check(run.outcome == ServiceRunOutcome::NotStartedByScm,
                 "run_windows_service() from a console says so, for a foreground fallback (" + run.message + ")");
}

// What the test service does: start slowly, report progress, serve controls until Shutdown.
int run_as_test_service(const fs::path& journal_path) {
    std::mutex journal_mutex;
    const auto journal = [&](std::string_view line) {
        const std::scoped_lock lock(journal_mutex);
        write_file(journal_path, std::string(line) + "\n", std::ios::app);
    };
    ScmTiming timing;
    timing.progress_period = 100ms;
    const ServiceRun run = run_windows_service(
        kTestServiceName,
        [&](ScmServiceManager& manager, ServiceCommandRelay& commands) {
            journal("started");
            asio::io_context io;
            auto work = asio::make_work_guard(io);
            for (int step = 0; step < 4; ++step) {
                std::this_thread::sleep_for(150ms);  // start-up work: the parent should see START_PENDING
                manager.starting_progress();
            }
            commands.connect([&](ServiceCommand command) {
                asio::post(io, [&, command] {
                    journal(to_string(command));
                    if (command == ServiceCommand::Shutdown) {
                        manager.stopping();
                        work.reset();
                    }
                });
            });
            manager.ready("running");
            journal("ready");
            io.run();
            commands.disconnect();
            std::this_thread::sleep_for(200ms);  // shutdown work
            journal("stopped");
            return kTestServiceExitCode;
        },
        timing);
    journal("outcome " + std::to_string(static_cast<int>(run.outcome)) + " " + run.message);
    return run.exit_code;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Polls until the state is `wanted` (true) or the timeout passed; records every state seen.
bool wait_for_state(SC_HANDLE service, DWORD wanted, std::chrono::milliseconds timeout,
                    std::vector<SERVICE_STATUS_PROCESS>& seen) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        SERVICE_STATUS_PROCESS status{};
        DWORD needed = 0;
        if (QueryServiceStatusEx(service, SC_STATUS_PROCESS_INFO, reinterpret_cast<BYTE*>(&status), sizeof(status),
                                 &needed) == FALSE) {
            return false;
        }
        if (seen.empty() || seen.back().dwCurrentState != status.dwCurrentState ||
            seen.back().dwCheckPoint != status.dwCheckPoint) {
            seen.push_back(status);
        }
        if (status.dwCurrentState == wanted) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(10ms);
    }
}

template <class Info>
std::vector<BYTE> query_config2(SC_HANDLE service, DWORD level) {
    DWORD needed = 0;
    QueryServiceConfig2W(service, level, nullptr, 0, &needed);
    std::vector<BYTE> buffer(std::max<DWORD>(needed, sizeof(Info)) + 16);
    if (QueryServiceConfig2W(service, level, buffer.data(), static_cast<DWORD>(buffer.size()), &needed) == FALSE)
        return {};
    return buffer;
}

// A setting install_service() had to skip is a failure on Windows and a note under wine.
bool expect_setting(Checks& checks, const std::vector<std::string>& skipped, const std::string& setting) {
    if (std::find(skipped.begin(), skipped.end(), setting) == skipped.end()) return true;
    if (under_wine()) {
        checks.note("wine does not support the service setting \"" + setting + "\": not checked");
    } else {
        checks.check(false, "the service setting \"" + setting + "\" is supported");
    }
    return false;
}

void check_installed_configuration(Checks& checks, SC_HANDLE service, const fs::path& journal,
                                   const std::vector<std::string>& skipped) {
    DWORD needed = 0;
    QueryServiceConfigW(service, nullptr, 0, &needed);
    std::vector<BYTE> buffer(needed + 16);
    auto* config = reinterpret_cast<QUERY_SERVICE_CONFIGW*>(buffer.data());
    if (QueryServiceConfigW(service, config, static_cast<DWORD>(buffer.size()), &needed) == FALSE) {
        checks.check(false, "QueryServiceConfigW reads the installed service");
        return;
    }
    checks.check(config->dwStartType == SERVICE_AUTO_START, "it starts automatically");
    checks.check(config->dwServiceType == SERVICE_WIN32_OWN_PROCESS, "it runs in its own process");
    checks.check(std::wstring_view(config->lpBinaryPathName) == service_command_line(current_executable(), journal),
                 "its command line is \"<exe>\" --config \"<config>\" run --service");
    checks.check(std::wstring_view(config->lpServiceStartName) == L"NT SERVICE\\" + std::wstring(kTestServiceName),
                 "it runs as the virtual account NT SERVICE\\<name> (" + to_utf8(config->lpServiceStartName) + ")");

    if (expect_setting(checks, skipped, "description")) {
        const auto description = query_config2<SERVICE_DESCRIPTIONW>(service, SERVICE_CONFIG_DESCRIPTION);
        checks.check(
            !description.empty() &&
                std::wstring_view(reinterpret_cast<const SERVICE_DESCRIPTIONW*>(description.data())->lpDescription)
                        .find(L"client portal") != std::wstring_view::npos,
            "it has a description");
    }
    if (expect_setting(checks, skipped, "delayed start")) {
        const auto delayed =
            query_config2<SERVICE_DELAYED_AUTO_START_INFO>(service, SERVICE_CONFIG_DELAYED_AUTO_START_INFO);
        checks.check(
            !delayed.empty() &&
                reinterpret_cast<const SERVICE_DELAYED_AUTO_START_INFO*>(delayed.data())->fDelayedAutostart != FALSE,
            "its automatic start is delayed");
    }
    if (expect_setting(checks, skipped, "failure actions")) {
        const auto failure = query_config2<SERVICE_FAILURE_ACTIONSW>(service, SERVICE_CONFIG_FAILURE_ACTIONS);
        if (!failure.empty()) {
            const auto* actions = reinterpret_cast<const SERVICE_FAILURE_ACTIONSW*>(failure.data());
            const bool restarts = actions->cActions == 3 && actions->lpsaActions != nullptr &&
                                  actions->lpsaActions[0].Type == SC_ACTION_RESTART &&
                                  actions->lpsaActions[0].Delay == 10'000 && actions->lpsaActions[1].Delay == 60'000 &&
                                  actions->lpsaActions[2].Delay == 300'000;
            checks.check(restarts, "on failure it restarts after 10 s, 60 s and 5 min");
            checks.check(actions->dwResetPeriod == 24 * 60 * 60, "the failure count resets after a day");
        } else {
            const DWORD code = GetLastError();
            if (code == ERROR_INVALID_LEVEL && under_wine()) {
                checks.note("wine cannot read failure actions back: not checked");
            } else {
                checks.check(false, "its failure actions can be read: " + describe_win32_error(code));
            }
        }
    }
    expect_setting(checks, skipped, "failure actions on exit codes");
    expect_setting(checks, skipped, "service SID");
    if (expect_setting(checks, skipped, "preshutdown timeout")) {
        const auto preshutdown = query_config2<SERVICE_PRESHUTDOWN_INFO>(service, SERVICE_CONFIG_PRESHUTDOWN_INFO);
        checks.check(
            !preshutdown.empty() &&
                reinterpret_cast<const SERVICE_PRESHUTDOWN_INFO*>(preshutdown.data())->dwPreshutdownTimeout == 30'000,
            "its preshutdown timeout is 30 s");
    }
}

void check_real_service(Checks& checks) {
    checks.section("a real service under the SCM (wine's services.exe)");
    ServiceHandle manager(OpenSCManagerW(nullptr, nullptr, SC_MANAGER_ALL_ACCESS));
    if (!manager) {
        checks.note("no service control manager reachable (" + describe_win32_error(GetLastError()) +
                    "): the real-SCM checks are skipped");
        return;
    }
    (void)uninstall_service(kTestServiceName, 5s);  // a leftover from an interrupted run

    const fs::path journal = unique_temp_path(L"taxsync-service-journal");
    write_file(journal, "");
    ServiceInstallation installation;
    installation.name = kTestServiceName;
    installation.display_name = L"taxsync (test)";
    installation.executable = current_executable();
    installation.config = journal;
    const auto installed = install_service(installation);
    checks.check(installed.has_value(), "install_service() creates the service" +
                                            (installed.has_error() ? ": " + installed.error().message : ""));
    if (installed.has_error()) return;
    const auto again = install_service(installation);
    checks.check(again.has_error() && again.error().message.find("already installed") != std::string::npos,
                 "installing it twice says it is already installed");
    ServiceInstallation no_config = installation;
    no_config.config = journal.wstring() + L".missing";
    const auto refused = install_service(no_config);
    checks.check(refused.has_error() && refused.error().message.find("does not exist") != std::string::npos,
                 "a missing configuration file is refused before anything is created");

    ServiceHandle service(OpenServiceW(manager.get(), std::wstring(kTestServiceName).c_str(), SERVICE_ALL_ACCESS));
    checks.check(service.valid(), "the installed service can be opened");
    if (!service) return;
    check_installed_configuration(checks, service.get(), journal, installed->skipped_settings);

    const auto started_at = std::chrono::steady_clock::now();
    const bool started = StartServiceW(service.get(), 0, nullptr) != FALSE;
    checks.check(started, "StartServiceW starts it" + (started ? "" : ": " + describe_win32_error(GetLastError())));
    if (started) {
        std::vector<SERVICE_STATUS_PROCESS> seen;
        const bool running = wait_for_state(service.get(), SERVICE_RUNNING, 20s, seen);
        checks.note("running after " +
                    std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::steady_clock::now() - started_at)
                                       .count()) +
                    " ms; states seen: " + std::to_string(seen.size()));
        checks.check(running, "it reaches RUNNING");
        const auto pending = std::count_if(seen.begin(), seen.end(), [](const SERVICE_STATUS_PROCESS& status) {
            return status.dwCurrentState == SERVICE_START_PENDING;
        });
        checks.check(pending >= 2, "on the way it is START_PENDING with advancing checkpoints (" +
                                       std::to_string(pending) + " distinct checkpoints seen)");
        checks.check(!seen.empty() && seen.back().dwControlsAccepted == kAcceptedControlsWhenRunning,
                     "running, it accepts STOP, SHUTDOWN, PRESHUTDOWN and PARAMCHANGE");
        SERVICE_STATUS control_status{};
        checks.check(ControlService(service.get(), SERVICE_CONTROL_PARAMCHANGE, &control_status) != FALSE,
                     "PARAMCHANGE is accepted");
        checks.check(eventually([&] { return read_file(journal).find("reload\n") != std::string::npos; }),
                     "and reaches the service body as Reload");
        checks.check(ControlService(service.get(), SERVICE_CONTROL_STOP, &control_status) != FALSE, "STOP is accepted");
        seen.clear();
        const bool stopped = wait_for_state(service.get(), SERVICE_STOPPED, 20s, seen);
        checks.check(stopped, "it reaches STOPPED");
        if (stopped) {
            checks.check(seen.back().dwWin32ExitCode == ERROR_SERVICE_SPECIFIC_ERROR &&
                             seen.back().dwServiceSpecificExitCode == DWORD{kTestServiceExitCode},
                         "with the body's exit code as a service-specific error (" +
                             std::to_string(seen.back().dwWin32ExitCode) + ", " +
                             std::to_string(seen.back().dwServiceSpecificExitCode) + ")");
        }
        const std::string lines = read_file(journal);
        checks.check(lines.find("started\nready\nreload\nshutdown\nstopped\n") != std::string::npos,
                     "the service body saw: started, ready, reload, shutdown, stopped");
        // Written after run_windows_service() returned, which is after STOPPED was reported.
        checks.check(eventually([&] { return read_file(journal).find("outcome 0") != std::string::npos; }),
                     "run_windows_service() returned Finished");
    }

    // Uninstall a running service: it is stopped first, then deleted.
    const bool restarted = StartServiceW(service.get(), 0, nullptr) != FALSE;
    std::vector<SERVICE_STATUS_PROCESS> seen;
    checks.check(restarted && wait_for_state(service.get(), SERVICE_RUNNING, 20s, seen), "it starts again");
    service.reset();
    const auto uninstalled = uninstall_service(kTestServiceName, 20s);
    checks.check(uninstalled.has_value(), "uninstall_service() stops and deletes it" +
                                              (uninstalled.has_error() ? ": " + uninstalled.error().message : ""));
    const ServiceHandle gone(OpenServiceW(manager.get(), std::wstring(kTestServiceName).c_str(), SERVICE_QUERY_STATUS));
    checks.check(!gone && GetLastError() == ERROR_SERVICE_DOES_NOT_EXIST, "the service is gone");
    const auto twice = uninstall_service(kTestServiceName, 1s);
    checks.check(twice.has_error() && twice.error().message.find("no service named") != std::string::npos,
                 "uninstalling it again says it is not installed");
    std::error_code ignored;
    fs::remove(journal, ignored);
}

// core/digest.hpp over BCrypt: the published test vectors (FIPS 180-2, RFC 4231 case 2).
void check_bcrypt_digests(Checks& checks) {
    checks.section("BCrypt digests");
    checks.check(taxsync::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                 "SHA-256 of \"abc\"");
    taxsync::Sha256 pieces;
    pieces.update("a");
    pieces.update("bc");
    checks.check(pieces.finish_hex() == taxsync::sha256_hex("abc"), "incremental SHA-256 gives the same digest");
    checks.check(taxsync::hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
                     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                 "HMAC-SHA-256, RFC 4231 test case 2");
    const taxsync::HmacSha256 keyed("Jefe");
    checks.check(
        keyed.hex("what do ya want for nothing?") == taxsync::hmac_sha256_hex("Jefe", "what do ya want for nothing?") &&
            keyed.hex("what do ya want for nothing?") == keyed.hex("what do ya want for nothing?"),
        "HmacSha256 (the key hashed once, duplicated per value) equals the one-shot HMAC, every time");
    const std::string long_key(100, 'k');
    checks.check(taxsync::HmacSha256(long_key).hex("900417001") == taxsync::hmac_sha256_hex(long_key, "900417001") &&
                     taxsync::HmacSha256("").hex("x") == taxsync::hmac_sha256_hex("", "x"),
                 "HmacSha256 with a key longer than a block, and with an empty key");
    checks.check(taxsync::base64_encode("fo") == "Zm8=" && taxsync::base64_decode("Zm9v") == "foo" &&
                     !taxsync::base64_decode("Zm9="),
                 "base64 without OpenSSL");
    const std::string random = taxsync::random_bytes(32);
    checks.check(random.size() == 32 && random != taxsync::random_bytes(32), "random_bytes gives fresh bytes");
}

// What this program does when the run_program check below starts it as a child:
//   child echo ARGS...  prints ARGS joined by '|' on stdout, "to stderr" on stderr, exits 0
//   child fail          prints on stderr and exits 7
//   child sleep         sleeps for a minute (the run is ended by its timeout)
int run_as_child(const std::vector<std::wstring>& arguments) {
    const std::wstring& mode = arguments[2];
    if (mode == L"echo") {
        std::string joined;
        for (std::size_t i = 3; i < arguments.size(); ++i) joined += (i > 3 ? "|" : "") + to_utf8(arguments[i]);
        std::printf("%s\n", joined.c_str());
        std::fprintf(stderr, "to stderr\n");
        return 0;
    }
    if (mode == L"fail") {
        std::fprintf(stderr, "it failed\n");
        return 7;
    }
    if (mode == L"sleep") {
        std::this_thread::sleep_for(60s);
        return 0;
    }
    return 2;
}

// connectors/child_process.hpp over CreateProcessW, pipes and a job object (the exec connector).
void check_run_program(Checks& checks) {
    checks.section("run_program (exec connector)");
    const std::string self = current_executable().string();
    using taxsync::connectors::run_program;
    const auto echoed = run_program({self, "child", "echo", "two words", "a \"quote\"", "back\\slash\\", ""},
                                    fs::temp_directory_path(), 30s, 1 << 20);
    checks.check(echoed.has_value() && echoed->exit_code == 0 &&
                     echoed->out == "two words|a \"quote\"|back\\slash\\|\r\n" &&
                     echoed->err_tail.find("to stderr") != std::string::npos && !echoed->timed_out,
                 "stdout, stderr and the exit code of a program, its arguments quoted intact" +
                     (echoed.has_value() ? ": out " + echoed->out : ": " + echoed.error().message));
    const auto failed = run_program({self, "child", "fail"}, {}, 30s, 1 << 20);
    checks.check(
        failed.has_value() && failed->exit_code == 7 && failed->err_tail.find("it failed") != std::string::npos,
        "a failing program's exit code and stderr");
    const auto truncated = run_program({self, "child", "echo", std::string(100, 'x')}, {}, 30s, 10);
    checks.check(
        truncated.has_value() && truncated->output_truncated && truncated->out.empty() && truncated->exit_code == 0,
        "output over the limit is dropped and reported");
    const auto started = std::chrono::steady_clock::now();
    const auto slept = run_program({self, "child", "sleep"}, {}, 1500ms, 1 << 20);
    const auto took = std::chrono::steady_clock::now() - started;
    checks.check(slept.has_value() && slept->timed_out && !slept->exit_code && took < 20s,
                 "a program still running at its timeout is ended (took " +
                     std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()) + " ms)");
    const auto missing = run_program({"taxsync-no-such-program"}, {}, 5s, 1 << 20);
    checks.check(missing.has_error() && missing.error().message.find("cannot start taxsync-no-such-program") == 0,
                 "a program that does not exist: " + (missing.has_error() ? missing.error().message : "no error"));
}

// daemon/state_lock.hpp over LockFileEx, and daemon/platform.hpp's private files.
void check_state_lock_and_private_files(Checks& checks) {
    checks.section("state lock and private files");
    const fs::path dir = fs::temp_directory_path() / ("taxsync-lock-" + std::to_string(GetCurrentProcessId()));
    fs::create_directories(dir);
    {
        auto first = taxsync::daemon::StateLock::acquire(dir);
        checks.check(first.has_value(), "the first StateLock::acquire succeeds");
        auto second = taxsync::daemon::StateLock::acquire(dir);
        checks.check(
            second.has_error() && second.error().kind == taxsync::ErrorKind::Conflict &&
                second.error().message.find("pid " + std::to_string(GetCurrentProcessId())) != std::string::npos,
            "a second acquire is refused and names the holder's pid" +
                (second.has_error() ? ": " + second.error().message : std::string()));
    }
    checks.check(taxsync::daemon::StateLock::acquire(dir).has_value(), "the lock is free again once released");

    const fs::path key = dir / "key";
    const auto created = create_private_file(key, "secret\n");
    checks.check(created.has_value(), "create_private_file creates the file" +
                                          (created.has_error() ? ": " + created.error().message : std::string()));
    const auto again = create_private_file(key, "other\n");
    checks.check(again.has_error() && again.error().kind == taxsync::ErrorKind::Conflict,
                 "create_private_file refuses an existing file");
    const auto private_check = check_private_file(key, "key file");
    checks.check(private_check.has_value(),
                 "a file from create_private_file passes check_private_file" +
                     (private_check.has_error() ? ": " + private_check.error().message : std::string()));
    std::error_code ignored;
    fs::remove_all(dir, ignored);
}

// portal/winhttp_http_client.hpp: the same URL rules as the libcurl client, before any network.
void check_winhttp_rules(Checks& checks) {
    checks.section("WinHTTP client rules");
    taxsync::portal::WinHttpClient client({});
    const auto plain = client.send({"GET", "http://portal.example.com/x", {}, "", false});
    checks.check(plain.has_error() && plain.error().failure == taxsync::portal::TransportFailure::NotSent &&
                     plain.error().message.find("loopback") != std::string::npos,
                 "plain http:// to another host is refused, unsent");
    const auto refused = client.send({"GET", "http://127.0.0.1:1/x", {}, "", false});
    checks.check(refused.has_error() && refused.error().failure == taxsync::portal::TransportFailure::NotSent,
                 "a refused connection counts as not sent" +
                     (refused.has_error() ? ": " + refused.error().message : std::string()));
    taxsync::portal::HttpClientSettings with_ca;
    with_ca.ca_file = "C:\\ca.pem";
    const auto made = taxsync::portal::make_system_http_client(with_ca);
    checks.check(made.has_error() && made.error().message.find("certificate store") != std::string::npos,
                 "a ca_file is refused with a pointer to the Windows certificate store");
}

}  // namespace

int main() {
    int argc = 0;
    wchar_t** raw_arguments = CommandLineToArgvW(GetCommandLineW(), &argc);
    const std::vector<std::wstring> arguments(raw_arguments, raw_arguments + argc);
    LocalFree(static_cast<void*>(raw_arguments));
    // The command line install_service() gives the service: <exe> --config <journal> run --service
    if (arguments.size() == 5 && arguments[1] == L"--config" && arguments[3] == L"run" &&
        arguments[4] == L"--service") {
        return run_as_test_service(arguments[2]);
    }
    if (arguments.size() >= 3 && arguments[1] == L"child") return run_as_child(arguments);

    Checks checks;
    try {
        check_bcrypt_digests(checks);
        check_state_lock_and_private_files(checks);
        check_run_program(checks);
        check_winhttp_rules(checks);
        check_control_translation(checks);
        check_scm_service_manager(checks);
        check_command_lines(checks);
        check_event_log(checks);
        check_named_pipe_control(checks);
        check_directory_watcher(checks);
        check_console_fallback(checks);
        check_real_service(checks);
    } catch (const std::exception& error) {
        checks.check(false, std::string("no exception escapes: ") + error.what());
    }
    checks.section("done");
    return checks.summary();
}
