#include "daemon/state_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/unique_fd.hpp"
#include "daemon/platform.hpp"

namespace taxsync::daemon {

struct StateLock::Held {
    UniqueFd fd;
};

void StateLock::Release::operator()(Held* held) const { std::default_delete<Held>()(held); }

Expected<StateLock> StateLock::acquire(const std::filesystem::path& state_dir) {
    const auto path = state_dir / "taxsync.lock";
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd.valid()) return fail(ErrorKind::Io, "cannot open " + path.string() + ": " + std::strerror(errno));
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        char holder[32] = {};
        const ssize_t n = ::pread(fd.get(), holder, sizeof holder - 1, 0);
        std::string pid = n > 0 ? std::string(holder, static_cast<std::size_t>(n)) : std::string("unknown");
        pid = pid.substr(0, pid.find('\n'));
        return fail(ErrorKind::Conflict, "another taxsync (pid " + pid + ") is already using " + state_dir.string() +
                                             "; stop it first, or ask it with `taxsync ctl sync-now`");
    }
    // The pid only serves the message above; the lock holds whether or not it is written.
    const std::string pid = std::to_string(current_process_id()) + "\n";
    if (::ftruncate(fd.get(), 0) == 0) (void)::pwrite(fd.get(), pid.data(), pid.size(), 0);
    return StateLock(std::unique_ptr<Held, Release>(std::make_unique<Held>(Held{std::move(fd)}).release()));
}

}  // namespace taxsync::daemon
