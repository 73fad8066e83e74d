#include "core/logger.hpp"

#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <mutex>

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

}  // namespace

Logger::Logger(std::shared_ptr<spdlog::logger> sink, std::shared_ptr<const Redactor> redactor)
    : sink_(std::move(sink)), redactor_(std::move(redactor)) {}

Logger Logger::to_stderr(LogLevel level, std::shared_ptr<const Redactor> redactor) {
    auto sink = std::make_shared<spdlog::logger>("taxsync", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    sink->set_pattern("%Y-%m-%dT%H:%M:%S%z %l %v");
    sink->set_level(to_spdlog(level));
    return Logger(std::move(sink), std::move(redactor));
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

void Logger::write(LogLevel level, std::string_view message) const {
    const auto spd_level = to_spdlog(level);
    if (!sink_->should_log(spd_level)) return;
    const std::string safe = redactor_->redact(message);
    sink_->log(spd_level, "{}", safe);
}

}  // namespace taxsync
