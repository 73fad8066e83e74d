#include "daemon/status_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

namespace taxsync::daemon {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class Exchange : public std::enable_shared_from_this<Exchange> {
public:
    Exchange(tcp::socket socket, std::shared_ptr<const StatusServer::Handler> handler)
        : stream_(std::move(socket)), handler_(std::move(handler)) {}

    void start() {
        stream_.expires_after(std::chrono::seconds(10));
        http::async_read(stream_, buffer_, request_, [self = shared_from_this()](beast::error_code error, std::size_t) {
            self->on_read(error);
        });
    }

private:
    void on_read(beast::error_code error) {
        if (error) return;
        HttpAnswer answer;
        if (request_.method() != http::verb::get && request_.method() != http::verb::head) {
            answer = {405, "text/plain; charset=utf-8", "only GET\n"};
        } else {
            std::string path(request_.target());
            path = path.substr(0, path.find('?'));
            answer = (*handler_)(path);
        }
        response_.version(request_.version());
        response_.result(answer.status);
        response_.set(http::field::server, "taxsync");
        response_.set(http::field::content_type, answer.content_type);
        response_.set(http::field::cache_control, "no-store");
        response_.body() = request_.method() == http::verb::head ? std::string() : std::move(answer.body);
        response_.keep_alive(false);
        response_.prepare_payload();
        http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code, std::size_t) {
            beast::error_code ignored;
            self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        });
    }

    beast::tcp_stream stream_;
    std::shared_ptr<const StatusServer::Handler> handler_;
    beast::flat_buffer buffer_;
    http::request<http::string_body> request_;
    http::response<http::string_body> response_;
};

}  // namespace

struct StatusServer::State {
    State(asio::io_context& io, Handler on_request)
        : acceptor(io), handler(std::make_shared<const Handler>(std::move(on_request))) {}
    tcp::acceptor acceptor;
    std::shared_ptr<const Handler> handler;
};

StatusServer::StatusServer(asio::io_context& io, Handler handler)
    : state_(std::make_shared<State>(io, std::move(handler))) {}

StatusServer::~StatusServer() { stop(); }

Expected<std::uint16_t> StatusServer::listen(const Endpoint& endpoint) {
    boost::system::error_code error;
    const auto address = asio::ip::make_address(endpoint.address, error);
    const tcp::endpoint where(address, endpoint.port);
    if (!error) state_->acceptor.open(where.protocol(), error);
    if (!error) state_->acceptor.set_option(asio::socket_base::reuse_address(true), error);
    if (!error) state_->acceptor.bind(where, error);
    if (!error) state_->acceptor.listen(asio::socket_base::max_listen_connections, error);
    if (error) {
        return fail(ErrorKind::Io, "cannot listen for health and metrics on " + endpoint.address + ":" +
                                       std::to_string(endpoint.port) + ": " + error.message());
    }
    accept_next(state_);
    return state_->acceptor.local_endpoint().port();
}

void StatusServer::stop() {
    boost::system::error_code ignored;
    state_->acceptor.close(ignored);
}

void StatusServer::accept_next(const std::shared_ptr<State>& state) {
    state->acceptor.async_accept([state](const boost::system::error_code& error, tcp::socket socket) {
        if (error) return;
        std::make_shared<Exchange>(std::move(socket), state->handler)->start();
        accept_next(state);
    });
}

}  // namespace taxsync::daemon
