#include "portal/retry.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <iomanip>
#include <locale>
#include <sstream>
#include <string>

#include "core/text.hpp"

namespace taxsync::portal {

std::optional<Millis> Backoff::next_delay(int attempt, std::optional<Millis> retry_after) {
    if (attempt >= policy_.max_attempts) return std::nullopt;
    if (retry_after && *retry_after > policy_.max_retry_after) return std::nullopt;
    const int exponent = std::min(attempt - 1, 20);
    const Millis ceiling = std::min(policy_.max_delay, policy_.base_delay * (std::int64_t{1} << exponent));
    std::uniform_int_distribution<std::int64_t> spread(0, ceiling.count());
    const Millis jittered{spread(random_)};
    return retry_after ? std::max(*retry_after, jittered) : jittered;
}

std::optional<Millis> parse_retry_after(std::string_view value, SystemTime now) {
    const std::string_view text = trim(value);
    if (text.empty()) return std::nullopt;
    if (std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
        if (text.size() > 9) return std::nullopt;
        return Millis{std::stoll(std::string(text)) * 1000};
    }
    // An HTTP date, always in English and GMT (RFC 9110): the classic locale reads it on any system.
    std::tm parts{};
    std::istringstream in{std::string(text)};
    in.imbue(std::locale::classic());
    in >> std::get_time(&parts, "%a, %d %b %Y %H:%M:%S GMT");
    if (in.fail() || in.peek() != std::char_traits<char>::eof()) return std::nullopt;
    using namespace std::chrono;
    const year_month_day date{year{parts.tm_year + 1900}, month{static_cast<unsigned>(parts.tm_mon + 1)},
                              day{static_cast<unsigned>(parts.tm_mday)}};
    if (!date.ok()) return std::nullopt;
    const SystemTime at = sys_days{date} + hours{parts.tm_hour} + minutes{parts.tm_min} + seconds{parts.tm_sec};
    return std::max(Millis{0}, std::chrono::duration_cast<Millis>(at - now));
}

}  // namespace taxsync::portal

namespace taxsync::portal {

AttemptResult classify_attempt(const Expected<HttpResponse, TransportError>& outcome, Replay replay,
                               bool keys_honoured, SystemTime now,
                               const std::function<std::string(const HttpResponse&)>& error_text) {
    const bool resend_ok = replay == Replay::Safe || keys_honoured;
    AttemptResult result;
    if (outcome.has_error()) {
        const TransportError& transport = outcome.error();
        switch (transport.failure) {
            case TransportFailure::NotSent:
                result.error = {ErrorKind::Unavailable, "portal unreachable: " + transport.message};
                result.retry = true;
                break;
            case TransportFailure::TimedOut:
            case TransportFailure::ConnectionLost:
                result.error = {ErrorKind::Ambiguous, "no answer from the portal (" + transport.message + ")"};
                result.retry = resend_ok;
                break;
            case TransportFailure::CircuitOpen:
                // Retrying would only meet the open circuit again: fail fast, the cycle stops early.
                result.error = {ErrorKind::Unavailable, transport.message};
                break;
            case TransportFailure::TooLarge:
                result.error = {ErrorKind::Internal, transport.message};
                break;
        }
        return result;
    }
    const HttpResponse& response = outcome.value();
    const int status = response.status;
    if (status >= 200 && status < 300) {
        result.response = response;
        return result;
    }
    const std::string text = error_text(response);
    const std::string described = "HTTP " + std::to_string(status) + (text.empty() ? "" : ": " + text);
    if (const auto header = response.header("retry-after")) result.retry_after = parse_retry_after(*header, now);
    if (status == 429) {
        // Rate limiting happens before the request is applied, so any request may be resent.
        result.error = {ErrorKind::RateLimited, described};
        result.retry = true;
    } else if (status >= 500) {
        result.error = {status == 503 ? ErrorKind::Unavailable : ErrorKind::Ambiguous, described};
        if (!resend_ok) result.error.kind = ErrorKind::Ambiguous;
        result.retry = resend_ok;
    } else if (status == 401) {
        result.error = {ErrorKind::Unauthorized, described};
    } else if (status == 403) {
        result.error = {ErrorKind::Forbidden, described};
    } else if (status == 404) {
        result.error = {ErrorKind::NotFound, described};
    } else if (status == 409) {
        result.error = {ErrorKind::Conflict, described};
    } else {
        // 400 and 422 (validation) and any other refusal: the request itself is wrong, so it is not retried.
        result.error = {ErrorKind::Rejected, described};
    }
    return result;
}

Expected<HttpResponse> run_with_retries(Backoff& backoff, Clock& clock,
                                        const std::function<AttemptResult(int attempt)>& attempt) {
    for (int number = 1;; ++number) {
        AttemptResult result = attempt(number);
        if (result.response) return std::move(*result.response);
        if (!result.retry) return unexpected(std::move(result.error));
        const auto delay = backoff.next_delay(number, result.retry_after);
        if (!delay) {
            result.error.message += " (gave up after " + std::to_string(number) + " attempt" +
                                    (number == 1 ? "" : "s") + ")";
            return unexpected(std::move(result.error));
        }
        clock.sleep_for(*delay);
    }
}

}  // namespace taxsync::portal
