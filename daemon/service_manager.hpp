#pragma once
// What the running service tells whoever manages it: systemd (sd_notify), the Windows service
// control manager, or nobody when run in a terminal.

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>

#include "core/logger.hpp"

namespace taxsync::daemon {

class ServiceManager {
public:
    virtual ~ServiceManager() = default;
    /// Start-up has really finished: configuration loaded, store open, first cycle scheduled.
    virtual void ready(std::string_view status) = 0;
    /// A reload began; ready() follows when it ended (accepted or refused).
    virtual void reloading() = 0;
    virtual void stopping() = 0;
    /// One line for `systemctl status` (last cycle, next cycle, why a reload was refused).
    virtual void status(std::string_view text) = 0;
    /// "Still alive": sent from the event loop itself, so a hung loop stops sending it.
    virtual void watchdog() = 0;
    /// How often the manager wants watchdog(); nullopt when it does not watch.
    [[nodiscard]] virtual std::optional<std::chrono::microseconds> watchdog_interval() const = 0;
    /// Where the manager wants log lines besides the process's own streams (the Windows event
    /// log); empty when stdout and stderr are enough (a terminal, the journal).
    [[nodiscard]] virtual LogLineWriter system_log() const { return {}; }
};

/// For `taxsync run` in a terminal: nobody is listening.
class NoServiceManager final : public ServiceManager {
public:
    void ready(std::string_view) override {}
    void reloading() override {}
    void stopping() override {}
    void status(std::string_view) override {}
    void watchdog() override {}
    [[nodiscard]] std::optional<std::chrono::microseconds> watchdog_interval() const override { return std::nullopt; }
};

/// The manager this process runs under: systemd when $NOTIFY_SOCKET is set, otherwise nobody.
std::unique_ptr<ServiceManager> make_service_manager();

}  // namespace taxsync::daemon
