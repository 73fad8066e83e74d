#include "core/clock.hpp"

#include <ctime>
#include <thread>

namespace taxsync {

void SystemClock::sleep_for(Millis duration) { std::this_thread::sleep_for(duration); }

std::string format_utc(SystemTime time) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char text[32];
    const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return {text, length};
}

std::int64_t to_unix_seconds(SystemTime time) {
    return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

SystemTime from_unix_seconds(std::int64_t seconds) { return SystemTime{std::chrono::seconds{seconds}}; }

}  // namespace taxsync
