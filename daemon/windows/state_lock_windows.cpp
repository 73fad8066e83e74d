// daemon/state_lock.hpp on Windows: LockFileEx on <state_dir>/taxsync.lock.

#include <windows.h>

#include <string>

#include "daemon/platform.hpp"
#include "daemon/state_lock.hpp"
#include "daemon/windows/unique_handle.hpp"
#include "daemon/windows/win32_text.hpp"

namespace taxsync::daemon {
namespace {

// Windows locks are mandatory: a locked range cannot be read by anyone else. So the lock covers
// one byte far past the end, and the holder's pid at the start stays readable for the message.
constexpr DWORD kLockOffsetHigh = 1;  // byte 4 GiB

}  // namespace

struct StateLock::Held {
    windows::KernelHandle file;
};

void StateLock::Release::operator()(Held* held) const { std::default_delete<Held>()(held); }

Expected<StateLock> StateLock::acquire(const std::filesystem::path& state_dir) {
    const auto path = state_dir / "taxsync.lock";
    windows::KernelHandle file(CreateFileW(path.c_str(), GENERIC_READ | GENERIC_WRITE,
                                           FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_ALWAYS,
                                           FILE_ATTRIBUTE_NORMAL, nullptr));
    if (!file) return windows::win32_failure("cannot open " + path.string(), GetLastError());
    OVERLAPPED where{};
    where.OffsetHigh = kLockOffsetHigh;
    if (LockFileEx(file.get(), LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &where) == FALSE) {
        char holder[32] = {};
        DWORD read = 0;
        OVERLAPPED start{};
        std::string pid = "unknown";
        if (ReadFile(file.get(), holder, sizeof holder - 1, &read, &start) != FALSE && read > 0) {
            pid = std::string(holder, read);
            pid = pid.substr(0, pid.find('\n'));
        }
        return fail(ErrorKind::Conflict, "another taxsync (pid " + pid + ") is already using " + state_dir.string() +
                                             "; stop it first, or ask it with `taxsync ctl sync-now`");
    }
    // The pid only serves the message above; the lock holds whether or not it is written.
    const std::string pid = std::to_string(current_process_id()) + "\n";
    DWORD written = 0;
    OVERLAPPED start{};
    if (WriteFile(file.get(), pid.data(), static_cast<DWORD>(pid.size()), &written, &start) != FALSE) {
        SetFilePointer(file.get(), static_cast<LONG>(pid.size()), nullptr, FILE_BEGIN);
        SetEndOfFile(file.get());
    }
    return StateLock(std::unique_ptr<Held, Release>(std::make_unique<Held>(Held{std::move(file)}).release()));
}

}  // namespace taxsync::daemon
