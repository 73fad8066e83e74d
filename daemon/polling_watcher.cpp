// For folders where the operating system does not report changes (network shares): look at the
// entries every few seconds and compare names, sizes and modification times.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <system_error>

#include "core/digest.hpp"
#include "daemon/folder_watcher.hpp"

namespace taxsync::daemon {
namespace {

namespace asio = boost::asio;

std::string signature(const std::vector<std::filesystem::path>& folders) {
    Sha256 hash;
    for (const auto& folder : folders) {
        std::error_code error;
        for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
            std::error_code ignored;
            const auto size = entry.is_regular_file(ignored) ? entry.file_size(ignored) : 0;
            const auto modified = entry.last_write_time(ignored).time_since_epoch().count();
            hash.update(entry.path().filename().string() + '\x1f' + std::to_string(size) + '\x1f' +
                        std::to_string(modified) + '\x1e');
        }
        hash.update(error ? "unreadable\x1e" : "\x1d");
    }
    return hash.finish_hex();
}

struct PollingState {
    PollingState(asio::io_context& io, std::chrono::milliseconds every) : timer(io), interval(every) {}
    asio::steady_timer timer;
    std::chrono::milliseconds interval;
    std::vector<std::filesystem::path> folders;
    std::string last;
    std::function<void()> on_change;
    bool stopped = false;
};

void poll(const std::shared_ptr<PollingState>& state) {
    state->timer.expires_after(state->interval);
    state->timer.async_wait([state](const boost::system::error_code& error) {
        if (error || state->stopped) return;
        std::string now = signature(state->folders);
        if (now != state->last) {
            state->last = std::move(now);
            state->on_change();
        }
        poll(state);
    });
}

class PollingWatcher final : public FolderWatcher {
public:
    PollingWatcher(asio::io_context& io, std::chrono::milliseconds interval)
        : state_(std::make_shared<PollingState>(io, interval)) {}
    ~PollingWatcher() override { stop(); }
    PollingWatcher(const PollingWatcher&) = delete;
    PollingWatcher& operator=(const PollingWatcher&) = delete;
    PollingWatcher(PollingWatcher&&) = delete;
    PollingWatcher& operator=(PollingWatcher&&) = delete;

    Status start(const std::vector<std::filesystem::path>& folders, std::function<void()> on_change) override {
        state_->folders = folders;
        state_->on_change = std::move(on_change);
        state_->last = signature(folders);
        poll(state_);
        return ok();
    }

    void stop() override {
        state_->stopped = true;
        state_->timer.cancel();
    }

    [[nodiscard]] std::string_view kind() const override { return "polling"; }

private:
    std::shared_ptr<PollingState> state_;
};

}  // namespace

std::unique_ptr<FolderWatcher> make_polling_watcher(asio::io_context& io, std::chrono::milliseconds interval) {
    return std::make_unique<PollingWatcher>(io, interval);
}

}  // namespace taxsync::daemon
