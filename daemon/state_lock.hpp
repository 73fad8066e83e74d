#pragma once
// One writer per state directory. `taxsync run` and `taxsync once` hold an exclusive lock on
// <state_dir>/taxsync.lock for as long as they run, so a second one (a cron job next to the
// service, a second service) is refused before it touches the store.

#include <filesystem>

#include "core/expected.hpp"
#include "core/unique_fd.hpp"

namespace taxsync::daemon {

class StateLock {
public:
    /// Fails with Conflict, naming the holder's pid, when another process holds the lock.
    static Expected<StateLock> acquire(const std::filesystem::path& state_dir);

private:
    explicit StateLock(UniqueFd fd) : fd_(std::move(fd)) {}
    UniqueFd fd_;  // the lock lives exactly as long as the descriptor is open
};

}  // namespace taxsync::daemon
