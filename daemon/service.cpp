#include "daemon/service.hpp"

#include <boost/asio/post.hpp>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "core/digest.hpp"
#include "core/file.hpp"
#include "daemon/endpoint.hpp"
#include "daemon/exit_codes.hpp"
#include "daemon/output.hpp"
#include "daemon/platform.hpp"

namespace taxsync::daemon {

namespace {

namespace asio = boost::asio;

std::string file_digest(const std::filesystem::path& file) {
    return sha256_hex(read_whole_file(file).value_or("")).substr(0, 12);
}

std::string seconds_text(std::chrono::steady_clock::duration duration) {
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(duration).count()) + " s";
}

std::string outcome_name(const engine::CycleReport& report) {
    if (report.cancelled) return "interrupted";
    if (report.stopped) return "failed";
    if (report.held) return "held";
    return report.has_problems() ? "problems" : "ok";
}

// Until the configuration names the log's format: text on stderr, and whatever the service
// manager reads (the Windows event log), so a start-up failure reaches the admin.
LogOptions startup_log_options(const ServiceManager& manager) {
    LogOptions options;
    options.system_log = manager.system_log();
    return options;
}

}  // namespace

struct Service::CycleOutcome {
    std::string trigger;
    std::optional<engine::CycleReport> report;
    std::string error;  // the store failed: the cycle could not finish
    std::chrono::steady_clock::duration took{};
};

Service::Service(std::filesystem::path config_file, const connectors::ConnectorRegistry& registry,
                 ServiceManager& manager, Environment environment)
    : signals_(io_),
      cycle_timer_(io_),
      watchdog_timer_(io_),
      shutdown_timer_(io_),
      config_file_(std::filesystem::absolute(config_file).lexically_normal()),
      registry_(registry),
      manager_(manager),
      environment_(environment),
      startup_log_(Logger::make(startup_log_options(manager), std::make_shared<Redactor>())),
      random_(std::random_device{}()),
      started_at_(clock_.now()) {}

Service::~Service() {
    // A worker still running here was abandoned at the shutdown deadline; run() exits the process
    // before we get here in that case, so this only joins a finished thread.
    if (worker_.joinable()) worker_.join();
}

const Logger& Service::log() const { return app_ ? app_->log() : startup_log_; }

void Service::post(ServiceCommand command) {
    asio::post(io_, [this, command] { handle(command); });
}

int Service::run() {
    if (auto started = start(); started.has_error()) {
        log().error("taxsync cannot start: {}", started.error().message);
        return exit_code::kError;
    }
    io_.run();
    if (worker_.joinable() && cycle_running_) {
        // The cycle did not stop within the deadline. Its state is safe: every step is committed
        // or rolled back, and the outbox resumes the rest at the next start.
        log().warn("exiting while a cycle is still finishing a request; the next start resumes it");
        std::fflush(stdout);
        std::fflush(stderr);
        std::_Exit(exit_code_);
    }
    return exit_code_;
}

Status Service::start() {
    // 1. configuration
    auto config = load_config(config_file_, environment_, registry_);
    if (config.has_error()) {
        std::string text;
        for (const ConfigError& error : config.error()) text += "\n  " + error.to_string();
        return fail(ErrorKind::InvalidInput, "the configuration has errors:" + text);
    }
    const ServiceSettings service = config->service;
    // 2. the application, which first takes the state lock (one writer per state directory),
    //    logging in the service's format
    LogOptions log_options;
    log_options.format = effective_log_format(service, environment_);
    log_options.file = service.log_file;
    log_options.system_log = manager_.system_log();
    auto app = Application::create(std::move(config).value(), registry_, StateAccess::Exclusive, log_options);
    if (app.has_error()) return unexpected(std::move(app).error());
    app_ = std::move(app).value();
    auto reader = store::Store::open_reader(service.state_dir / "taxsync.db", clock_);
    if (reader.has_error()) return unexpected(std::move(reader).error());
    reader_ = std::make_unique<store::Store>(std::move(reader).value());
    config_loaded_at_ = clock_.now();
    config_digest_ = file_digest(config_file_);

    // 3. control channel
    control_ = std::make_unique<ControlServer>(
        io_, [this](const ControlRequest& request, std::function<void(ControlReply)> reply) {
            on_control(request, std::move(reply));
        });
    if (auto listening = control_->listen(service.control_socket); listening.has_error()) return listening;

    // 4. health and metrics
    if (!service.status_listen.empty()) {
        status_server_ = std::make_unique<StatusServer>(io_, [this](const std::string& path) { return on_http(path); });
        auto port = status_server_->listen(parse_loopback_endpoint(service.status_listen).value());
        if (port.has_error()) return unexpected(std::move(port).error());
        status_port_ = *port;
    }

    // 5. folders
    watch_folders();

    // 6. signals become commands
    for (const int number : command_signals()) signals_.add(number);
    ignore_broken_pipes();
    listen_for_signals();

    // 7. first cycle now, then the schedule
    schedule(std::chrono::seconds(0), "start-up");

    // 8. ready
    log().info("taxsync {} running with {} (control {}{}), watching {} folder(s) by {}", TAXSYNC_VERSION,
               config_file_.string(), service.control_socket.string(),
               status_port_ != 0 ? ", health and metrics on port " + std::to_string(status_port_) : std::string(),
               app_->config().connectors.size(), watcher_ ? std::string(watcher_->kind()) : std::string("nothing"));
    manager_.ready("running; first cycle starting");
    feed_watchdog();
    return ok();
}

// ---- commands ---------------------------------------------------------------------------------

void Service::listen_for_signals() {
    signals_.async_wait([this](const boost::system::error_code& error, int number) {
        if (error) return;  // cancelled at shutdown
        handle(command_for_signal(number));
        if (!stopping_) listen_for_signals();
    });
}

void Service::handle(ServiceCommand command, std::function<void(ControlReply)> reply) {
    const auto answer = [&](ControlResult result, std::string text) {
        if (reply) reply({result, std::move(text), nlohmann::json::object()});
    };
    if (stopping_ && command != ServiceCommand::Shutdown) {
        answer(ControlResult::Error, "taxsync is stopping");
        return;
    }
    switch (command) {
        case ServiceCommand::Shutdown:
            answer(ControlResult::Ok, "stopping");
            shutdown();
            return;
        case ServiceCommand::Reload:
            reload(std::move(reply));
            return;
        case ServiceCommand::SyncNow:
            answer(ControlResult::Ok, cycle_running_ ? "a cycle is running; another starts when it ends"
                                                     : "cycle started");
            request_cycle("admin");
            return;
        case ServiceCommand::Pause:
            paused_ = true;
            metrics_.paused = true;
            log().info("paused: no scheduled or change-triggered cycles until resume (sync-now still runs one)");
            publish_status();
            answer(ControlResult::Ok, "paused");
            return;
        case ServiceCommand::Resume:
            paused_ = false;
            metrics_.paused = false;
            log().info("resumed");
            schedule(std::chrono::seconds(1), "resumed");
            answer(ControlResult::Ok, "resumed");
            return;
    }
}

void Service::on_control(const ControlRequest& request, std::function<void(ControlReply)> reply) {
    static const std::map<std::string, ServiceCommand, std::less<>> commands = {{"sync-now", ServiceCommand::SyncNow},
                                                                                {"reload", ServiceCommand::Reload},
                                                                                {"pause", ServiceCommand::Pause},
                                                                                {"resume", ServiceCommand::Resume}};
    if (request.command == "status") {
        nlohmann::json status = status_arguments();
        const std::string text = status_text(status);
        reply({ControlResult::Ok, text, std::move(status)});
        return;
    }
    const auto found = commands.find(request.command);
    if (found == commands.end()) {
        reply({ControlResult::Unsupported,
               "unknown command '" + request.command + "' (status, sync-now, reload, pause, resume)",
               nlohmann::json::object()});
        return;
    }
    handle(found->second, std::move(reply));
}

// ---- scheduling -------------------------------------------------------------------------------

void Service::schedule(std::chrono::steady_clock::duration delay, std::string reason) {
    const auto at = std::chrono::steady_clock::now() + delay;
    // A cycle already due sooner wins: a folder change must not push back the start-up cycle.
    if (next_cycle_at_ && *next_cycle_at_ <= at) return;
    next_cycle_at_ = at;
    next_cycle_reason_ = std::move(reason);
    const std::uint64_t generation = ++schedule_generation_;
    cycle_timer_.expires_at(at);
    cycle_timer_.async_wait([this, generation](const boost::system::error_code& error) {
        if (error || generation != schedule_generation_) return;  // cancelled, or replaced by a newer schedule
        next_cycle_at_.reset();
        std::string trigger = next_cycle_reason_;
        if (paused_ && trigger != "start-up") {
            log().info("a {} cycle was due, but taxsync is paused", trigger);
            schedule_regular();
            return;
        }
        request_cycle(std::move(trigger));
    });
}

void Service::cancel_schedule() {
    ++schedule_generation_;
    next_cycle_at_.reset();
    cycle_timer_.cancel();
}

void Service::schedule_regular() {
    // Up to 10% jitter, so many installations (or a restart storm) do not hit the portal in step.
    const auto interval = app_->config().service.interval;
    std::uniform_int_distribution<std::int64_t> jitter(0, std::max<std::int64_t>(1, interval.count() * 100));
    const auto delay = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(interval.count() * 900 + jitter(random_)));
    schedule(delay, "schedule");
}

void Service::on_folder_change() {
    if (stopping_ || paused_) return;
    // Wait for the burst of writes to end, and for the connectors' settle time, before reading.
    schedule(app_->config().service.change_delay, "change");
}

void Service::request_cycle(std::string trigger) {
    if (stopping_) return;
    if (cycle_running_) {
        cycle_queued_ = std::move(trigger);  // never two cycles at once
        return;
    }
    start_cycle(std::move(trigger));
}

void Service::start_cycle(std::string trigger) {
    cycle_running_ = true;
    metrics_.cycle_running = true;
    cycle_stop_ = std::stop_source();
    cancel_schedule();  // the regular schedule starts over when this cycle ends
    publish_status();
    if (worker_.joinable()) worker_.join();  // the previous one has posted its result already
    // mode = "plan" in the config is staging: every cycle records what it would have done.
    const engine::Mode mode =
        app_->config().service.mode == engine::Mode::Apply ? engine::Mode::Apply : engine::Mode::Stage;
    Application* app = app_.get();
    worker_ = std::jthread([this, app, mode, trigger = std::move(trigger), stop = cycle_stop_.get_token()] {
        CycleOutcome outcome;
        outcome.trigger = trigger;
        const auto started = std::chrono::steady_clock::now();
        try {
            outcome.report = app->engine().run_cycle(mode, trigger, stop);
        } catch (const std::exception& error) {
            outcome.error = error.what();
        }
        outcome.took = std::chrono::steady_clock::now() - started;
        asio::post(io_, [this, outcome = std::move(outcome)]() mutable { finish_cycle(std::move(outcome)); });
    });
}

void Service::finish_cycle(CycleOutcome outcome) {
    cycle_running_ = false;
    metrics_.cycle_running = false;
    metrics_.last_cycle_seconds = std::chrono::duration<double>(outcome.took).count();
    nlohmann::json summary = {{"trigger", outcome.trigger},
                              {"finished_at", format_utc(clock_.now())},
                              {"seconds", metrics_.last_cycle_seconds}};
    if (!outcome.report) {
        ++metrics_.cycles["error"];
        last_cycle_stop_ = "the state database failed: " + outcome.error;
        summary["outcome"] = "error";
        summary["error"] = outcome.error;
        log().error("the cycle failed: the state database reported: {}", outcome.error);
    } else {
        const engine::CycleReport& report = *outcome.report;
        const std::string name = outcome_name(report);
        ++metrics_.cycles[name];
        metrics_.operations_done += report.operations_done;
        metrics_.operations_failed += report.operations_failed;
        metrics_.invitations_sent += report.invitations_sent;
        if (name == "ok") metrics_.last_success = clock_.now();
        last_cycle_stop_ = report.stopped ? std::optional<std::string>(report.stopped->message) : std::nullopt;
        summary["outcome"] = name;
        summary["mode"] = engine::to_string(report.mode);
        summary["operations_done"] = report.operations_done;
        summary["operations_failed"] = report.operations_failed;
        summary["operations_left"] = report.operations_left;
        summary["invitations_sent"] = report.invitations_sent;
        summary["problems"] = report.problems.size();
        if (report.stopped) summary["stopped"] = report.stopped->message;
        if (report.held) summary["held"] = *report.held;
        if (report.cycle) summary["cycle"] = report.cycle->value();
        if (!report.reviews.empty()) summary["reviews"] = report.reviews.size();
        if (report.mode != engine::Mode::Apply) {
            summary["planned_operations"] = report.operations_planned;
            summary["planned_invitations"] = report.planned_invitations();
            log().info("mode = plan: {} operation(s) and {} invitation(s) would run; nothing was sent",
                       report.operations_planned, report.planned_invitations());
        } else {
            log().info("cycle ({}) finished in {:.1f} s: {} operation(s) done, {} failed, {} waiting, {} invitation(s)",
                       outcome.trigger, metrics_.last_cycle_seconds, report.operations_done, report.operations_failed,
                       report.operations_left, report.invitations_sent);
        }
    }
    last_cycle_ = summary;

    if (stopping_) {
        shutdown_timer_.cancel();
        io_.stop();
        return;
    }
    if (!reload_waiters_.empty()) {
        auto waiters = std::move(reload_waiters_);
        reload_waiters_.clear();
        for (auto& waiter : waiters) reload(std::move(waiter));
    }
    if (cycle_queued_) {
        std::string trigger = std::move(*cycle_queued_);
        cycle_queued_.reset();
        start_cycle(std::move(trigger));
        return;
    }
    schedule_regular();
    publish_status();
}

// ---- reload and shutdown ----------------------------------------------------------------------

void Service::reload(std::function<void(ControlReply)> reply) {
    const auto answer = [&](ControlResult result, std::string text) {
        if (reply) reply({result, std::move(text), nlohmann::json::object()});
    };
    if (cycle_running_) {
        // A new application may not open the store under a running cycle: reload right after it.
        log().info("reload asked for; it happens when the running cycle ends");
        reload_waiters_.push_back(reply ? std::move(reply) : [](const ControlReply&) {});
        return;
    }
    manager_.reloading();
    log().info("reloading {}", config_file_.string());
    // The same code validates and applies: load_config, then Application::create. The running
    // application is only replaced when both succeed.
    auto config = load_config(config_file_, environment_, registry_);
    std::string refusal;
    std::unique_ptr<Application> candidate;
    if (config.has_error()) {
        for (const ConfigError& error : config.error()) refusal += (refusal.empty() ? "" : "; ") + error.to_string();
    } else {
        const ServiceSettings& current = app_->config().service;
        if (config->service.control_socket != current.control_socket ||
            config->service.status_listen != current.status_listen) {
            log().warn("control_socket and status_listen changes take effect at the next restart");
        }
        LogOptions log_options;
        log_options.format = effective_log_format(config->service, environment_);
        log_options.file = config->service.log_file;
        log_options.system_log = manager_.system_log();
        // The running application keeps the state lock until it is replaced: the candidate opens
        // the store without one, and inherits it below.
        auto created = Application::create(std::move(config).value(), registry_, StateAccess::Shared, log_options);
        if (created.has_error()) {
            refusal = created.error().message;
        } else {
            candidate = std::move(created).value();
        }
    }
    if (candidate) {
        if (auto locked = candidate->inherit_state_lock(*app_); locked.has_error()) {
            refusal = locked.error().message;
            candidate.reset();
        }
    }
    std::unique_ptr<store::Store> candidate_reader;
    if (candidate) {
        auto reader = store::Store::open_reader(candidate->config().service.state_dir / "taxsync.db", clock_);
        if (reader.has_error()) {
            refusal = reader.error().message;
            candidate.reset();
        } else {
            candidate_reader = std::make_unique<store::Store>(std::move(reader).value());
        }
    }
    if (!candidate) {
        ++metrics_.reload_failures;
        last_reload_error_ = refusal;
        log().error("reload refused, still running the previous configuration: {}", refusal);
        manager_.ready("running the previous configuration; reload refused: " + refusal);
        publish_status();
        answer(ControlResult::Error, "reload refused, the previous configuration keeps running: " + refusal);
        return;
    }
    app_ = std::move(candidate);
    reader_ = std::move(candidate_reader);
    ++metrics_.reloads;
    last_reload_error_.reset();
    config_loaded_at_ = clock_.now();
    config_digest_ = file_digest(config_file_);
    watch_folders();
    log().info("configuration reloaded from {}", config_file_.string());
    manager_.ready("configuration reloaded");
    publish_status();
    // New rules or folders: look at the exports soon rather than at the old schedule.
    schedule(app_->config().service.change_delay, "reload");
    answer(ControlResult::Ok, "configuration reloaded from " + config_file_.string());
}

void Service::shutdown() {
    if (stopping_) return;
    stopping_ = true;
    manager_.stopping();
    log().info("stopping");
    boost::system::error_code ignored;
    signals_.cancel(ignored);
    cancel_schedule();
    watchdog_timer_.cancel();
    if (watcher_) watcher_->stop();
    if (control_) control_->stop();
    if (status_server_) status_server_->stop();
    for (auto& waiter : reload_waiters_) waiter({ControlResult::Error, "taxsync is stopping", nlohmann::json::object()});
    reload_waiters_.clear();
    if (!cycle_running_) {
        io_.stop();
        return;
    }
    // Let the running cycle end between two operations; give up waiting at the deadline.
    cycle_stop_.request_stop();
    const auto deadline = app_->config().service.shutdown_deadline;
    log().info("waiting up to {} for the running cycle to stop", seconds_text(deadline));
    shutdown_timer_.expires_after(deadline);
    shutdown_timer_.async_wait([this](const boost::system::error_code& error) {
        if (!error) io_.stop();
    });
}

// ---- folders, watchdog, status ----------------------------------------------------------------

void Service::watch_folders() {
    if (watcher_) watcher_->stop();
    watcher_.reset();
    const ServiceSettings& service = app_->config().service;
    if (service.watch == WatchMode::Off) return;
    std::vector<std::filesystem::path> folders;
    for (const auto& connector : app_->config().connectors) folders.push_back(connector.folder);
    const auto on_change = [this] { on_folder_change(); };
    if (service.watch == WatchMode::Native) {
        watcher_ = make_native_watcher(io_);
        if (auto started = watcher_->start(folders, on_change); started.has_error()) {
            log().warn("{}; falling back to looking every {} s", started.error().message, service.poll_interval.count());
            watcher_.reset();
        }
    }
    if (!watcher_) {
        watcher_ = make_polling_watcher(io_, service.poll_interval);
        if (auto started = watcher_->start(folders, on_change); started.has_error()) {
            log().warn("cannot watch the export folders ({}); only the schedule starts cycles", started.error().message);
            watcher_.reset();
        }
    }
}

void Service::feed_watchdog() {
    const auto interval = manager_.watchdog_interval();
    if (!interval || stopping_) return;
    manager_.watchdog();
    // Twice per interval, from the loop itself: if the loop hangs, systemd notices.
    watchdog_timer_.expires_after(*interval / 2);
    watchdog_timer_.async_wait([this](const boost::system::error_code& error) {
        if (!error) feed_watchdog();
    });
}

void Service::publish_status() {
    std::string text;
    if (cycle_running_) {
        text = "cycle running";
    } else if (last_cycle_) {
        text = "last cycle " + (*last_cycle_)["outcome"].get<std::string>() + " at " +
               (*last_cycle_)["finished_at"].get<std::string>();
    } else {
        text = "waiting for the first cycle";
    }
    if (paused_) text += "; paused";
    if (last_reload_error_) text += "; last reload refused";
    manager_.status(text);
}

nlohmann::json Service::status_arguments() {
    nlohmann::json status = {
        {"version", TAXSYNC_VERSION},
        {"pid", current_process_id()},
        {"started_at", format_utc(started_at_)},
        {"config_file", config_file_.string()},
        {"config_digest", config_digest_},
        {"config_loaded_at", format_utc(config_loaded_at_)},
        {"last_reload_error", last_reload_error_ ? nlohmann::json(*last_reload_error_) : nlohmann::json()},
        {"mode", engine::to_string(app_->config().service.mode)},
        {"paused", paused_},
        {"cycle_running", cycle_running_},
        {"watcher", watcher_ ? std::string(watcher_->kind()) : std::string("off")},
        {"status_port", status_port_},
        {"last_cycle", last_cycle_ ? *last_cycle_ : nlohmann::json()},
    };
    if (next_cycle_at_ && !cycle_running_) {
        const auto in = std::chrono::duration_cast<std::chrono::seconds>(*next_cycle_at_ - std::chrono::steady_clock::now());
        status["next_cycle_in_seconds"] = std::max<std::int64_t>(0, in.count());
        status["next_cycle_reason"] = next_cycle_reason_;
    }
    try {
        const auto people = reader_->person_statuses();
        nlohmann::json counts = nlohmann::json::object();
        for (const auto& [state, count] : count_states(people)) counts[state] = count;
        status["people"] = counts;
        status["outbox_waiting"] = store::waiting_operations(reader_->outbox_counts());
    } catch (const sqlite::Error& error) {
        status["store_error"] = error.what();
    }
    return status;
}

std::string Service::status_text(const nlohmann::json& status) const {
    std::ostringstream out;
    out << "taxsync " << status["version"].get<std::string>() << ", pid " << status["pid"] << ", running since "
        << status["started_at"].get<std::string>() << "\n";
    out << "configuration: " << status["config_file"].get<std::string>() << " (" << status["config_digest"].get<std::string>()
        << ", loaded " << status["config_loaded_at"].get<std::string>() << "), mode "
        << status["mode"].get<std::string>() << "\n";
    if (!status["last_reload_error"].is_null()) {
        out << "last reload REFUSED, previous configuration still running: "
            << status["last_reload_error"].get<std::string>() << "\n";
    }
    out << "state: " << (status["paused"].get<bool>() ? "paused" : "active")
        << (status["cycle_running"].get<bool>() ? ", cycle running" : "");
    if (status.contains("next_cycle_in_seconds")) {
        out << ", next cycle (" << status["next_cycle_reason"].get<std::string>() << ") in "
            << status["next_cycle_in_seconds"] << " s";
    }
    out << "; watching folders by " << status["watcher"].get<std::string>() << "\n";
    if (!status["last_cycle"].is_null()) {
        const auto& last = status["last_cycle"];
        out << "last cycle: " << last["outcome"].get<std::string>() << " at " << last["finished_at"].get<std::string>()
            << " (" << last["trigger"].get<std::string>() << ")";
        if (last.contains("operations_done")) {
            out << ", " << last["operations_done"] << " operation(s) done, " << last["operations_failed"] << " failed, "
                << last["invitations_sent"] << " invitation(s)";
        }
        if (last.contains("stopped")) out << "; stopped early: " << last["stopped"].get<std::string>();
        out << "\n";
    }
    if (status.contains("people")) {
        out << "people:";
        bool first = true;
        for (const auto& [state, count] : status["people"].items()) {
            out << (first ? " " : ", ") << count << " " << state;
            first = false;
        }
        out << "; outbox: " << status["outbox_waiting"] << " waiting";
    }
    return out.str();
}

HttpAnswer Service::on_http(const std::string& path) {
    if (path == "/healthz") {
        nlohmann::json body = {{"status", "ok"}, {"cycle_running", cycle_running_}, {"paused", paused_}};
        if (last_cycle_) body["last_cycle"] = *last_cycle_;
        if (last_reload_error_) body["last_reload_error"] = *last_reload_error_;
        unsigned status = 200;
        if (last_cycle_stop_) {
            // The loop answers, but the last cycle could not do its work (portal down, credentials refused).
            body["status"] = "failing";
            body["reason"] = *last_cycle_stop_;
            status = 503;
        }
        return {status, "application/json", body.dump() + "\n"};
    }
    if (path == "/metrics") {
        StateGauges gauges;
        try {
            gauges.outbox_waiting = store::waiting_operations(reader_->outbox_counts());
            gauges.people_by_state = count_states(reader_->person_statuses());
        } catch (const sqlite::Error& error) {
            return {503, "text/plain; charset=utf-8", std::string("the state database cannot be read: ") + error.what() + "\n"};
        }
        return {200, "text/plain; version=0.0.4; charset=utf-8", render_prometheus(metrics_, gauges, started_at_)};
    }
    return {404, "text/plain; charset=utf-8", "not found: try /healthz or /metrics\n"};
}

}  // namespace taxsync::daemon
