#include "connectors/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <thread>

#include "core/unique_fd.hpp"

extern char** environ;  // NOLINT: POSIX names it so

namespace taxsync::connectors {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr std::size_t kErrTail = 4096;

struct Pipe {
    UniqueFd read;
    UniqueFd write;
};

Expected<Pipe> make_pipe() {
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC) != 0) return fail(ErrorKind::Io, std::string("pipe: ") + std::strerror(errno));
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

/// posix_spawn's attribute and file-action objects, destroyed exactly once.
class SpawnSetup {
public:
    SpawnSetup() {
        posix_spawn_file_actions_init(&actions_);
        posix_spawnattr_init(&attributes_);
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions_);
        posix_spawnattr_destroy(&attributes_);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;
    SpawnSetup(SpawnSetup&&) = delete;
    SpawnSetup& operator=(SpawnSetup&&) = delete;

    posix_spawn_file_actions_t* actions() { return &actions_; }
    posix_spawnattr_t* attributes() { return &attributes_; }

private:
    posix_spawn_file_actions_t actions_{};
    posix_spawnattr_t attributes_{};
};

void append_tail(std::string& tail, const char* data, std::size_t size) {
    tail.append(data, size);
    if (tail.size() > kErrTail) tail.erase(0, tail.size() - kErrTail);
}

}  // namespace

Expected<ProgramRun> run_program(const std::vector<std::string>& argv, const std::filesystem::path& directory,
                                 std::chrono::milliseconds timeout, std::size_t max_output) {
    if (argv.empty()) return fail(ErrorKind::InvalidInput, "no program to run");
    auto out = make_pipe();
    if (out.has_error()) return unexpected(out.error());
    auto err = make_pipe();
    if (err.has_error()) return unexpected(err.error());

    SpawnSetup setup;
    posix_spawn_file_actions_addopen(setup.actions(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(setup.actions(), out->write.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(setup.actions(), err->write.get(), STDERR_FILENO);
    if (!directory.empty()) posix_spawn_file_actions_addchdir_np(setup.actions(), directory.c_str());
    // Its own process group, so a timeout ends the helpers it started as well.
    posix_spawnattr_setflags(setup.attributes(), POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(setup.attributes(), 0);

    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));  // NOLINT: POSIX API
    args.push_back(nullptr);
    pid_t pid = 0;
    if (const int error = posix_spawnp(&pid, args[0], setup.actions(), setup.attributes(), args.data(), environ);
        error != 0) {
        return fail(ErrorKind::Io, "cannot start " + argv[0] + ": " + std::strerror(error));
    }
    out->write.reset();
    err->write.reset();

    ProgramRun run;
    const auto deadline = SteadyClock::now() + timeout;
    std::array<pollfd, 2> fds{{{out->read.get(), POLLIN, 0}, {err->read.get(), POLLIN, 0}}};
    std::array<char, 65536> buffer{};
    while ((fds[0].fd >= 0 || fds[1].fd >= 0) && !run.timed_out) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
        if (left.count() <= 0) {
            run.timed_out = true;
            break;
        }
        const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(std::min<long long>(left.count(), 1000)));
        if (ready < 0 && errno != EINTR) break;
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
            const ssize_t got = ::read(fds[i].fd, buffer.data(), buffer.size());
            if (got <= 0) {
                if (got < 0 && errno == EINTR) continue;
                fds[i].fd = -1;  // end of that stream; the UniqueFd still closes it
                continue;
            }
            const auto size = static_cast<std::size_t>(got);
            if (i == 1) {
                append_tail(run.err_tail, buffer.data(), size);
            } else if (run.out.size() + size <= max_output) {
                run.out.append(buffer.data(), size);
            } else {
                run.output_truncated = true;  // keep reading so the program is not blocked on a full pipe
            }
        }
    }

    int status = 0;
    while (!run.timed_out) {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) break;
        if (done < 0 && errno != EINTR) break;
        if (SteadyClock::now() >= deadline) {
            run.timed_out = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (run.timed_out) {
        ::kill(-pid, SIGKILL);
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        return run;
    }
    if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) run.signal = WTERMSIG(status);
    return run;
}

}  // namespace taxsync::connectors
