#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "daemon/config.hpp"
#include "daemon/platform.hpp"

namespace taxsync::daemon {

std::filesystem::path default_config_file() { return "/etc/taxsync/taxsync.toml"; }

std::filesystem::path default_control_channel(const std::filesystem::path& state_dir) {
    return state_dir / "control.sock";
}

long current_process_id() { return static_cast<long>(::getpid()); }

std::vector<int> command_signals() { return {SIGTERM, SIGINT, SIGHUP}; }

ServiceCommand command_for_signal(int number) {
    return number == SIGHUP ? ServiceCommand::Reload : ServiceCommand::Shutdown;
}

void ignore_broken_pipes() { std::signal(SIGPIPE, SIG_IGN); }

Status check_writable_directory(const std::filesystem::path& dir) {
    if (::access(dir.c_str(), W_OK) != 0) {
        return fail(ErrorKind::Io, "the state directory " + dir.string() + " is not writable by this user");
    }
    return ok();
}

Status create_private_file(const std::filesystem::path& file, std::string_view content) {
    // O_EXCL: two processes starting at once must not each write a different file.
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST) return fail(ErrorKind::Conflict, file.string() + " exists already");
        return fail(ErrorKind::Io, "cannot create " + file.string() + ": " + std::strerror(errno));
    }
    const bool written =
        ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!written) return fail(ErrorKind::Io, "cannot write " + file.string());
    return ok();
}

bool is_private_file(const std::filesystem::path& file) {
    struct stat info {};
    return ::stat(file.c_str(), &info) == 0 && (info.st_mode & 077U) == 0;
}

Status check_private_file(const std::filesystem::path& file, std::string_view what) {
    struct stat info {};
    if (::stat(file.c_str(), &info) != 0) {
        return fail(ErrorKind::InvalidInput,
                    std::string(what) + " " + file.string() + " cannot be read: " + std::strerror(errno));
    }
    if ((info.st_mode & 077U) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777U));
        return fail(ErrorKind::InvalidInput, std::string(what) + " " + file.string() +
                                                 " is accessible by others (mode " + mode +
                                                 "); it is refused until you run: chmod 600 " + file.string());
    }
    return ok();
}

}  // namespace taxsync::daemon
