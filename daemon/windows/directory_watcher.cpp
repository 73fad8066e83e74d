#include "daemon/windows/directory_watcher.hpp"

#include <windows.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/windows/overlapped_ptr.hpp>
#include <boost/asio/windows/stream_handle.hpp>

#include "daemon/windows/unique_handle.hpp"
#include "daemon/windows/win32_text.hpp"

namespace taxsync::daemon::windows {

namespace asio = boost::asio;

namespace {

// What a tax package does when it writes an export: create, write and close, or write elsewhere
// and rename it in; deletions and attribute changes matter too.
constexpr DWORD kChanges = FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_DIR_NAME | FILE_NOTIFY_CHANGE_SIZE |
                           FILE_NOTIFY_CHANGE_LAST_WRITE | FILE_NOTIFY_CHANGE_ATTRIBUTES | FILE_NOTIFY_CHANGE_CREATION;
// The records are never read, so a small buffer does; over SMB more than 64 KiB fails anyway.
constexpr std::size_t kBufferBytes = 16 * 1024;

}  // namespace

// Everything a pending read needs, owned jointly by the watcher and the read in flight, so a
// completion after stop() finds live memory and simply ends.
struct DirectoryWatcher::Folder {
    Folder(asio::io_context& io, std::filesystem::path folder_path) : handle(io), path(std::move(folder_path)) {}
    asio::windows::stream_handle handle;  // only for its place on the io_context's completion port
    std::filesystem::path path;
    std::vector<DWORD> buffer = std::vector<DWORD>(kBufferBytes / sizeof(DWORD));  // DWORD-aligned, as required
    std::shared_ptr<std::function<void()>> on_change;
    bool stopped = false;
};

namespace {

void watch_next(const std::shared_ptr<DirectoryWatcher::Folder>& folder) {
    asio::windows::overlapped_ptr operation(folder->handle.get_executor(),
                                            [folder](const boost::system::error_code& error, std::size_t) {
                                                if (folder->stopped || error == asio::error::operation_aborted) return;
                                                (*folder->on_change)();
                                                // ERROR_NOTIFY_ENUM_DIR: more changed than the buffer holds; still just
                                                // "look".
                                                if (!error || error.value() == ERROR_NOTIFY_ENUM_DIR)
                                                    watch_next(folder);
                                            });
    const BOOL queued = ReadDirectoryChangesW(folder->handle.native_handle(), folder->buffer.data(),
                                              static_cast<DWORD>(folder->buffer.size() * sizeof(DWORD)), FALSE,
                                              kChanges, nullptr, operation.get(), nullptr);
    if (queued != FALSE) {
        operation.release();  // the completion port delivers the result
        return;
    }
    operation.complete(boost::system::error_code(static_cast<int>(GetLastError()), asio::error::get_system_category()),
                       0);
}

}  // namespace

DirectoryWatcher::DirectoryWatcher(asio::io_context& io) : io_(io) {}

DirectoryWatcher::~DirectoryWatcher() { stop(); }

Status DirectoryWatcher::start(const std::vector<std::filesystem::path>& folders, std::function<void()> on_change) {
    if (!folders_.empty()) return fail(ErrorKind::Internal, "the folder watcher is already running");
    on_change_ = std::make_shared<std::function<void()>>(std::move(on_change));
    for (const std::filesystem::path& path : folders) {
        KernelHandle directory(CreateFileW(path.c_str(), FILE_LIST_DIRECTORY,
                                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                           OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OVERLAPPED, nullptr));
        if (!directory) {
            const DWORD code = GetLastError();
            stop();
            return win32_failure("cannot watch " + to_utf8(path.native()), code);
        }
        auto folder = std::make_shared<Folder>(io_, path);
        folder->on_change = on_change_;
        boost::system::error_code error;
        folder->handle.assign(directory.get(), error);
        if (error) {
            stop();
            return fail(ErrorKind::Io, "cannot watch " + to_utf8(path.native()) + ": " + error.message());
        }
        directory.release();  // the stream handle owns it now
        folders_.push_back(folder);
        watch_next(folder);
    }
    return ok();
}

void DirectoryWatcher::stop() {
    for (const auto& folder : folders_) {
        folder->stopped = true;
        boost::system::error_code ignored;
        folder->handle.close(ignored);  // the pending read completes as aborted
    }
    folders_.clear();
    on_change_.reset();
}

}  // namespace taxsync::daemon::windows

namespace taxsync::daemon {

std::unique_ptr<FolderWatcher> make_native_watcher(boost::asio::io_context& io) {
    return std::make_unique<windows::DirectoryWatcher>(io);
}

}  // namespace taxsync::daemon
