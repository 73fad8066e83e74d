// connectors/child_process.hpp on Windows: CreateProcessW with stdout and stderr on two pipes and
// stdin from NUL, inside a job object, so the deadline ends the program and whatever it started
// (the job allows no breakaway). The program inherits exactly those three handles.

#include <windows.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "connectors/child_process.hpp"
#include "core/windows/unique_handle.hpp"
#include "core/windows/win32_text.hpp"

namespace taxsync::connectors {
namespace {

using SteadyClock = std::chrono::steady_clock;
using win32::KernelHandle;
constexpr std::size_t kErrTail = 4096;

Unexpected<Error> last_error(std::string_view what) {
    return fail(ErrorKind::Io, std::string(what) + ": " + win32::describe_win32_error(GetLastError()));
}

std::wstring command_line(const std::vector<std::string>& argv) {
    std::wstring line;
    for (const std::string& argument : argv) {
        if (!line.empty()) line += L' ';
        line += win32::quote_command_line_argument(win32::to_wide(argument));
    }
    return line;
}

struct Pipe {
    KernelHandle read;   // ours
    KernelHandle write;  // the program's, inheritable
};

Expected<Pipe> make_pipe() {
    SECURITY_ATTRIBUTES inheritable{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
    HANDLE read = nullptr;
    HANDLE write = nullptr;
    if (CreatePipe(&read, &write, &inheritable, 0) == 0) return last_error("CreatePipe");
    Pipe pipe{KernelHandle(read), KernelHandle(write)};
    if (SetHandleInformation(pipe.read.get(), HANDLE_FLAG_INHERIT, 0) == 0) return last_error("SetHandleInformation");
    return pipe;
}

/// The attribute list that limits what the program inherits to `handles` (which must outlive it).
class InheritedHandles {
public:
    explicit InheritedHandles(std::vector<HANDLE>& handles) {
        SIZE_T size = 0;
        InitializeProcThreadAttributeList(nullptr, 1, 0, &size);
        storage_.resize(size);
        auto* list = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(storage_.data());
        if (InitializeProcThreadAttributeList(list, 1, 0, &size) == 0) return;
        initialized_ = true;
        ok_ = UpdateProcThreadAttribute(list, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, handles.data(),
                                        handles.size() * sizeof(HANDLE), nullptr, nullptr) != 0;
    }
    ~InheritedHandles() {
        if (initialized_) DeleteProcThreadAttributeList(list());
    }
    InheritedHandles(const InheritedHandles&) = delete;
    InheritedHandles& operator=(const InheritedHandles&) = delete;
    InheritedHandles(InheritedHandles&&) = delete;
    InheritedHandles& operator=(InheritedHandles&&) = delete;

    [[nodiscard]] bool ok() const { return ok_; }
    LPPROC_THREAD_ATTRIBUTE_LIST list() { return reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(storage_.data()); }

private:
    std::vector<char> storage_;
    bool initialized_ = false;
    bool ok_ = false;
};

/// A job that ends every process in it when its handle closes, and lets none break away.
Expected<KernelHandle> make_job() {
    KernelHandle job(CreateJobObjectW(nullptr, nullptr));
    if (!job) return last_error("CreateJobObject");
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    if (SetInformationJobObject(job.get(), JobObjectExtendedLimitInformation, &limits, sizeof limits) == 0) {
        return last_error("SetInformationJobObject");
    }
    return job;
}

/// What the two reader threads collect; each writes only its own fields until both are done.
struct Collected {
    std::mutex mutex;
    std::condition_variable changed;
    int streams_open = 2;
    std::string out;
    bool out_truncated = false;
    std::string err_tail;
};

void read_stream(HANDLE pipe, Collected& collected, bool is_stderr, std::size_t max_output) {
    std::vector<char> buffer(65536);
    std::string& into = is_stderr ? collected.err_tail : collected.out;
    DWORD got = 0;
    // Ends at end of stream (ERROR_BROKEN_PIPE once every writer is gone) or any other failure.
    while (ReadFile(pipe, buffer.data(), static_cast<DWORD>(buffer.size()), &got, nullptr) != 0 && got > 0) {
        if (is_stderr) {
            into.append(buffer.data(), got);
            if (into.size() > kErrTail) into.erase(0, into.size() - kErrTail);
        } else if (into.size() + got <= max_output) {
            into.append(buffer.data(), got);
        } else {
            collected.out_truncated = true;  // keep reading so the program is not blocked on a full pipe
        }
    }
    const std::scoped_lock lock(collected.mutex);
    --collected.streams_open;
    collected.changed.notify_all();
}

DWORD milliseconds_until(SteadyClock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
    return left <= 0 ? 0 : static_cast<DWORD>(std::min<long long>(left, INFINITE - 1));
}

}  // namespace

Expected<ProgramRun> run_program(const std::vector<std::string>& argv, const std::filesystem::path& directory,
                                 std::chrono::milliseconds timeout, std::size_t max_output) {
    if (argv.empty()) return fail(ErrorKind::InvalidInput, "no program to run");
    auto out = make_pipe();
    if (out.has_error()) return unexpected(out.error());
    auto err = make_pipe();
    if (err.has_error()) return unexpected(err.error());
    SECURITY_ATTRIBUTES inheritable{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
    KernelHandle nul(
        CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &inheritable, OPEN_EXISTING, 0, nullptr));
    if (!nul) return last_error("opening NUL");
    auto job = make_job();
    if (job.has_error()) return unexpected(job.error());

    std::vector<HANDLE> inherited{nul.get(), out->write.get(), err->write.get()};
    InheritedHandles attributes(inherited);
    if (!attributes.ok()) return last_error("UpdateProcThreadAttribute");
    STARTUPINFOEXW startup{};
    startup.StartupInfo.cb = sizeof startup;
    startup.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
    startup.StartupInfo.hStdInput = nul.get();
    startup.StartupInfo.hStdOutput = out->write.get();
    startup.StartupInfo.hStdError = err->write.get();
    startup.lpAttributeList = attributes.list();

    // Suspended until it is in the job, so nothing it starts can escape the deadline. The
    // program is looked up like Windows does (its name without .exe, then PATH).
    std::wstring line = command_line(argv);
    const std::wstring folder = directory.empty() ? std::wstring() : directory.wstring();
    PROCESS_INFORMATION started{};
    if (CreateProcessW(nullptr, line.data(), nullptr, nullptr, TRUE,
                       CREATE_SUSPENDED | CREATE_NO_WINDOW | EXTENDED_STARTUPINFO_PRESENT | CREATE_UNICODE_ENVIRONMENT,
                       nullptr, folder.empty() ? nullptr : folder.c_str(), &startup.StartupInfo, &started) == 0) {
        return fail(ErrorKind::Io, "cannot start " + argv[0] + ": " + win32::describe_win32_error(GetLastError()));
    }
    const KernelHandle process(started.hProcess);
    const KernelHandle thread(started.hThread);
    if (AssignProcessToJobObject(job->get(), process.get()) == 0) {
        const DWORD code = GetLastError();
        TerminateProcess(process.get(), 1);
        return fail(ErrorKind::Io,
                    "cannot start " + argv[0] + " in a job object: " + win32::describe_win32_error(code));
    }
    ResumeThread(thread.get());
    // Only the program holds the write ends now: their end of stream is the readers' end.
    out->write.reset();
    err->write.reset();
    nul.reset();

    ProgramRun run;
    Collected collected;
    {
        // Declared after the pipes and before the job's guard: on every way out, the job's
        // processes end first, then the readers (at end of stream) are joined, then the pipes close.
        std::jthread out_reader(read_stream, out->read.get(), std::ref(collected), false, max_output);
        std::jthread err_reader(read_stream, err->read.get(), std::ref(collected), true, max_output);
        const KernelHandle job_guard = std::move(*job);

        const auto deadline = SteadyClock::now() + timeout;
        bool streams_ended = false;
        {
            std::unique_lock lock(collected.mutex);
            streams_ended =
                collected.changed.wait_until(lock, deadline, [&collected] { return collected.streams_open == 0; });
        }
        run.timed_out =
            !streams_ended || WaitForSingleObject(process.get(), milliseconds_until(deadline)) != WAIT_OBJECT_0;
        if (run.timed_out) {
            TerminateJobObject(job_guard.get(), 1);
            WaitForSingleObject(process.get(), INFINITE);
        }
        out_reader.join();
        err_reader.join();
    }
    run.out = std::move(collected.out);
    run.output_truncated = collected.out_truncated;
    run.err_tail = std::move(collected.err_tail);
    if (run.timed_out) return run;
    DWORD code = 0;
    if (GetExitCodeProcess(process.get(), &code) == 0) return last_error("GetExitCodeProcess");
    run.exit_code = static_cast<int>(code);
    return run;
}

}  // namespace taxsync::connectors
