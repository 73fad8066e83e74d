#pragma once
// The logger every component receives. Each message passes the Redactor before any sink sees it.

#include <fmt/format.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/redact.hpp"

namespace spdlog {
class logger;
}

namespace taxsync {

enum class LogLevel { Debug, Info, Warning, Error };

class Logger {
public:
    /// Writes `<time> <level> <message>` lines to stderr.
    static Logger to_stderr(LogLevel level, std::shared_ptr<const Redactor> redactor);
    /// Writes into `sink_text` (for tests that read what was logged).
    static Logger to_string(std::shared_ptr<std::string> sink_text, std::shared_ptr<const Redactor> redactor);
    /// Discards everything.
    static Logger null();

    template <class... Args>
    void debug(fmt::format_string<Args...> format, Args&&... args) const {
        write(LogLevel::Debug, fmt::format(format, std::forward<Args>(args)...));
    }
    template <class... Args>
    void info(fmt::format_string<Args...> format, Args&&... args) const {
        write(LogLevel::Info, fmt::format(format, std::forward<Args>(args)...));
    }
    template <class... Args>
    void warn(fmt::format_string<Args...> format, Args&&... args) const {
        write(LogLevel::Warning, fmt::format(format, std::forward<Args>(args)...));
    }
    template <class... Args>
    void error(fmt::format_string<Args...> format, Args&&... args) const {
        write(LogLevel::Error, fmt::format(format, std::forward<Args>(args)...));
    }

    void write(LogLevel level, std::string_view message) const;
    [[nodiscard]] const Redactor& redactor() const { return *redactor_; }

private:
    Logger(std::shared_ptr<spdlog::logger> sink, std::shared_ptr<const Redactor> redactor);

    std::shared_ptr<spdlog::logger> sink_;
    std::shared_ptr<const Redactor> redactor_;
};

}  // namespace taxsync
