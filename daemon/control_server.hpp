#pragma once
// The control channel on Linux: a Unix socket, one JSON request per line, one reply per line.
// Permissions decide who may talk to it: the socket is 0660, in a folder only the service user and
// its group can enter.

#include <chrono>
#include <filesystem>
#include <memory>

#include "core/expected.hpp"
#include "daemon/control_protocol.hpp"

namespace boost::asio {
class io_context;
}

namespace taxsync::daemon {

class ControlServer {
public:
    ControlServer(boost::asio::io_context& io, ControlHandler handler);
    ~ControlServer();
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;
    ControlServer(ControlServer&&) = delete;
    ControlServer& operator=(ControlServer&&) = delete;

    /// Listens on `socket_path`. A leftover socket file is replaced; one that answers means another
    /// taxsync runs on this state, and is an error.
    Status listen(const std::filesystem::path& socket_path);
    void stop();

private:
    struct State;
    static void accept_next(const std::shared_ptr<State>& state);
    std::shared_ptr<State> state_;
};

/// Sends one request and waits for the reply. Unavailable when nothing listens on the socket.
Expected<ControlReply> send_control_request(const std::filesystem::path& socket_path, const ControlRequest& request,
                                            std::chrono::milliseconds timeout);

}  // namespace taxsync::daemon
