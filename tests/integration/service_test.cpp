// `taxsync run` as systemd would run it: a real process, $NOTIFY_SOCKET pointing at a socket the
// test reads, the emulator on loopback, the control socket and the health endpoint.

#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <thread>

#include "portal/curl_http_client.hpp"
#include "store/sqlite.hpp"
#include "tests/integration/harness.hpp"

namespace taxsync::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::vector<std::string> rows(int from, int to) {
    std::vector<std::string> out;
    for (int i = from; i <= to; ++i) {
        char id[16];
        std::snprintf(id, sizeof id, "%05dI", i);
        out.push_back(Exports::lacerte_row(id, "First" + std::to_string(i), "Last", "900-31-" + std::string(id).substr(1, 4),
                                           "p" + std::to_string(i) + "@example.com"));
    }
    return out;
}

class ServiceTest : public ::testing::Test {
protected:
    void SetUp() override {
        workspace.write_config("", "", service_settings());
        notify = std::make_unique<NotifyListener>(workspace.dir() / "notify.sock");
    }

    [[nodiscard]] static std::string service_settings(const std::string& log_format = "journal") {
        return "interval_seconds = 600\nchange_delay_seconds = 1\nstatus_listen = \"127.0.0.1:0\"\n"
               "control_socket = \"control.sock\"\nlog_format = \"" + log_format + "\"\n";
    }

    std::unique_ptr<Process> start_service(std::map<std::string, std::string> env = {}) {
        env["NOTIFY_SOCKET"] = notify->path().string();
        auto process = std::make_unique<Process>(
            taxsync_binary(), std::vector<std::string>{"--config", workspace.config_file().string(), "run"},
            workspace.dir() / "logs", env);
        return process;
    }

    RunResult ctl(const std::string& command, bool json_output = false) {
        std::vector<std::string> args = {"ctl", command};
        if (json_output) args.emplace_back("--json");
        return workspace.taxsync(args);
    }

    json status() {
        const auto result = ctl("status", true);
        EXPECT_EQ(result.exit_code, 0) << result.err;
        return json::parse(result.out)["arguments"];
    }

    // Waits until `condition` holds, checking every 50 ms.
    static bool eventually(const std::function<bool()>& condition, milliseconds timeout = seconds(15)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (condition()) return true;
            std::this_thread::sleep_for(milliseconds(50));
        }
        return condition();
    }

    std::pair<int, std::string> http_get(const std::string& path) {
        portal::CurlHttpClient client{portal::CurlOptions{}};
        const auto port = status()["status_port"].get<int>();
        auto response = client.send({"GET", "http://127.0.0.1:" + std::to_string(port) + path, {}, ""});
        if (response.has_error()) return {0, response.error().message};
        return {response->status, response->body};
    }

    TempDir dir;
    Emulator emulator{dir.path() / "emulator"};
    Workspace workspace{emulator};
    std::unique_ptr<NotifyListener> notify;
    portal::CurlGlobal curl;
};

TEST_F(ServiceTest, BecomesReadyAndInvitesANewExportWithinSeconds) {
    auto service = start_service();
    const std::string ready = notify->wait_for("READY=1", seconds(10));
    ASSERT_FALSE(ready.empty()) << service->err() << service->out();
    EXPECT_NE(ready.find("MAINPID=" + std::to_string(service->pid())), std::string::npos) << ready;

    const auto dropped = std::chrono::steady_clock::now();
    workspace.write_lacerte(rows(1, 3));
    ASSERT_TRUE(eventually([&] { return emulator.invitations().size() == 3; })) << service->out();
    const auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - dropped);
    std::cout << "[ figures ] export dropped -> 3 invitations sent: " << took.count() << " ms\n";
    EXPECT_LT(took, seconds(5));

    // A second export arriving later is picked up too, and nobody is invited twice.
    workspace.write_lacerte(rows(4, 5), "more.csv");
    ASSERT_TRUE(eventually([&] { return emulator.invitations().size() == 5; }));
    for (const auto& [email, count] : emulator.invitations()) EXPECT_EQ(count, 1) << email;

    service->kill(SIGTERM);
    EXPECT_EQ(service->wait_for(seconds(10)), 0);
    EXPECT_FALSE(notify->wait_for("STOPPING=1", seconds(1)).empty());
    EXPECT_FALSE(std::filesystem::exists(workspace.dir() / "control.sock"));
}

TEST_F(ServiceTest, RefusedReloadKeepsTheOldConfigurationRunning) {
    workspace.write_lacerte(rows(1, 1));
    auto service = start_service();
    ASSERT_FALSE(notify->wait_for("READY=1", seconds(10)).empty()) << service->err() << service->out();
    ASSERT_TRUE(eventually([&] { return emulator.invitations().size() == 1; }));

    // A typo in the file: `ctl reload` refuses it before the service even sees it...
    std::string text = read_file(workspace.config_file());
    {
        std::ofstream out(workspace.config_file());
        out << text << "\n[portal.oops]\n";
    }
    const auto refused = ctl("reload");
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.err.find("taxsync.toml:"), std::string::npos) << refused.err;
    // ...and SIGHUP (what a plain `kill -HUP` does) is refused by the service itself.
    service->kill(SIGHUP);
    ASSERT_FALSE(notify->wait_for("RELOADING=1", seconds(5)).empty());
    EXPECT_NE(notify->wait_for("READY=1", seconds(5)).find("reload refused"), std::string::npos);
    const json after = status();
    ASSERT_TRUE(after["last_reload_error"].is_string());
    EXPECT_NE(after["last_reload_error"].get<std::string>().find("unknown key 'oops'"), std::string::npos);

    // The old configuration keeps working: a new export is still invited.
    workspace.write_lacerte(rows(2, 2), "new.csv");
    EXPECT_TRUE(eventually([&] { return emulator.invitations().size() == 2; })) << service->out();

    // A good file is accepted, through the same command systemd's ExecReload= runs.
    {
        std::ofstream out(workspace.config_file());
        out << text;
    }
    const auto accepted = ctl("reload");
    EXPECT_EQ(accepted.exit_code, 0) << accepted.err;
    EXPECT_TRUE(status()["last_reload_error"].is_null());
    service->kill(SIGTERM);
    EXPECT_EQ(service->wait_for(seconds(10)), 0);
}

TEST_F(ServiceTest, SigtermMidCycleLeavesAConsistentStoreAndTheNextStartFinishes) {
    workspace.write_lacerte(rows(1, 15));
    emulator.faults({{"rules", json::array({{{"path", "*"}, {"delay_ms", 40}}})}});
    auto service = start_service();
    ASSERT_FALSE(notify->wait_for("READY=1", seconds(10)).empty()) << service->err();
    ASSERT_TRUE(eventually([&] { return emulator.invitations().size() >= 2; }));
    const auto asked = std::chrono::steady_clock::now();
    service->kill(SIGTERM);
    const auto code = service->wait_for(seconds(20));
    const auto stop_took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - asked);
    std::cout << "[ figures ] SIGTERM mid-cycle -> exit: " << stop_took.count() << " ms\n";
    EXPECT_EQ(code, 0) << service->out();
    EXPECT_LT(emulator.invitations().size(), 15U) << "the cycle ended before it could be interrupted";
    {
        auto db = sqlite::Database::open(workspace.database(), sqlite::OpenMode::ReadOnly).value();
        EXPECT_EQ(db.query_text("PRAGMA integrity_check"), "ok");
        EXPECT_GT(db.query_int("SELECT count(*) FROM outbox WHERE state = 'pending'").value_or(0), 0);
        EXPECT_EQ(db.query_int("SELECT count(*) FROM outbox WHERE state = 'in_flight'"), 0);  // stopped between steps
        EXPECT_EQ(db.query_text("SELECT outcome FROM cycles ORDER BY id DESC LIMIT 1"), "interrupted");
    }

    emulator.faults({{"rules", json::array()}});
    auto again = start_service();
    ASSERT_TRUE(eventually([&] { return emulator.invitations().size() == 15; })) << again->out();
    for (const auto& [email, count] : emulator.invitations()) EXPECT_EQ(count, 1) << email;
    again->kill(SIGTERM);
    EXPECT_EQ(again->wait_for(seconds(10)), 0);
}

TEST_F(ServiceTest, WatchdogIsFedFromTheEventLoop) {
    auto service = start_service({{"WATCHDOG_USEC", "200000"}});  // 0.2 s: the loop pings every 0.1 s
    ASSERT_FALSE(notify->wait_for("READY=1", seconds(10)).empty());
    std::this_thread::sleep_for(milliseconds(800));
    std::size_t pings = 0;
    for (const auto& message : notify->messages()) pings += message == "WATCHDOG=1" ? 1 : 0;
    EXPECT_GE(pings, 5U);
    service->kill(SIGTERM);
    EXPECT_EQ(service->wait_for(seconds(10)), 0);
}

TEST_F(ServiceTest, PauseResumeAndSyncNowFromTheControlChannel) {
    auto service = start_service();
    ASSERT_FALSE(notify->wait_for("READY=1", seconds(10)).empty());
    ASSERT_TRUE(eventually([&] { return !status()["last_cycle"].is_null(); }));  // the start-up cycle

    ASSERT_EQ(ctl("pause").exit_code, 0);
    EXPECT_TRUE(status()["paused"].get<bool>());
    workspace.write_lacerte(rows(1, 2));
    std::this_thread::sleep_for(seconds(2));
    EXPECT_TRUE(emulator.invitations().empty());  // a change does not start a cycle while paused

    const auto sync = ctl("sync-now");
    EXPECT_EQ(sync.exit_code, 0) << sync.err;  // an administrator's explicit request still runs
    ASSERT_TRUE(eventually([&] { return emulator.invitations().size() == 2; }));
    ASSERT_EQ(ctl("resume").exit_code, 0);
    EXPECT_FALSE(status()["paused"].get<bool>());
    workspace.write_lacerte(rows(3, 3), "late.csv");
    EXPECT_TRUE(eventually([&] { return emulator.invitations().size() == 3; }));

    const auto unknown = workspace.taxsync({"ctl", "explode"});
    EXPECT_EQ(unknown.exit_code, 64);
    service->kill(SIGTERM);
    EXPECT_EQ(service->wait_for(seconds(10)), 0);
}

TEST_F(ServiceTest, NeverTwoCyclesAtOnce) {
    workspace.write_lacerte(rows(1, 8));
    emulator.faults({{"rules", json::array({{{"path", "*"}, {"delay_ms", 30}}})}});
    auto service = start_service();
    ASSERT_FALSE(notify->wait_for("READY=1", seconds(10)).empty());
    ASSERT_TRUE(eventually([&] { return status()["cycle_running"].get<bool>(); }, seconds(5)));
    for (int i = 0; i < 3; ++i) EXPECT_EQ(ctl("sync-now").exit_code, 0);
    ASSERT_TRUE(eventually([&] { return emulator.invitations().size() == 8 && !status()["cycle_running"].get<bool>(); },
                           seconds(30)));
    service->kill(SIGTERM);
    EXPECT_EQ(service->wait_for(seconds(10)), 0);
    auto db = sqlite::Database::open(workspace.database(), sqlite::OpenMode::ReadOnly).value();
    // The three requests during the first cycle folded into one follow-up cycle...
    EXPECT_EQ(db.query_int("SELECT count(*) FROM cycles"), 2);
    // ...which started only after the first one had finished.
    EXPECT_EQ(db.query_int("SELECT count(*) FROM cycles a JOIN cycles b ON a.id < b.id WHERE b.started_at < a.finished_at"),
              0);
}

TEST_F(ServiceTest, HealthAndMetricsOnLoopback) {
    workspace.write_lacerte(rows(1, 2));
    auto service = start_service();
    ASSERT_FALSE(notify->wait_for("READY=1", seconds(10)).empty());
    ASSERT_TRUE(eventually([&] { return emulator.invitations().size() == 2; }));
    ASSERT_TRUE(eventually([&] { return !status()["cycle_running"].get<bool>(); }));

    const auto [health_status, health] = http_get("/healthz");
    EXPECT_EQ(health_status, 200) << health;
    EXPECT_EQ(json::parse(health)["status"], "ok");
    const auto [metrics_status, metrics] = http_get("/metrics");
    EXPECT_EQ(metrics_status, 200);
    EXPECT_NE(metrics.find("taxsync_invitations_sent_total 2\n"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("taxsync_cycles_total{outcome=\"ok\"} 1\n"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("taxsync_people{state=\"invited\"} 2\n"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("taxsync_outbox_depth 0\n"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("# TYPE taxsync_portal_operations_total counter"), std::string::npos);
    EXPECT_EQ(http_get("/nothing").first, 404);

    // The portal starts refusing the credentials: the service stays up, health says so.
    workspace.write_secret("a-wrong-secret-for-this-test");
    ASSERT_EQ(ctl("reload").exit_code, 0);
    workspace.write_lacerte(rows(3, 3), "new.csv");
    ASSERT_TRUE(eventually([&] { return http_get("/healthz").first == 503; })) << service->out();
    EXPECT_NE(http_get("/healthz").second.find("refused"), std::string::npos);
    service->kill(SIGTERM);
    EXPECT_EQ(service->wait_for(seconds(10)), 0);
}

TEST_F(ServiceTest, LogsCarryPrioritiesAndNeverSecretsOrTaxIds) {
    workspace.write_lacerte(rows(1, 3));
    auto service = start_service();
    ASSERT_FALSE(notify->wait_for("READY=1", seconds(10)).empty());
    ASSERT_TRUE(eventually([&] { return emulator.invitations().size() == 3; }));
    service->kill(SIGTERM);
    ASSERT_EQ(service->wait_for(seconds(10)), 0);
    const std::string out = service->out();
    std::istringstream lines(out);
    std::string line;
    std::size_t count = 0;
    while (std::getline(lines, line)) {
        ++count;
        ASSERT_TRUE(line.size() > 3 && line[0] == '<' && line[2] == '>') << "no journald priority: " << line;
    }
    EXPECT_GT(count, 5U);
    EXPECT_NE(out.find("<7>POST /users -> 201"), std::string::npos);  // debug lines at priority 7
    for (const std::string& secret : {emulator.secret(), std::string("900-31-0001"), std::string("900310001")}) {
        EXPECT_EQ(out.find(secret), std::string::npos) << secret;
        EXPECT_EQ(service->err().find(secret), std::string::npos) << secret;
    }

    // The same run as JSON lines: every line parses and has a level.
    workspace.write_config("", "", service_settings("json"));
    auto json_service = start_service();
    ASSERT_FALSE(notify->wait_for("READY=1", seconds(10)).empty());
    json_service->kill(SIGTERM);
    ASSERT_EQ(json_service->wait_for(seconds(10)), 0);
    std::istringstream json_lines(json_service->out());
    count = 0;
    while (std::getline(json_lines, line)) {
        const json parsed = json::parse(line, nullptr, false);
        ASSERT_TRUE(parsed.is_object()) << line;
        EXPECT_TRUE(parsed.contains("level") && parsed.contains("time") && parsed.contains("message")) << line;
        ++count;
    }
    EXPECT_GT(count, 1U);
}

TEST_F(ServiceTest, PollingPicksUpExportsWhereTheSystemReportsNoChanges) {
    workspace.write_config("", "", service_settings() + "watch = \"polling\"\npoll_seconds = 1\n" +
                                       "log_file = \"logs/taxsync.log\"\n");
    auto service = start_service();
    ASSERT_FALSE(notify->wait_for("READY=1", seconds(10)).empty()) << service->out();
    EXPECT_EQ(status()["watcher"], "polling");
    workspace.write_lacerte(rows(1, 2));
    EXPECT_TRUE(eventually([&] { return emulator.invitations().size() == 2; }, seconds(10))) << service->out();
    service->kill(SIGTERM);
    ASSERT_EQ(service->wait_for(seconds(10)), 0);
    // log_file: the same lines, with a timestamp, in a file (rotated at 10 MB).
    const std::string file = read_file(workspace.dir() / "logs" / "taxsync.log");
    EXPECT_NE(file.find("info invited p1@example.com"), std::string::npos) << file;
    EXPECT_EQ(file.find("900-31-0001"), std::string::npos);
}

TEST_F(ServiceTest, ASecondInstanceOnTheSameStateRefusesToStart) {
    auto first = start_service();
    ASSERT_FALSE(notify->wait_for("READY=1", seconds(10)).empty());
    const auto second = workspace.taxsync({"run"});
    EXPECT_EQ(second.exit_code, 1);
    EXPECT_NE((second.out + second.err).find("another taxsync (pid " + std::to_string(first->pid()) + ") is already using"),
              std::string::npos)
        << second.err << second.out;
    // A one-off cycle next to the service is refused the same way; a plan and the status are not.
    const auto once = workspace.taxsync({"once"});
    EXPECT_EQ(once.exit_code, 1);
    EXPECT_NE(once.err.find("is already using"), std::string::npos) << once.err;
    EXPECT_EQ(workspace.taxsync({"plan"}).exit_code, 0);
    EXPECT_EQ(workspace.taxsync({"status"}).exit_code, 0);
    EXPECT_TRUE(first->running());
    // Nothing the refused ones did marked the service's state as interrupted.
    auto db = sqlite::Database::open(workspace.database(), sqlite::OpenMode::ReadOnly).value();
    EXPECT_EQ(db.query_int("SELECT count(*) FROM cycles WHERE outcome = 'interrupted'"), 0);
    first->kill(SIGTERM);
    EXPECT_EQ(first->wait_for(seconds(10)), 0);
}

}  // namespace
}  // namespace taxsync::testing
