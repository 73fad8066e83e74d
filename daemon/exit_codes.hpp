#pragma once
// Exit statuses, stable for scripts (docs/run.md lists them).

namespace taxsync::daemon::exit_code {

inline constexpr int kOk = 0;
inline constexpr int kError = 1;           // nothing useful was done: bad config, unreachable store, refused credentials
inline constexpr int kChangesPending = 2;  // `plan`: there is work to do
inline constexpr int kProblems = 3;        // the cycle ran, but rows were bad or steps failed: see the report
inline constexpr int kUsage = 64;          // the command line was wrong

}  // namespace taxsync::daemon::exit_code
