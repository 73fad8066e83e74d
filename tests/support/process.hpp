#pragma once
// Runs real programs for integration tests: spawn with arguments and environment, capture stdout
// and stderr to files, wait with a deadline, kill.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace taxsync::testing {

/// What a process used until it ended (from wait4, and /proc while it ran), for benchmarks.
struct ResourceUse {
    double cpu_seconds = 0;     // user and system time
    long peak_memory_kb = 0;    // its largest resident set (as last read while it ran)
    long context_switches = 0;  // voluntary and involuntary
};

struct RunResult {
    int exit_code = -1;  // -1 when killed by a signal or timed out
    std::string out;
    std::string err;
    ResourceUse usage;
};

class Process {
public:
    /// Starts `program` with `args`; stdout and stderr go to files under `log_dir`.
    Process(const std::filesystem::path& program, const std::vector<std::string>& args,
            const std::filesystem::path& log_dir, const std::map<std::string, std::string>& extra_env = {});
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    Process(Process&&) = delete;
    Process& operator=(Process&&) = delete;

    [[nodiscard]] pid_t pid() const { return pid_; }
    [[nodiscard]] bool running();
    /// Waits up to `timeout`; returns the exit code, or nullopt if it is still running.
    std::optional<int> wait_for(std::chrono::milliseconds timeout);
    void kill(int signal);
    [[nodiscard]] std::string out() const;
    [[nodiscard]] std::string err() const;
    /// Once it has ended.
    [[nodiscard]] const ResourceUse& usage() const { return usage_; }

private:
    pid_t pid_ = -1;
    std::optional<int> status_;
    ResourceUse usage_;
    long peak_seen_kb_ = 0;  // the largest VmHWM read while it ran
    std::filesystem::path out_file_;
    std::filesystem::path err_file_;
};

/// Runs to completion (killing it after `timeout`).
RunResult run(const std::filesystem::path& program, const std::vector<std::string>& args,
              const std::filesystem::path& log_dir, std::chrono::milliseconds timeout = std::chrono::seconds(60),
              const std::map<std::string, std::string>& extra_env = {});

}  // namespace taxsync::testing
