#include "tests/emulator/http_test_client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <stdexcept>

namespace taxsync::emulator::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr std::chrono::seconds kRequestTimeout{10};

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

nlohmann::json HttpResult::json() const { return body.empty() ? nlohmann::json() : nlohmann::json::parse(body); }

std::string HttpResult::error_message() const {
    const auto parsed = nlohmann::json::parse(body, nullptr, false);
    if (parsed.is_discarded() || !parsed.contains("errors") || parsed["errors"].empty()) return {};
    return parsed["errors"][0].value("message", "");
}

void HttpTestClient::connect() {
    stream_.emplace(io_);
    stream_->connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    stream_->socket().set_option(asio::ip::tcp::no_delay(true));
    buffer_.clear();
    ++connections_opened_;
}

HttpResult HttpTestClient::send(const std::string& method, const std::string& target, const std::string& body,
                                const std::vector<std::pair<std::string, std::string>>& headers) {
    if (!stream_) connect();
    http::request<http::string_body> request;
    request.method_string(method);
    request.target(target);
    request.version(11);
    request.set(http::field::host, "127.0.0.1:" + std::to_string(port_));
    if (!body.empty()) request.set(http::field::content_type, "application/json");
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = body;
    request.prepare_payload();

    http::response_parser<http::string_body> parser;
    parser.body_limit(64U * 1024U * 1024U);
    beast::error_code error;
    bool finished = false;
    stream_->expires_after(kRequestTimeout);
    http::async_write(*stream_, request, [&](beast::error_code write_error, std::size_t) {
        if (write_error) {
            error = write_error;
            finished = true;
            return;
        }
        http::async_read(*stream_, buffer_, parser, [&](beast::error_code read_error, std::size_t) {
            error = read_error;
            finished = true;
        });
    });
    io_.restart();
    while (!finished && io_.run_one() > 0) {
    }
    if (!finished) throw std::runtime_error("the request did not finish");

    HttpResult result;
    if (error == beast::error::timeout) throw std::runtime_error("the emulator did not answer within 10 s");
    if (error) {
        // EOF, reset or a partial message: the connection went away without an answer.
        result.dropped = true;
        stream_.reset();
        return result;
    }
    auto response = parser.release();
    result.status = response.result_int();
    result.body = response.body();
    for (const auto& field : response)
        result.headers[lower(std::string(field.name_string()))] = std::string(field.value());
    if (!response.keep_alive()) stream_.reset();
    return result;
}

std::string url_encode(std::string_view text) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(digits[byte >> 4U]);
            out.push_back(digits[byte & 0x0FU]);
        }
    }
    return out;
}

}  // namespace taxsync::emulator::testing
