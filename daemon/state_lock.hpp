#pragma once
// One writer per state directory. `taxsync run` and `taxsync once` hold an exclusive lock on
// <state_dir>/taxsync.lock for as long as they run, so a second one (a cron job next to the
// service, a second service) is refused before it touches the store. flock on Linux
// (state_lock.cpp), LockFileEx on Windows (windows/state_lock_windows.cpp).

#include <filesystem>
#include <memory>

#include "core/expected.hpp"

namespace taxsync::daemon {

class StateLock {
public:
    /// Fails with Conflict, naming the holder's pid, when another process holds the lock.
    static Expected<StateLock> acquire(const std::filesystem::path& state_dir);

    struct Held;  // the open lock file: the lock lives exactly as long as it stays open
    struct Release {
        void operator()(Held* held) const;
    };

private:
    explicit StateLock(std::unique_ptr<Held, Release> held) : held_(std::move(held)) {}
    std::unique_ptr<Held, Release> held_;
};

}  // namespace taxsync::daemon
