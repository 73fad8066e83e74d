#pragma once
// Runs a program the admin configured (no shell), with a deadline, and collects what it wrote.
// The timeout is real time on purpose: it bounds a real process, not a simulated cycle.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/expected.hpp"

namespace taxsync::connectors {

struct ProgramRun {
    std::optional<int> exit_code;   // nullopt when it was ended by a signal or the timeout
    int signal = 0;                 // the signal that ended it, if one did
    bool timed_out = false;         // it was still running at the deadline and was killed (with its group)
    bool output_truncated = false;  // stdout exceeded the limit; the rest was dropped
    std::string out;                // stdout
    std::string err_tail;           // the last few kilobytes of stderr, for the report
};

/// Starts `argv` (argv[0] looked up in PATH) in `directory` with stdin from /dev/null, in a process
/// group of its own (on Windows: stdin from NUL, in a job object). Fails only when the program
/// cannot be started at all.
Expected<ProgramRun> run_program(const std::vector<std::string>& argv, const std::filesystem::path& directory,
                                 std::chrono::milliseconds timeout, std::size_t max_output);

}  // namespace taxsync::connectors
