#pragma once
// The logger every component receives. Each message passes the Redactor before any sink sees it.

#include <fmt/format.h>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/redact.hpp"

namespace spdlog {
class logger;
}

namespace taxsync {

enum class LogLevel { Debug, Info, Warning, Error };

enum class LogFormat {
    Text,     // "<time> <level> <message>" on stderr, for a terminal
    Journal,  // "<6>message" on stdout: journald reads the priority from the prefix and adds the time
    Json,     // one JSON object per line on stdout: {"time","level","message"}
};

/// A destination outside the process's own streams (the Windows event log). It receives each line
/// after the Redactor, without time or level prefix; it must be thread-safe.
using LogLineWriter = std::function<void(LogLevel level, std::string_view line)>;

struct LogOptions {
    LogLevel level = LogLevel::Info;
    LogFormat format = LogFormat::Text;
    std::optional<std::filesystem::path> file;  // also write text lines here, rotated
    std::size_t file_max_bytes = 10U * 1024U * 1024U;
    std::size_t file_count = 5;
    LogLineWriter system_log;  // also write every line here, when set
};

class Logger {
public:
    /// Writes `<time> <level> <message>` lines to stderr.
    static Logger to_stderr(LogLevel level, std::shared_ptr<const Redactor> redactor);
    /// The service's logger: the chosen format, plus an optional rotating file. Throws
    /// std::runtime_error when the log file cannot be opened.
    static Logger make(const LogOptions& options, std::shared_ptr<const Redactor> redactor);
    /// Writes into `sink_text` (for tests that read what was logged).
    static Logger to_string(std::shared_ptr<std::string> sink_text, std::shared_ptr<const Redactor> redactor);
    /// Discards everything.
    static Logger null();

    template <class... Args>
    void debug(fmt::format_string<Args...> format, Args&&... args) const {
        if (enabled(LogLevel::Debug)) write(LogLevel::Debug, fmt::format(format, std::forward<Args>(args)...));
    }
    template <class... Args>
    void info(fmt::format_string<Args...> format, Args&&... args) const {
        if (enabled(LogLevel::Info)) write(LogLevel::Info, fmt::format(format, std::forward<Args>(args)...));
    }
    template <class... Args>
    void warn(fmt::format_string<Args...> format, Args&&... args) const {
        if (enabled(LogLevel::Warning)) write(LogLevel::Warning, fmt::format(format, std::forward<Args>(args)...));
    }
    template <class... Args>
    void error(fmt::format_string<Args...> format, Args&&... args) const {
        if (enabled(LogLevel::Error)) write(LogLevel::Error, fmt::format(format, std::forward<Args>(args)...));
    }

    void write(LogLevel level, std::string_view message) const;
    /// Whether a message of this level is written anywhere; the others are not even formatted.
    [[nodiscard]] bool enabled(LogLevel level) const;
    [[nodiscard]] const Redactor& redactor() const { return *redactor_; }

private:
    Logger(std::shared_ptr<spdlog::logger> sink, std::shared_ptr<const Redactor> redactor);

    std::shared_ptr<spdlog::logger> sink_;
    std::shared_ptr<const Redactor> redactor_;
};

}  // namespace taxsync
