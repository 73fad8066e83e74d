#pragma once
// The systemd notify protocol (sd_notify(3)) without libsystemd: one datagram of "KEY=value" lines
// sent to the AF_UNIX socket named by $NOTIFY_SOCKET. The protocol is documented as stable, and
// writing it here keeps the binary free of a libsystemd dependency (and usable on Windows builds).

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/service_manager.hpp"

namespace taxsync::daemon {

/// NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from the process environment (only those set).
std::map<std::string, std::string> notify_environment();

/// Told why a message could not be sent, once per run of failures (so a dead socket does not
/// flood the log every watchdog tick); told again after a message went through.
using NotifyFailureReporter = std::function<void(const std::string& reason)>;

class SystemdNotifier final : public ServiceManager {
    struct Key {};  // construction goes through from_environment, which checks the address first

public:
    /// nullptr when NOTIFY_SOCKET is unset or empty (not started by systemd as Type=notify) or names
    /// no usable socket address (not absolute, not "@abstract", or too long for sockaddr_un).
    /// `self` is this process's pid: it is sent as MAINPID and compared with WATCHDOG_PID.
    static std::unique_ptr<SystemdNotifier> from_environment(const std::map<std::string, std::string>& environment,
                                                             pid_t self, NotifyFailureReporter report_failure = {});

    /// "READY=1", the status line, and MAINPID.
    void ready(std::string_view status) override;
    /// "RELOADING=1" with MONOTONIC_USEC, which systemd 253+ needs to match the reload to its request.
    void reloading() override;
    void stopping() override;
    void status(std::string_view text) override;
    void watchdog() override;
    /// WATCHDOG_USEC, unless WATCHDOG_PID names another process (the watchdog is meant for it).
    [[nodiscard]] std::optional<std::chrono::microseconds> watchdog_interval() const override;

    /// Sends one message as given; false when it did not go out whole. Never throws.
    bool send(std::string_view message) noexcept;

    /// The socket address as written in NOTIFY_SOCKET ("/run/systemd/notify" or "@name").
    [[nodiscard]] const std::string& socket_name() const { return socket_name_; }

    SystemdNotifier(Key, std::string socket_name, pid_t self,
                    std::optional<std::chrono::microseconds> watchdog_interval, NotifyFailureReporter report_failure);

private:
    void report(const std::string& reason) noexcept;

    std::string socket_name_;
    pid_t self_;
    std::optional<std::chrono::microseconds> watchdog_interval_;
    NotifyFailureReporter report_failure_;
    std::atomic<bool> failing_ = false;  // a failure was reported and no send has worked since
};

/// A STATUS= value is one line: newlines (and NULs, which would end the datagram's text) become spaces.
std::string one_status_line(std::string_view text);

}  // namespace taxsync::daemon
