#include "daemon/systemd_notify.hpp"

#include "core/unique_fd.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <utility>

namespace taxsync::daemon {
namespace {

constexpr const char* kSocketVariable = "NOTIFY_SOCKET";
constexpr const char* kWatchdogUsecVariable = "WATCHDOG_USEC";
constexpr const char* kWatchdogPidVariable = "WATCHDOG_PID";

struct SocketAddress {
    sockaddr_un address{};
    socklen_t length = 0;
};

/// "/path" is a file-system socket; "@name" is in the abstract namespace, where the name starts with
/// a NUL byte and has no terminator, so its length must be passed exactly.
std::optional<SocketAddress> socket_address(std::string_view name) {
    const bool abstract = name.starts_with('@');
    if (!abstract && !name.starts_with('/')) return std::nullopt;
    if (name.size() < 2 || name.find('\0') != std::string_view::npos) return std::nullopt;
    SocketAddress result;
    const std::size_t room = sizeof result.address.sun_path;
    if (abstract ? name.size() > room : name.size() >= room) return std::nullopt;
    result.address.sun_family = AF_UNIX;
    std::memcpy(result.address.sun_path, name.data(), name.size());
    if (abstract) result.address.sun_path[0] = '\0';
    result.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + (abstract ? 0 : 1));
    return result;
}

/// A whole decimal number and nothing else; systemd writes these variables itself.
template <typename Number>
std::optional<Number> parse_decimal(const std::string& text) {
    Number value{};
    const char* end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, value);
    if (text.empty() || error != std::errc{} || stop != end) return std::nullopt;
    return value;
}

std::optional<std::string> lookup(const std::map<std::string, std::string>& environment, const char* name) {
    const auto found = environment.find(name);
    if (found == environment.end() || found->second.empty()) return std::nullopt;
    return found->second;
}

/// sd_watchdog_enabled(3): the interval applies to us unless WATCHDOG_PID names another process.
std::optional<std::chrono::microseconds> watchdog_interval_for(const std::map<std::string, std::string>& environment,
                                                               pid_t self) {
    const auto usec_text = lookup(environment, kWatchdogUsecVariable);
    if (!usec_text) return std::nullopt;
    const auto usec = parse_decimal<std::uint64_t>(*usec_text);
    if (!usec || *usec == 0 || *usec > static_cast<std::uint64_t>(std::chrono::microseconds::max().count())) {
        return std::nullopt;
    }
    if (const auto pid_text = lookup(environment, kWatchdogPidVariable)) {
        const auto pid = parse_decimal<pid_t>(*pid_text);
        if (!pid || *pid != self) return std::nullopt;
    }
    return std::chrono::microseconds(static_cast<std::chrono::microseconds::rep>(*usec));
}

std::uint64_t monotonic_microseconds() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000U + static_cast<std::uint64_t>(now.tv_nsec) / 1'000U;
}

std::string describe(int error) { return std::generic_category().message(error); }

/// Building the text can only fail by running out of memory; even then the service goes on.
template <typename Compose>
void compose_and_send(SystemdNotifier& notifier, Compose compose) noexcept {
    try {
        notifier.send(compose());
    } catch (...) {  // NOLINT(bugprone-empty-catch): a notification is never worth stopping the service
    }
}

}  // namespace

std::map<std::string, std::string> notify_environment() {
    std::map<std::string, std::string> environment;
    for (const char* name : {kSocketVariable, kWatchdogUsecVariable, kWatchdogPidVariable}) {
        if (const char* value = std::getenv(name); value != nullptr) environment.emplace(name, value);
    }
    return environment;
}

std::string one_status_line(std::string_view text) {
    std::string line(text);
    for (char& c : line) {
        if (c == '\n' || c == '\r' || c == '\0') c = ' ';
    }
    return line;
}

std::unique_ptr<SystemdNotifier> SystemdNotifier::from_environment(
    const std::map<std::string, std::string>& environment, pid_t self, NotifyFailureReporter report_failure) {
    const auto socket_name = lookup(environment, kSocketVariable);
    if (!socket_name || !socket_address(*socket_name)) return nullptr;
    return std::make_unique<SystemdNotifier>(Key{}, *socket_name, self, watchdog_interval_for(environment, self),
                                             std::move(report_failure));
}

SystemdNotifier::SystemdNotifier(Key, std::string socket_name, pid_t self,
                                 std::optional<std::chrono::microseconds> watchdog_interval,
                                 NotifyFailureReporter report_failure)
    : socket_name_(std::move(socket_name)),
      self_(self),
      watchdog_interval_(watchdog_interval),
      report_failure_(std::move(report_failure)) {}

void SystemdNotifier::ready(std::string_view status) {
    compose_and_send(
        *this, [&] { return "READY=1\nSTATUS=" + one_status_line(status) + "\nMAINPID=" + std::to_string(self_); });
}

void SystemdNotifier::reloading() {
    compose_and_send(*this, [] { return "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_microseconds()); });
}

void SystemdNotifier::stopping() { send("STOPPING=1"); }

void SystemdNotifier::status(std::string_view text) {
    compose_and_send(*this, [&] { return "STATUS=" + one_status_line(text); });
}

void SystemdNotifier::watchdog() { send("WATCHDOG=1"); }

std::optional<std::chrono::microseconds> SystemdNotifier::watchdog_interval() const { return watchdog_interval_; }

bool SystemdNotifier::send(std::string_view message) noexcept {
    try {
        const auto address = socket_address(socket_name_);
        if (!address) return false;  // from_environment checked it; kept so send() stands on its own
        const UniqueFd socket(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        if (!socket.valid()) {
            const int error = errno;
            report("cannot open a socket to notify systemd: " + describe(error));
            return false;
        }
        // One datagram per message: systemd reads it whole, so a short send would be another message.
        const ssize_t sent = ::sendto(socket.get(), message.data(), message.size(), MSG_NOSIGNAL,
                                      reinterpret_cast<const sockaddr*>(&address->address), address->length);
        if (sent < 0) {
            const int error = errno;
            report("cannot notify systemd at " + socket_name_ + ": " + describe(error));
            return false;
        }
        if (static_cast<std::size_t>(sent) != message.size()) {
            report("systemd's notify socket " + socket_name_ + " took " + std::to_string(sent) + " of " +
                   std::to_string(message.size()) + " bytes");
            return false;
        }
        failing_ = false;
        return true;
    } catch (...) {  // only std::bad_alloc can get here; the service goes on without this message
        return false;
    }
}

void SystemdNotifier::report(const std::string& reason) noexcept {
    if (failing_.exchange(true) || !report_failure_) return;
    try {
        report_failure_(reason);
    } catch (...) {  // NOLINT(bugprone-empty-catch): a logger that throws must not stop the service
    }
}

}  // namespace taxsync::daemon
