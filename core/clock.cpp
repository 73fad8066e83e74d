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

std::optional<SystemTime> parse_utc(std::string_view text) {
    // YYYY-MM-DDTHH:MM:SSZ, exactly.
    if (text.size() != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
        text[16] != ':' || text[19] != 'Z') {
        return std::nullopt;
    }
    const auto number = [&](std::size_t at, std::size_t length) -> std::optional<int> {
        int value = 0;
        for (std::size_t i = at; i < at + length; ++i) {
            if (text[i] < '0' || text[i] > '9') return std::nullopt;
            value = value * 10 + (text[i] - '0');
        }
        return value;
    };
    const auto year = number(0, 4), month = number(5, 2), day = number(8, 2);
    const auto hour = number(11, 2), minute = number(14, 2), second = number(17, 2);
    if (!year || !month || !day || !hour || !minute || !second || *hour > 23 || *minute > 59 || *second > 59) {
        return std::nullopt;
    }
    const std::chrono::year_month_day date{std::chrono::year(*year), std::chrono::month(static_cast<unsigned>(*month)),
                                           std::chrono::day(static_cast<unsigned>(*day))};
    if (!date.ok()) return std::nullopt;
    return std::chrono::sys_days(date) + std::chrono::hours(*hour) + std::chrono::minutes(*minute) +
           std::chrono::seconds(*second);
}

std::int64_t to_unix_seconds(SystemTime time) {
    return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

SystemTime from_unix_seconds(std::int64_t seconds) { return SystemTime{std::chrono::seconds{seconds}}; }

}  // namespace taxsync
