#include "core/logger.hpp"

#include <spdlog/details/null_mutex.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>

#include "core/clock.hpp"

namespace taxsync {
namespace {

spdlog::level::level_enum to_spdlog(LogLevel level) {
    switch (level) {
        case LogLevel::Debug: return spdlog::level::debug;
        case LogLevel::Info: return spdlog::level::info;
        case LogLevel::Warning: return spdlog::level::warn;
        case LogLevel::Error: return spdlog::level::err;
    }
    return spdlog::level::info;
}

class StringSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    explicit StringSink(std::shared_ptr<std::string> text) : text_(std::move(text)) {}

protected:
    void sink_it_(const spdlog::details::log_msg& message) override {
        spdlog::memory_buf_t formatted;
        formatter_->format(message, formatted);
        text_->append(formatted.data(), formatted.size());
    }
    void flush_() override {}

private:
    std::shared_ptr<std::string> text_;
};

// sd-daemon(3) priority prefixes: journald strips them and files the line at that priority.
int journal_priority(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::critical: return 2;
        case spdlog::level::err: return 3;
        case spdlog::level::warn: return 4;
        case spdlog::level::info: return 6;
        default: return 7;
    }
}

// Writes whole lines with fputs + fflush, so a line never interleaves with another writer's.
class LineSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    LineSink(std::FILE* stream, LogFormat format) : stream_(stream), format_(format) {}

protected:
    void sink_it_(const spdlog::details::log_msg& message) override {
        const std::string_view text(message.payload.data(), message.payload.size());
        std::string line;
        if (format_ == LogFormat::Journal) {
            line = "<" + std::to_string(journal_priority(message.level)) + ">" + std::string(text) + "\n";
        } else {
            const auto level = spdlog::level::to_string_view(message.level);
            line = nlohmann::json{{"time", format_utc(std::chrono::time_point_cast<std::chrono::system_clock::duration>(
                                               message.time))},
                                  {"level", std::string_view(level.data(), level.size())},
                                  {"message", text}}
                       .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                   "\n";
        }
        std::fputs(line.c_str(), stream_);
        std::fflush(stream_);
    }
    void flush_() override { std::fflush(stream_); }

private:
    std::FILE* stream_;
    LogFormat format_;
};

LogLevel from_spdlog(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::trace:
        case spdlog::level::debug: return LogLevel::Debug;
        case spdlog::level::info: return LogLevel::Info;
        case spdlog::level::warn: return LogLevel::Warning;
        default: return LogLevel::Error;
    }
}

// Hands each line to a LogLineWriter (the writer does its own locking).
class WriterSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
public:
    explicit WriterSink(LogLineWriter writer) : writer_(std::move(writer)) {}

protected:
    void sink_it_(const spdlog::details::log_msg& message) override {
        writer_(from_spdlog(message.level), std::string_view(message.payload.data(), message.payload.size()));
    }
    void flush_() override {}

private:
    LogLineWriter writer_;
};

}  // namespace

Logger Logger::make(const LogOptions& options, std::shared_ptr<const Redactor> redactor) {
    std::vector<spdlog::sink_ptr> sinks;
    if (options.format == LogFormat::Text) {
        auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
        sink->set_pattern("%Y-%m-%dT%H:%M:%S%z %l %v");
        sinks.push_back(std::move(sink));
    } else {
        sinks.push_back(std::make_shared<LineSink>(stdout, options.format));
    }
    if (options.file) {
        auto file = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(options.file->string(), options.file_max_bytes,
                                                                           options.file_count);
        file->set_pattern("%Y-%m-%dT%H:%M:%S%z %l %v");
        sinks.push_back(std::move(file));
    }
    if (options.system_log) sinks.push_back(std::make_shared<WriterSink>(options.system_log));
    auto logger = std::make_shared<spdlog::logger>("taxsync", sinks.begin(), sinks.end());
    logger->set_level(to_spdlog(options.level));
    return Logger(std::move(logger), std::move(redactor));
}

Logger::Logger(std::shared_ptr<spdlog::logger> sink, std::shared_ptr<const Redactor> redactor)
    : sink_(std::move(sink)), redactor_(std::move(redactor)) {}

Logger Logger::to_stderr(LogLevel level, std::shared_ptr<const Redactor> redactor) {
    LogOptions options;
    options.level = level;
    return make(options, std::move(redactor));
}

Logger Logger::to_string(std::shared_ptr<std::string> sink_text, std::shared_ptr<const Redactor> redactor) {
    auto sink = std::make_shared<spdlog::logger>("taxsync", std::make_shared<StringSink>(std::move(sink_text)));
    sink->set_pattern("%l %v");
    sink->set_level(spdlog::level::debug);
    return Logger(std::move(sink), std::move(redactor));
}

Logger Logger::null() {
    auto sink = std::make_shared<spdlog::logger>("taxsync", std::make_shared<spdlog::sinks::null_sink_mt>());
    return Logger(std::move(sink), std::make_shared<Redactor>());
}

bool Logger::enabled(LogLevel level) const { return sink_->should_log(to_spdlog(level)); }

void Logger::write(LogLevel level, std::string_view message) const {
    const auto spd_level = to_spdlog(level);
    if (!sink_->should_log(spd_level)) return;
    const std::string safe = redactor_->redact(message);
    sink_->log(spd_level, "{}", safe);
}

}  // namespace taxsync
