#include "emulator/http_message.hpp"

#include <strings.h>

namespace taxsync::emulator {
namespace {

int hex_value(char digit) {
    if (digit >= '0' && digit <= '9') return digit - '0';
    if (digit >= 'a' && digit <= 'f') return digit - 'a' + 10;
    if (digit >= 'A' && digit <= 'F') return digit - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<std::string> Reply::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) return value;
    }
    return std::nullopt;
}

Reply json_reply(unsigned status, const nlohmann::json& body) { return Reply{status, body.dump(), {}}; }

Reply error_reply(unsigned status, std::string_view message) {
    return json_reply(status, nlohmann::json{{"errors", nlohmann::json::array({{{"message", message}}})}});
}

Reply empty_reply(unsigned status) { return Reply{status, {}, {}}; }

std::string percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            const int high = hex_value(text[i + 1]);
            const int low = hex_value(text[i + 2]);
            if (high >= 0 && low >= 0) {
                out.push_back(static_cast<char>(high * 16 + low));
                i += 2;
                continue;
            }
        }
        out.push_back(text[i]);
    }
    return out;
}

QueryParameters QueryParameters::parse(std::string_view query) {
    QueryParameters result;
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) continue;
        const std::size_t equals = pair.find('=');
        if (equals == std::string_view::npos) {
            result.parameters_.push_back({percent_decode(pair), {}});
        } else {
            result.parameters_.push_back(
                {percent_decode(pair.substr(0, equals)), percent_decode(pair.substr(equals + 1))});
        }
    }
    return result;
}

std::optional<std::string> QueryParameters::get(std::string_view name) const {
    for (auto it = parameters_.rbegin(); it != parameters_.rend(); ++it) {
        if (it->name == name) return it->value;
    }
    return std::nullopt;
}

Target split_target(std::string_view target) {
    const std::size_t question = target.find('?');
    if (question == std::string_view::npos) return {percent_decode(target), {}};
    return {percent_decode(target.substr(0, question)), std::string(target.substr(question + 1))};
}

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> segments;
    while (!path.empty()) {
        const std::size_t slash = path.find('/');
        const std::string_view segment = path.substr(0, slash);
        if (!segment.empty()) segments.emplace_back(segment);
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return segments;
}

}  // namespace taxsync::emulator
