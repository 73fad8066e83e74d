#pragma once
// A small blocking HTTP/1.1 client for the emulator tests: keeps its connection alive between
// requests, reports a connection closed without an answer as `dropped`, and never waits forever.

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace taxsync::emulator::testing {

struct HttpResult {
    unsigned status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // names in lower case
    bool dropped = false;                        // the server closed the connection without answering

    [[nodiscard]] nlohmann::json json() const;
    [[nodiscard]] std::string error_message() const;  // errors[0].message
};

class HttpTestClient {
public:
    explicit HttpTestClient(std::uint16_t port) : port_(port) {}

    HttpResult send(const std::string& method, const std::string& target, const std::string& body = {},
                    const std::vector<std::pair<std::string, std::string>>& headers = {});

    /// How many TCP connections this client has opened (keep-alive keeps it at one).
    [[nodiscard]] int connections_opened() const { return connections_opened_; }

private:
    void connect();

    std::uint16_t port_;
    boost::asio::io_context io_;
    std::optional<boost::beast::tcp_stream> stream_;
    boost::beast::flat_buffer buffer_;
    int connections_opened_ = 0;
};

/// Percent-encodes a query value (RFC 3986 unreserved characters stay as they are).
std::string url_encode(std::string_view text);

}  // namespace taxsync::emulator::testing
