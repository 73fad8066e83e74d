#pragma once
// Time as a dependency: the engine, retries and backoff ask a Clock, so tests can replace it.

#include <chrono>
#include <optional>
#include <string_view>
#include <string>

namespace taxsync {

using SystemTime = std::chrono::system_clock::time_point;
using SteadyTime = std::chrono::steady_clock::time_point;
using Millis = std::chrono::milliseconds;

class Clock {
public:
    virtual ~Clock() = default;
    [[nodiscard]] virtual SystemTime now() const = 0;
    [[nodiscard]] virtual SteadyTime steady_now() const = 0;
    virtual void sleep_for(Millis duration) = 0;
};

class SystemClock final : public Clock {
public:
    [[nodiscard]] SystemTime now() const override { return std::chrono::system_clock::now(); }
    [[nodiscard]] SteadyTime steady_now() const override { return std::chrono::steady_clock::now(); }
    void sleep_for(Millis duration) override;
};

/// RFC 3339 UTC with seconds, e.g. 2026-11-22T19:32:29Z.
std::string format_utc(SystemTime time);
/// Reads back what format_utc writes ("2026-01-31T08:00:00Z"); nothing for anything else.
std::optional<SystemTime> parse_utc(std::string_view text);
/// Seconds since the Unix epoch, the form the store keeps.
std::int64_t to_unix_seconds(SystemTime time);
SystemTime from_unix_seconds(std::int64_t seconds);

}  // namespace taxsync
