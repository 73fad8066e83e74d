// The rate limiter and the circuit breaker in the real binary against the emulator.

#include <gtest/gtest.h>

#include "tests/integration/harness.hpp"

namespace taxsync::testing {
namespace {

using nlohmann::json;

class GuardRailsTest : public ::testing::Test {
protected:
    TempDir dir;
    Emulator emulator{dir.path() / "emulator"};
    Workspace workspace{emulator};
};

TEST_F(GuardRailsTest, PortalDownOpensTheCircuitTheCycleStopsAndTheNextCycleResumes) {
    workspace.write_lacerte(Exports::numbered_rows(6, "g"));
    // One request at a time, so the count of attempts below is exact (Concurrency.* covers waves).
    workspace.write_config(
        "max_attempts = 2\nbreaker_failures = 3\nbreaker_cooldown_seconds = 120\nconcurrency = 1\n");
    emulator.faults({{"rules", json::array({{{"path", "/entities"}, {"status", 503}}})}});
    const auto down = workspace.taxsync({"once"});
    EXPECT_EQ(down.exit_code, 1) << down.out << down.err;
    EXPECT_NE(down.out.find("Stopped early: portal unavailable, circuit open until 20"), std::string::npos) << down.out;
    EXPECT_NE(down.err.find("portal unavailable, circuit open until"), std::string::npos) << down.err;
    // Three failed attempts opened it; nothing more was sent to a portal known to be down.
    EXPECT_EQ(emulator.count_requests("GET", "/entities"), 3U);
    EXPECT_EQ(emulator.count_requests("POST", "/entities"), 0U);

    const auto status = workspace.taxsync({"status"});
    EXPECT_NE(status.out.find("Stopped early: portal unavailable, circuit open until"), std::string::npos)
        << status.out;
    const auto status_json = json::parse(workspace.taxsync({"status", "--json"}).out);
    EXPECT_NE(status_json["last_cycle"]["summary"]["stopped"].get<std::string>().find("circuit open"),
              std::string::npos)
        << status_json.dump();

    emulator.faults({{"rules", json::array()}});
    const auto up = workspace.taxsync({"once"});
    EXPECT_EQ(up.exit_code, 0) << up.out << up.err;
    expect_each_invited_once(emulator, 6);
}

TEST_F(GuardRailsTest, RequestsKeepToTheConfiguredRateAndSlowDownOnTooManyRequests) {
    workspace.write_lacerte(Exports::numbered_rows(3, "g"));
    workspace.write_config("requests_per_minute = 1200\nburst = 1\n");  // one request per 50 ms
    emulator.faults(
        {{"rules", json::array({{{"method", "POST"}, {"path", "/users"}, {"status", 429}, {"times", 1}}})}});
    const auto started = std::chrono::steady_clock::now();
    const auto result = workspace.taxsync({"once"});
    const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    EXPECT_NE(result.err.find("slowing to 600 requests/minute"), std::string::npos) << result.err;
    const std::size_t sent = emulator.requests().size();
    ASSERT_GT(sent, 10U);
    // At 20/s (10/s after the 429) the requests cannot have gone faster than the limit allows.
    EXPECT_GE(elapsed, static_cast<double>(sent - 1) / 20.0) << sent << " requests";
    EXPECT_EQ(emulator.invitations().size(), 3U);
}

}  // namespace
}  // namespace taxsync::testing
