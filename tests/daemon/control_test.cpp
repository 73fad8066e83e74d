#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "daemon/control_protocol.hpp"
#include "daemon/control_server.hpp"
#include "daemon/endpoint.hpp"
#include "daemon/metrics.hpp"
#include "tests/support/temp_dir.hpp"

namespace taxsync::daemon {
namespace {

TEST(ControlProtocol, RequestsAndRepliesRoundTrip) {
    std::string problem;
    const auto request = decode_request(encode_request({"sync-now", {{"why", "test"}}}), problem);
    EXPECT_TRUE(problem.empty());
    EXPECT_EQ(request.command, "sync-now");
    EXPECT_EQ(request.arguments["why"], "test");
    const auto reply = decode_reply(encode_reply({ControlResult::Unsupported, "no", {{"a", 1}}}));
    EXPECT_EQ(reply.result, ControlResult::Unsupported);
    EXPECT_EQ(reply.text, "no");
    EXPECT_EQ(reply.arguments["a"], 1);
}

TEST(ControlProtocol, MalformedLinesBecomeErrorsNotExceptions) {
    std::string problem;
    decode_request("{not json", problem);
    EXPECT_FALSE(problem.empty());
    problem.clear();
    decode_request(R"({"command": 5})", problem);
    EXPECT_FALSE(problem.empty());
    EXPECT_EQ(decode_reply("garbage").result, ControlResult::Error);
}

TEST(Endpoint, OnlyLoopbackIsAccepted) {
    EXPECT_EQ(parse_loopback_endpoint("127.0.0.1:9464")->port, 9464);
    EXPECT_EQ(parse_loopback_endpoint("localhost:0")->address, "127.0.0.1");
    EXPECT_EQ(parse_loopback_endpoint("[::1]:80")->address, "::1");
    const auto remote = parse_loopback_endpoint("0.0.0.0:9464");
    ASSERT_TRUE(remote.has_error());
    EXPECT_NE(remote.error().message.find("loopback only"), std::string::npos);
    EXPECT_TRUE(parse_loopback_endpoint("10.1.2.3:80").has_error());
    EXPECT_TRUE(parse_loopback_endpoint("127.0.0.1").has_error());
    EXPECT_TRUE(parse_loopback_endpoint("127.0.0.1:99999").has_error());
    EXPECT_TRUE(parse_loopback_endpoint("127.0.0.1:12ab").has_error());
}

TEST(Metrics, PrometheusTextHasEveryFamilyWithTypeAndHelp) {
    ServiceMetrics metrics;
    metrics.cycles["ok"] = 3;
    metrics.cycles["failed"] = 1;
    metrics.invitations_sent = 43;
    metrics.last_success = from_unix_seconds(1'800'000'000);
    StateGauges gauges{7, {{"invited", 40}, {"missing_email", 2}}};
    const std::string text = render_prometheus(metrics, gauges, from_unix_seconds(1'790'000'000));
    EXPECT_NE(text.find("taxsync_cycles_total{outcome=\"ok\"} 3\n"), std::string::npos);
    EXPECT_NE(text.find("taxsync_cycles_total{outcome=\"interrupted\"} 0\n"), std::string::npos);  // zero is shown
    EXPECT_NE(text.find("taxsync_invitations_sent_total 43\n"), std::string::npos);
    EXPECT_NE(text.find("taxsync_outbox_depth 7\n"), std::string::npos);
    EXPECT_NE(text.find("taxsync_people{state=\"missing_email\"} 2\n"), std::string::npos);
    EXPECT_NE(text.find("taxsync_last_success_timestamp_seconds 1800000000\n"), std::string::npos);
    // Every sample belongs to a family announced with HELP and TYPE.
    std::istringstream lines(text);
    std::string line;
    std::set<std::string> announced;
    while (std::getline(lines, line)) {
        if (line.rfind("# TYPE ", 0) == 0) announced.insert(line.substr(7, line.find(' ', 7) - 7));
        if (line.empty() || line[0] == '#') continue;
        const std::string name = line.substr(0, line.find_first_of("{ "));
        EXPECT_EQ(announced.count(name), 1U) << name;
    }
}

TEST(ControlServer, AnswersOverARealSocketAndRefusesASecondServer) {
    testing::TempDir dir;
    const auto socket = dir.path() / "control.sock";
    boost::asio::io_context io;
    ControlServer server(io, [](const ControlRequest& request, std::function<void(ControlReply)> reply) {
        reply({request.command == "status" ? ControlResult::Ok : ControlResult::Unsupported, "you said " + request.command,
               {{"echo", request.command}}});
    });
    ASSERT_TRUE(server.listen(socket).has_value());
    std::thread loop([&] { io.run_for(std::chrono::seconds(5)); });

    const auto status = send_control_request(socket, {"status", nlohmann::json::object()}, std::chrono::seconds(3));
    ASSERT_TRUE(status.has_value()) << status.error().message;
    EXPECT_EQ(status->result, ControlResult::Ok);
    EXPECT_EQ(status->arguments["echo"], "status");
    const auto other = send_control_request(socket, {"explode", nlohmann::json::object()}, std::chrono::seconds(3));
    EXPECT_EQ(other->result, ControlResult::Unsupported);

    boost::asio::io_context second_io;
    ControlServer second(second_io, [](const ControlRequest&, std::function<void(ControlReply)>) {});
    const auto refused = second.listen(socket);
    ASSERT_TRUE(refused.has_error());
    EXPECT_NE(refused.error().message.find("already running"), std::string::npos);

    server.stop();
    io.stop();
    loop.join();
    EXPECT_FALSE(std::filesystem::exists(socket));
    const auto gone = send_control_request(socket, {"status", nlohmann::json::object()}, std::chrono::seconds(1));
    ASSERT_TRUE(gone.has_error());
    EXPECT_NE(gone.error().message.find("is the service running"), std::string::npos);
}

TEST(ControlServer, ALeftoverSocketFileIsReplaced) {
    testing::TempDir dir;
    const auto socket = dir.path() / "control.sock";
    {
        // What a process killed with SIGKILL leaves: a bound socket file nobody listens on.
        boost::asio::io_context io;
        boost::asio::local::stream_protocol::acceptor killed(io);
        killed.open(boost::asio::local::stream_protocol());
        killed.bind(boost::asio::local::stream_protocol::endpoint(socket.string()));
    }
    ASSERT_TRUE(std::filesystem::exists(socket));
    boost::asio::io_context io;
    ControlServer server(io, [](const ControlRequest&, std::function<void(ControlReply)> reply) {
        reply({ControlResult::Ok, "fresh", nlohmann::json::object()});
    });
    ASSERT_TRUE(server.listen(socket).has_value());
    std::thread loop([&] { io.run_for(std::chrono::seconds(3)); });
    const auto answer = send_control_request(socket, {"status", nlohmann::json::object()}, std::chrono::seconds(2));
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->text, "fresh");
    server.stop();
    io.stop();
    loop.join();
}

}  // namespace
}  // namespace taxsync::daemon
