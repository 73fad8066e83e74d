#pragma once
// Windows: ReadDirectoryChangesW with overlapped I/O on the io_context's own completion port, so a
// folder change wakes the event loop directly, without a thread of its own.
//
// The records are not read: any completion means "look", including a buffer overflow (too many
// changes at once), which is exactly when a look is needed. A folder that disappears or becomes
// unreadable gets one last "look" (the cycle then reports it) and is no longer watched.

#include <memory>
#include <string_view>
#include <vector>

#include "daemon/folder_watcher.hpp"

namespace taxsync::daemon::windows {

class DirectoryWatcher final : public FolderWatcher {
public:
    explicit DirectoryWatcher(boost::asio::io_context& io);
    ~DirectoryWatcher() override;
    DirectoryWatcher(const DirectoryWatcher&) = delete;
    DirectoryWatcher& operator=(const DirectoryWatcher&) = delete;
    DirectoryWatcher(DirectoryWatcher&&) = delete;
    DirectoryWatcher& operator=(DirectoryWatcher&&) = delete;

    /// Call start() and stop() on the io_context's thread (or before it runs).
    Status start(const std::vector<std::filesystem::path>& folders, std::function<void()> on_change) override;
    /// No on_change call happens after this returns.
    void stop() override;
    [[nodiscard]] std::string_view kind() const override { return "ReadDirectoryChangesW"; }

    struct Folder;

private:
    boost::asio::io_context& io_;
    std::shared_ptr<std::function<void()>> on_change_;
    std::vector<std::shared_ptr<Folder>> folders_;
};

}  // namespace taxsync::daemon::windows
