#include "tests/support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "tests/support/temp_dir.hpp"

extern char** environ;  // NOLINT: POSIX

namespace taxsync::testing {
namespace {

int decode(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return -1;
}

/// The largest resident set of the running process's own memory (VmHWM, kB); 0 once it is gone.
long resident_peak_kb(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    }
    return 0;
}

}  // namespace

Process::Process(const std::filesystem::path& program, const std::vector<std::string>& args,
                 const std::filesystem::path& log_dir, const std::map<std::string, std::string>& extra_env) {
    std::filesystem::create_directories(log_dir);
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    const std::string stem = program.filename().string() + "-" + std::to_string(::getpid()) + "-" + std::to_string(now);
    out_file_ = log_dir / (stem + ".out");
    err_file_ = log_dir / (stem + ".err");

    std::vector<std::string> argv_storage{program.string()};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    argv.reserve(argv_storage.size() + 1);
    for (auto& arg : argv_storage) argv.push_back(arg.data());
    argv.push_back(nullptr);

    std::map<std::string, std::string> environment;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string text(*entry);
        const auto equals = text.find('=');
        if (equals != std::string::npos) environment[text.substr(0, equals)] = text.substr(equals + 1);
    }
    for (const auto& [key, value] : extra_env) environment[key] = value;
    std::vector<std::string> env_storage;
    env_storage.reserve(environment.size());
    for (const auto& [key, value] : environment) env_storage.push_back(std::string(key).append("=").append(value));
    std::vector<char*> envp;
    envp.reserve(env_storage.size() + 1);
    for (auto& entry : env_storage) envp.push_back(entry.data());
    envp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + program.string() + ": " + std::strerror(rc));
}

Process::~Process() {
    if (running()) {
        kill(SIGKILL);
        wait_for(std::chrono::seconds(5));
    }
}

bool Process::running() {
    if (status_) return false;
    int status = 0;
    rusage used{};
    const pid_t done = ::wait4(pid_, &status, WNOHANG, &used);
    if (done == pid_) {
        status_ = decode(status);
        usage_.cpu_seconds = static_cast<double>(used.ru_utime.tv_sec + used.ru_stime.tv_sec) +
                             static_cast<double>(used.ru_utime.tv_usec + used.ru_stime.tv_usec) / 1e6;
        // wait4's figure also counts the memory the child had before exec, which posix_spawn shares
        // with this process: a grown parent's peak. The child's own, read while it ran, comes first.
        usage_.peak_memory_kb = peak_seen_kb_ > 0 ? peak_seen_kb_ : used.ru_maxrss;
        usage_.context_switches = used.ru_nvcsw + used.ru_nivcsw;
    } else {
        peak_seen_kb_ = std::max(peak_seen_kb_, resident_peak_kb(pid_));
    }
    return !status_.has_value();
}

std::optional<int> Process::wait_for(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return status_;
}

void Process::kill(int signal) {
    if (!status_) ::kill(pid_, signal);
}

std::string Process::out() const { return read_file(out_file_); }
std::string Process::err() const { return read_file(err_file_); }

RunResult run(const std::filesystem::path& program, const std::vector<std::string>& args,
              const std::filesystem::path& log_dir, std::chrono::milliseconds timeout,
              const std::map<std::string, std::string>& extra_env) {
    Process process(program, args, log_dir, extra_env);
    RunResult result;
    if (const auto code = process.wait_for(timeout)) {
        result.exit_code = *code;
    } else {
        process.kill(SIGKILL);
        process.wait_for(std::chrono::seconds(5));
    }
    result.out = process.out();
    result.err = process.err();
    result.usage = process.usage();
    return result;
}

}  // namespace taxsync::testing
