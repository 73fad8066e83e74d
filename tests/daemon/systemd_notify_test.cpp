#include "daemon/systemd_notify.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace taxsync::daemon {
namespace {

constexpr pid_t kSelf = 4242;

/// Plays systemd's part: a datagram socket bound to a path or an abstract name, read one message at a time.
class NotifyReceiver {
public:
    explicit NotifyReceiver(const std::string& name) : fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
        if (fd_ < 0) throw std::runtime_error("socket failed");
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        if (name.size() >= sizeof address.sun_path) throw std::runtime_error("name too long: " + name);
        std::memcpy(address.sun_path, name.data(), name.size());
        const bool abstract = name.starts_with('@');
        if (abstract) address.sun_path[0] = '\0';
        const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + (abstract ? 0 : 1));
        if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
            const std::string reason = std::strerror(errno);
            ::close(fd_);
            throw std::runtime_error("bind " + name + ": " + reason);
        }
    }
    ~NotifyReceiver() { ::close(fd_); }
    NotifyReceiver(const NotifyReceiver&) = delete;
    NotifyReceiver& operator=(const NotifyReceiver&) = delete;
    NotifyReceiver(NotifyReceiver&&) = delete;
    NotifyReceiver& operator=(NotifyReceiver&&) = delete;

    /// The next datagram, or nullopt when none arrives within a second.
    std::optional<std::string> receive() const {
        pollfd waiting{fd_, POLLIN, 0};
        if (::poll(&waiting, 1, 1000) != 1) return std::nullopt;
        std::vector<char> buffer(4096);
        const ssize_t size = ::recv(fd_, buffer.data(), buffer.size(), 0);
        if (size < 0) return std::nullopt;
        return std::string(buffer.data(), static_cast<std::size_t>(size));
    }

private:
    int fd_;
};

std::unique_ptr<SystemdNotifier> notifier_for(const std::string& socket_name, NotifyFailureReporter report = {}) {
    auto notifier = SystemdNotifier::from_environment({{"NOTIFY_SOCKET", socket_name}}, kSelf, std::move(report));
    if (!notifier) throw std::runtime_error("no notifier for " + socket_name);
    return notifier;
}

std::uint64_t monotonic_now_usec() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000U + static_cast<std::uint64_t>(now.tv_nsec) / 1'000U;
}

/// Unique per test process, so parallel test runs do not share an abstract name.
std::string abstract_name(const std::string& tag) {
    return "@taxsync-notify-test-" + std::to_string(::getpid()) + "-" + tag;
}

TEST(SystemdNotifier, SendsEachMessageAsOneDatagramToAPathSocket) {
    const testing::TempDir dir;
    const std::string path = (dir.path() / "notify.sock").string();
    const NotifyReceiver systemd(path);
    const auto notifier = notifier_for(path);

    notifier->ready("watching 2 folders; next cycle 10:00");
    EXPECT_EQ(systemd.receive(), "READY=1\nSTATUS=watching 2 folders; next cycle 10:00\nMAINPID=4242");
    notifier->status("last cycle: 3 invited");
    EXPECT_EQ(systemd.receive(), "STATUS=last cycle: 3 invited");
    notifier->watchdog();
    EXPECT_EQ(systemd.receive(), "WATCHDOG=1");
    notifier->stopping();
    EXPECT_EQ(systemd.receive(), "STOPPING=1");
}

TEST(SystemdNotifier, SendsToTheAbstractNamespace) {
    const std::string name = abstract_name("abstract");
    const NotifyReceiver systemd(name);
    const auto notifier = notifier_for(name);

    notifier->ready("ready");
    EXPECT_EQ(systemd.receive(), "READY=1\nSTATUS=ready\nMAINPID=4242");
    notifier->watchdog();
    EXPECT_EQ(systemd.receive(), "WATCHDOG=1");
}

TEST(SystemdNotifier, ReloadingCarriesTheMonotonicClockInMicroseconds) {
    const std::string name = abstract_name("reload");
    const NotifyReceiver systemd(name);
    const auto notifier = notifier_for(name);

    const std::uint64_t before = monotonic_now_usec();
    notifier->reloading();
    const std::uint64_t after = monotonic_now_usec();

    const auto message = systemd.receive();
    ASSERT_TRUE(message.has_value());
    const std::string prefix = "RELOADING=1\nMONOTONIC_USEC=";
    ASSERT_TRUE(message->starts_with(prefix)) << *message;
    const std::string digits = message->substr(prefix.size());
    ASSERT_FALSE(digits.empty());
    ASSERT_EQ(digits.find_first_not_of("0123456789"), std::string::npos) << *message;
    const std::uint64_t sent = std::stoull(digits);
    EXPECT_GE(sent, before);
    EXPECT_LE(sent, after);
}

TEST(SystemdNotifier, StatusIsKeptOnOneLine) {
    const std::string name = abstract_name("status");
    const NotifyReceiver systemd(name);
    const auto notifier = notifier_for(name);

    notifier->status("reload refused:\nline 3: unknown key\r\nold configuration kept");
    EXPECT_EQ(systemd.receive(), "STATUS=reload refused: line 3: unknown key  old configuration kept");
    notifier->ready(std::string("a\0b", 3));
    EXPECT_EQ(systemd.receive(), "READY=1\nSTATUS=a b\nMAINPID=4242");
}

TEST(SystemdNotifier, NoNotifierWithoutAUsableSocket) {
    EXPECT_EQ(SystemdNotifier::from_environment({}, kSelf), nullptr);
    EXPECT_EQ(SystemdNotifier::from_environment({{"NOTIFY_SOCKET", ""}}, kSelf), nullptr);
    EXPECT_EQ(SystemdNotifier::from_environment({{"NOTIFY_SOCKET", "relative/notify"}}, kSelf), nullptr);
    EXPECT_EQ(SystemdNotifier::from_environment({{"NOTIFY_SOCKET", "@"}}, kSelf), nullptr);
    EXPECT_EQ(SystemdNotifier::from_environment({{"NOTIFY_SOCKET", "/" + std::string(200, 'x')}}, kSelf), nullptr);
    EXPECT_EQ(SystemdNotifier::from_environment({{"WATCHDOG_USEC", "30000000"}}, kSelf), nullptr);

    const auto notifier = SystemdNotifier::from_environment({{"NOTIFY_SOCKET", "/run/systemd/notify"}}, kSelf);
    ASSERT_NE(notifier, nullptr);
    EXPECT_EQ(notifier->socket_name(), "/run/systemd/notify");
}

TEST(SystemdNotifier, AFailedSendNeitherThrowsNorFloodsTheLog) {
    const testing::TempDir dir;
    const std::string path = (dir.path() / "nobody-listens.sock").string();
    std::vector<std::string> reports;
    const auto notifier = notifier_for(path, [&](const std::string& reason) { reports.push_back(reason); });

    EXPECT_NO_THROW(notifier->ready("ready"));
    EXPECT_NO_THROW(notifier->watchdog());
    EXPECT_NO_THROW(notifier->reloading());
    EXPECT_NO_THROW(notifier->status("text"));
    EXPECT_NO_THROW(notifier->stopping());
    EXPECT_FALSE(notifier->send("WATCHDOG=1"));
    ASSERT_EQ(reports.size(), 1U);
    EXPECT_NE(reports.front().find(path), std::string::npos) << reports.front();

    // Once a message goes through again, the next failure is worth reporting again.
    {
        const NotifyReceiver systemd(path);
        EXPECT_TRUE(notifier->send("WATCHDOG=1"));
        EXPECT_EQ(systemd.receive(), "WATCHDOG=1");
    }
    std::filesystem::remove(path);
    notifier->watchdog();
    EXPECT_EQ(reports.size(), 2U);
}

TEST(SystemdNotifier, AReporterThatThrowsDoesNotStopTheService) {
    const auto notifier = notifier_for(abstract_name("nobody-listens"),
                                       [](const std::string&) { throw std::runtime_error("logger broke"); });
    EXPECT_NO_THROW(notifier->watchdog());
}

TEST(SystemdNotifier, WatchdogIntervalAppliesOnlyToTheNamedProcess) {
    using std::chrono::microseconds;
    const auto interval = [](std::map<std::string, std::string> environment) {
        environment.emplace("NOTIFY_SOCKET", "/run/systemd/notify");
        return SystemdNotifier::from_environment(environment, kSelf)->watchdog_interval();
    };
    EXPECT_EQ(interval({}), std::nullopt);
    EXPECT_EQ(interval({{"WATCHDOG_USEC", "60000000"}}), microseconds(60'000'000));
    EXPECT_EQ(interval({{"WATCHDOG_USEC", "60000000"}, {"WATCHDOG_PID", "4242"}}), microseconds(60'000'000));
    EXPECT_EQ(interval({{"WATCHDOG_USEC", "60000000"}, {"WATCHDOG_PID", "1"}}), std::nullopt);
    EXPECT_EQ(interval({{"WATCHDOG_USEC", "60000000"}, {"WATCHDOG_PID", "42x"}}), std::nullopt);
    EXPECT_EQ(interval({{"WATCHDOG_USEC", "0"}}), std::nullopt);
    EXPECT_EQ(interval({{"WATCHDOG_USEC", "-5"}}), std::nullopt);
    EXPECT_EQ(interval({{"WATCHDOG_USEC", "60s"}}), std::nullopt);
}

TEST(NotifyEnvironment, ReadsOnlyTheNotifyVariables) {
    // Saved and restored, in case this test itself runs under a service manager.
    std::map<std::string, std::optional<std::string>> saved;
    for (const char* name : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"}) {
        const char* value = std::getenv(name);
        saved[name] = value != nullptr ? std::optional<std::string>(value) : std::nullopt;
    }
    ::setenv("NOTIFY_SOCKET", "@taxsync-env-test", 1);
    ::setenv("WATCHDOG_USEC", "1000", 1);
    ::unsetenv("WATCHDOG_PID");

    const auto environment = notify_environment();

    for (const auto& [name, value] : saved) {
        if (value) {
            ::setenv(name.c_str(), value->c_str(), 1);
        } else {
            ::unsetenv(name.c_str());
        }
    }
    const std::map<std::string, std::string> expected{{"NOTIFY_SOCKET", "@taxsync-env-test"},
                                                      {"WATCHDOG_USEC", "1000"}};
    EXPECT_EQ(environment, expected);
}

}  // namespace
}  // namespace taxsync::daemon
