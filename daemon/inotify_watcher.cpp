// Linux: inotify, read through Asio so a folder change wakes the event loop without a thread.

#include <sys/inotify.h>
#include <unistd.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <cstring>

#include "daemon/folder_watcher.hpp"

namespace taxsync::daemon {
namespace {

namespace asio = boost::asio;

// Everything a pending read needs, owned jointly by the watcher and the read in flight, so a
// completion after stop() finds live memory and simply ends.
struct InotifyState {
    explicit InotifyState(asio::io_context& io) : stream(io) {}
    asio::posix::stream_descriptor stream;
    std::array<char, 8192> buffer{};
    std::function<void()> on_change;
};

void read_events(const std::shared_ptr<InotifyState>& state) {
    state->stream.async_read_some(asio::buffer(state->buffer), [state](const boost::system::error_code& error, std::size_t) {
        if (error) return;  // stopped, or the descriptor failed: nothing more to report
        state->on_change();
        read_events(state);
    });
}

class InotifyWatcher final : public FolderWatcher {
public:
    explicit InotifyWatcher(asio::io_context& io) : state_(std::make_shared<InotifyState>(io)) {}
    ~InotifyWatcher() override { stop(); }
    InotifyWatcher(const InotifyWatcher&) = delete;
    InotifyWatcher& operator=(const InotifyWatcher&) = delete;
    InotifyWatcher(InotifyWatcher&&) = delete;
    InotifyWatcher& operator=(InotifyWatcher&&) = delete;

    Status start(const std::vector<std::filesystem::path>& folders, std::function<void()> on_change) override {
        const int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0) return fail(ErrorKind::Io, std::string("inotify is not available: ") + std::strerror(errno));
        state_->stream.assign(fd);  // owns the descriptor from here on
        // What a tax package does when it writes an export: create, write and close, or write
        // elsewhere and move it in; deletions matter too (a client may have left the export).
        constexpr std::uint32_t kEvents =
            IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_MODIFY | IN_ATTRIB;
        for (const auto& folder : folders) {
            if (inotify_add_watch(fd, folder.c_str(), kEvents) < 0) {
                const std::string reason = std::strerror(errno);
                stop();
                return fail(ErrorKind::Io, "cannot watch " + folder.string() + ": " + reason);
            }
        }
        state_->on_change = std::move(on_change);
        read_events(state_);
        return ok();
    }

    void stop() override {
        boost::system::error_code ignored;
        state_->stream.close(ignored);
    }

    [[nodiscard]] std::string_view kind() const override { return "inotify"; }

private:
    std::shared_ptr<InotifyState> state_;
};

}  // namespace

std::unique_ptr<FolderWatcher> make_native_watcher(asio::io_context& io) { return std::make_unique<InotifyWatcher>(io); }

}  // namespace taxsync::daemon
