#include "daemon/control_server.hpp"

#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <istream>

namespace taxsync::daemon {
namespace {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;

constexpr std::size_t kMaxLine = 64 * 1024;  // a request is small; anything longer is not one

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(local::socket socket, std::shared_ptr<const ControlHandler> handler)
        : socket_(std::move(socket)), handler_(std::move(handler)) {}

    void read_next() {
        asio::async_read_until(socket_, buffer_, '\n',
                               [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
                                   self->on_line(error);
                               });
    }

private:
    void on_line(const boost::system::error_code& error) {
        if (error) return;  // the client hung up, or the line was too long
        std::istream in(&buffer_);
        std::string line;
        std::getline(in, line);
        std::string problem;
        const ControlRequest request = decode_request(line, problem);
        if (!problem.empty()) {
            answer({ControlResult::Error, problem, nlohmann::json::object()});
            return;
        }
        auto self = shared_from_this();
        (*handler_)(request, [self](ControlReply reply) { self->answer(std::move(reply)); });
    }

    void answer(ControlReply reply) {
        outgoing_ = encode_reply(reply) + "\n";
        asio::async_write(socket_, asio::buffer(outgoing_),
                          [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
                              if (!error) self->read_next();
                          });
    }

    local::socket socket_;
    std::shared_ptr<const ControlHandler> handler_;
    asio::streambuf buffer_{kMaxLine};
    std::string outgoing_;
};

}  // namespace

struct ControlServer::State {
    State(asio::io_context& context, ControlHandler on_request)
        : acceptor(context), handler(std::make_shared<const ControlHandler>(std::move(on_request))) {}
    local::acceptor acceptor;
    std::shared_ptr<const ControlHandler> handler;
    std::filesystem::path path;
};

ControlServer::ControlServer(asio::io_context& io, ControlHandler handler)
    : state_(std::make_shared<State>(io, std::move(handler))) {}

ControlServer::~ControlServer() { stop(); }

Status ControlServer::listen(const std::filesystem::path& socket_path) {
    std::error_code exists_error;
    if (std::filesystem::exists(socket_path, exists_error)) {
        asio::io_context probe_io;
        local::socket probe(probe_io);
        boost::system::error_code connect_error;
        probe.connect(local::endpoint(socket_path.string()), connect_error);
        if (!connect_error) {
            return fail(ErrorKind::Conflict, "another taxsync is already running: " + socket_path.string() +
                                                 " answers. Stop it first (systemctl stop taxsync).");
        }
        std::filesystem::remove(socket_path, exists_error);
    }
    boost::system::error_code error;
    state_->acceptor.open(local(), error);
    if (!error) state_->acceptor.bind(local::endpoint(socket_path.string()), error);
    if (!error) state_->acceptor.listen(asio::socket_base::max_listen_connections, error);
    if (error) {
        return fail(ErrorKind::Io, "cannot listen on the control socket " + socket_path.string() + ": " + error.message());
    }
    ::chmod(socket_path.c_str(), 0660);
    state_->path = socket_path;
    accept_next(state_);
    return ok();
}

void ControlServer::stop() {
    boost::system::error_code ignored;
    if (!state_->acceptor.is_open()) return;
    state_->acceptor.close(ignored);
    std::error_code remove_error;
    std::filesystem::remove(state_->path, remove_error);
}

void ControlServer::accept_next(const std::shared_ptr<State>& state) {
    state->acceptor.async_accept([state](const boost::system::error_code& error, local::socket socket) {
        if (error) return;  // closed
        std::make_shared<Session>(std::move(socket), state->handler)->read_next();
        accept_next(state);
    });
}

Expected<ControlReply> send_control_request(const std::filesystem::path& socket_path, const ControlRequest& request,
                                            std::chrono::milliseconds timeout) {
    asio::io_context io;
    local::socket socket(io);
    boost::system::error_code error;
    socket.connect(local::endpoint(socket_path.string()), error);
    if (error) {
        return fail(ErrorKind::Unavailable, "taxsync does not answer on " + socket_path.string() + " (" +
                                                error.message() + "); is the service running?");
    }
    const std::string line = encode_request(request) + "\n";
    asio::streambuf buffer(kMaxLine);
    std::optional<boost::system::error_code> outcome;
    asio::async_write(socket, asio::buffer(line), [&](const boost::system::error_code& write_error, std::size_t) {
        if (write_error) {
            outcome = write_error;
            return;
        }
        asio::async_read_until(socket, buffer, '\n',
                               [&](const boost::system::error_code& read_error, std::size_t) { outcome = read_error; });
    });
    io.run_for(timeout);
    if (!outcome) return fail(ErrorKind::Unavailable, "taxsync did not answer within " + std::to_string(timeout.count() / 1000) + " s");
    if (*outcome) return fail(ErrorKind::Unavailable, "the control connection failed: " + outcome->message());
    std::istream in(&buffer);
    std::string reply;
    std::getline(in, reply);
    return decode_reply(reply);
}

}  // namespace taxsync::daemon
