#pragma once
// Tells the service that something changed in a watched export folder, so a cycle can run soon
// instead of at the next scheduled time. The watcher only says "look"; connectors decide what changed.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include "core/expected.hpp"

namespace boost::asio {
class io_context;
}

namespace taxsync::daemon {

class FolderWatcher {
public:
    virtual ~FolderWatcher() = default;
    /// Starts watching `folders` (not recursively). `on_change` is called on the io_context's thread,
    /// possibly many times for one burst of writes; the caller debounces.
    virtual Status start(const std::vector<std::filesystem::path>& folders, std::function<void()> on_change) = 0;
    virtual void stop() = 0;
    /// "inotify", "ReadDirectoryChangesW" or "polling", for the log and status.
    [[nodiscard]] virtual std::string_view kind() const = 0;
};

/// The operating system's change notification (inotify on Linux, ReadDirectoryChangesW on Windows).
std::unique_ptr<FolderWatcher> make_native_watcher(boost::asio::io_context& io);
/// Looks at the folders' entries every `interval`; for file systems without notifications (network shares).
std::unique_ptr<FolderWatcher> make_polling_watcher(boost::asio::io_context& io, std::chrono::milliseconds interval);

}  // namespace taxsync::daemon
