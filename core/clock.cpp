#include "core/clock.hpp"

#include <cstdio>
#include <thread>

namespace taxsync {

void SystemClock::sleep_for(Millis duration) { std::this_thread::sleep_for(duration); }

std::string format_utc(SystemTime time) {
    // The calendar arithmetic of <chrono>: no gmtime_r, which Windows lacks.
    using namespace std::chrono;
    const auto whole_seconds = floor<std::chrono::seconds>(time);
    const auto whole_days = floor<std::chrono::days>(whole_seconds);
    const year_month_day date{whole_days};
    const hh_mm_ss<std::chrono::seconds> clock{whole_seconds - whole_days};
    char text[32];
    const int length = std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(date.year()),
                                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                                     static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                                     static_cast<int>(clock.seconds().count()));
    return {text, static_cast<std::size_t>(length)};
}

std::int64_t to_unix_seconds(SystemTime time) {
    return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

SystemTime from_unix_seconds(std::int64_t seconds) { return SystemTime{std::chrono::seconds{seconds}}; }

}  // namespace taxsync
