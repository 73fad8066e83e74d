#include "emulator/http_server.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <memory>
#include <optional>

namespace taxsync::emulator {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::uint64_t kBodyLimit = 16U * 1024U * 1024U;
constexpr std::chrono::seconds kIdleTimeout{120};
constexpr std::chrono::seconds kWriteTimeout{30};

std::optional<std::string> header_value(const http::request<http::string_body>& request, std::string_view name) {
    const auto it = request.find(beast::string_view(name.data(), name.size()));
    if (it == request.end()) return std::nullopt;
    return std::string(it->value());
}

/// One connection: read a request, let the emulator admit it, wait out any injected delay,
/// finish it, then answer (or drop the connection) and read the next.
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, Emulator& emulator)
        : stream_(std::move(socket)), delay_timer_(stream_.get_executor()), emulator_(emulator) {}

    void start() { read_next(); }

private:
    void read_next() {
        parser_.emplace();
        parser_->body_limit(kBodyLimit);
        stream_.expires_after(kIdleTimeout);
        http::async_read(stream_, buffer_, *parser_,
                         [self = shared_from_this()](beast::error_code error, std::size_t) { self->on_read(error); });
    }

    void on_read(beast::error_code error) {
        if (error == http::error::end_of_stream) {
            close_gracefully();
            return;
        }
        if (error) {
            close_now();
            return;
        }
        http::request<http::string_body> request = parser_->release();
        keep_alive_ = request.keep_alive();
        http_version_ = request.version();
        IncomingRequest incoming{std::string(request.method_string()), std::string(request.target()),
                                 header_value(request, "Authorization"), header_value(request, "Idempotency-Key"),
                                 std::move(request.body())};
        exchange_.emplace(emulator_.admit(std::move(incoming)));
        if (exchange_->delay().count() > 0) {
            delay_timer_.expires_after(exchange_->delay());
            delay_timer_.async_wait([self = shared_from_this()](beast::error_code) { self->respond(); });
        } else {
            respond();
        }
    }

    void respond() {
        std::optional<Reply> reply = emulator_.finish(*exchange_);
        exchange_.reset();
        if (!reply) {
            close_now();  // the injected "connection lost" (before or after applying)
            return;
        }
        response_ = {};
        response_.version(http_version_);
        response_.result(reply->status);
        response_.set(http::field::server, "taxsync-portal-emulator");
        if (!reply->body.empty()) response_.set(http::field::content_type, "application/json");
        for (const auto& [name, value] : reply->headers) response_.set(name, value);
        response_.body() = std::move(reply->body);
        response_.keep_alive(keep_alive_);
        response_.prepare_payload();
        stream_.expires_after(kWriteTimeout);
        http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code write_error, std::size_t) {
            self->on_write(write_error);
        });
    }

    void on_write(beast::error_code error) {
        if (error) {
            close_now();
            return;
        }
        if (!keep_alive_) {
            close_gracefully();
            return;
        }
        read_next();
    }

    void close_gracefully() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }

    void close_now() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream_.close();
    }

    beast::tcp_stream stream_;
    asio::steady_timer delay_timer_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::response<http::string_body> response_;
    std::optional<Exchange> exchange_;
    Emulator& emulator_;
    bool keep_alive_ = true;
    unsigned http_version_ = 11;
};

}  // namespace

HttpServer::HttpServer(asio::io_context& io, Emulator& emulator)
    : emulator_(emulator), acceptor_(io), accept_retry_timer_(io) {}

Status HttpServer::listen(const tcp::endpoint& endpoint) {
    beast::error_code error;
    acceptor_.open(endpoint.protocol(), error);
    if (!error) acceptor_.set_option(asio::socket_base::reuse_address(true), error);
    if (!error) acceptor_.bind(endpoint, error);
    if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
    if (error) {
        return fail(ErrorKind::Io, "cannot listen on " + endpoint.address().to_string() + ":" +
                                       std::to_string(endpoint.port()) + ": " + error.message());
    }
    accept_next();
    return ok();
}

std::uint16_t HttpServer::port() const {
    beast::error_code error;
    const auto endpoint = acceptor_.local_endpoint(error);
    return error ? 0 : endpoint.port();
}

void HttpServer::stop() {
    beast::error_code ignored;
    acceptor_.close(ignored);
    accept_retry_timer_.cancel();
}

void HttpServer::accept_next() {
    acceptor_.async_accept([this](beast::error_code error, tcp::socket socket) {
        if (error == asio::error::operation_aborted || !acceptor_.is_open()) return;
        if (error) {
            // Out of descriptors and the like: pause instead of spinning on the same failure.
            accept_retry_timer_.expires_after(std::chrono::milliseconds(100));
            accept_retry_timer_.async_wait([this](beast::error_code wait_error) {
                if (!wait_error) accept_next();
            });
            return;
        }
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<Session>(std::move(socket), emulator_)->start();
        accept_next();
    });
}

Expected<tcp::endpoint> parse_listen_address(std::string_view text) {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos)
        return fail(ErrorKind::InvalidInput, "expected HOST:PORT, got " + std::string(text));
    std::string host(text.substr(0, colon));
    const std::string_view port_text = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host == "localhost") host = "127.0.0.1";
    unsigned port = 0;
    const auto [end, parse_error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (parse_error != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) {
        return fail(ErrorKind::InvalidInput, "invalid port in " + std::string(text));
    }
    beast::error_code error;
    const auto address = asio::ip::make_address(host, error);
    if (error) return fail(ErrorKind::InvalidInput, "invalid address " + host + ": " + error.message());
    return tcp::endpoint(address, static_cast<std::uint16_t>(port));
}

}  // namespace taxsync::emulator
