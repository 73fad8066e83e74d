#pragma once
// `taxsync run`: the long-running service around the engine.
//
// One Boost.Asio event loop owns everything. Cycles run one at a time on a worker thread (the
// engine blocks on HTTP), and their results come back to the loop as a posted completion.
// Signals, the control channel and the service manager all become ServiceCommands posted to the
// loop, so each command has one path.
//
// Start-up, in this order (a failure at any step ends the process with a message):
//   1. read and validate the configuration
//   2. take the state lock, build the application (store, key, connectors, portal, engine),
//      and open a read-only store connection for status
//   3. listen on the control socket                  6. catch SIGTERM, SIGINT, SIGHUP
//   4. listen for health and metrics                 7. schedule the first cycle (nothing is sent before)
//   5. watch the export folders                      8. tell the service manager READY

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "connectors/registry.hpp"
#include "daemon/application.hpp"
#include "daemon/config.hpp"
#include "daemon/control_protocol.hpp"
#include "daemon/control_server.hpp"
#include "daemon/folder_watcher.hpp"
#include "daemon/metrics.hpp"
#include "daemon/service_command.hpp"
#include "daemon/service_manager.hpp"
#include "daemon/status_server.hpp"

namespace taxsync::daemon {

class Service {
public:
    Service(std::filesystem::path config_file, const connectors::ConnectorRegistry& registry, ServiceManager& manager,
            Environment environment);
    ~Service();
    Service(const Service&) = delete;
    Service& operator=(const Service&) = delete;
    Service(Service&&) = delete;
    Service& operator=(Service&&) = delete;

    /// Starts, runs until asked to stop, and returns the process exit status.
    int run();
    /// Thread-safe: hands a command to the event loop (signal handlers, the Windows SCM).
    void post(ServiceCommand command);

private:
    struct CycleOutcome;

    Status start();
    void listen_for_signals();
    void handle(ServiceCommand command, std::function<void(ControlReply)> reply = {});
    void on_control(const ControlRequest& request, std::function<void(ControlReply)> reply);
    HttpAnswer on_http(const std::string& path);

    void schedule(std::chrono::steady_clock::duration delay, std::string reason);
    void cancel_schedule();
    void schedule_regular();
    void on_folder_change();
    void request_cycle(std::string trigger);
    void start_cycle(std::string trigger);
    void finish_cycle(CycleOutcome outcome);

    void reload(std::function<void(ControlReply)> reply);
    void shutdown();
    void watch_folders();
    void feed_watchdog();
    void publish_status();

    [[nodiscard]] nlohmann::json status_arguments();
    [[nodiscard]] std::string status_text(const nlohmann::json& status) const;
    [[nodiscard]] const Logger& log() const;

    boost::asio::io_context io_;
    boost::asio::signal_set signals_;
    boost::asio::steady_timer cycle_timer_;
    boost::asio::steady_timer watchdog_timer_;
    boost::asio::steady_timer shutdown_timer_;

    std::filesystem::path config_file_;
    const connectors::ConnectorRegistry& registry_;
    ServiceManager& manager_;
    Environment environment_;
    Logger startup_log_;

    std::unique_ptr<Application> app_;
    std::unique_ptr<store::Store> reader_;  // status queries on the loop thread; the cycle has its own connection
    SystemClock clock_;
    std::unique_ptr<FolderWatcher> watcher_;
    std::unique_ptr<ControlServer> control_;
    std::unique_ptr<StatusServer> status_server_;
    std::uint16_t status_port_ = 0;

    bool paused_ = false;
    bool stopping_ = false;
    bool cycle_running_ = false;
    std::optional<std::string> cycle_queued_;  // a cycle was asked for while one ran
    std::vector<std::function<void(ControlReply)>> reload_waiters_;  // reloads waiting for the cycle to end
    std::stop_source cycle_stop_;
    std::jthread worker_;
    // The one scheduled cycle, if any. The generation tells a wait that was superseded (or had
    // already expired when it was replaced) from the current one; the timer's own expiry cannot.
    std::optional<std::chrono::steady_clock::time_point> next_cycle_at_;
    std::string next_cycle_reason_;
    std::uint64_t schedule_generation_ = 0;
    std::mt19937_64 random_;

    ServiceMetrics metrics_;
    SystemTime started_at_;
    SystemTime config_loaded_at_;
    std::string config_digest_;
    std::optional<std::string> last_reload_error_;
    std::optional<nlohmann::json> last_cycle_;
    std::optional<std::string> last_cycle_stop_;  // why the last cycle stopped early, for /healthz
    int exit_code_ = 0;
};

}  // namespace taxsync::daemon
