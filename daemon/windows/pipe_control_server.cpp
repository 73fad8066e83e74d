// daemon/control_server.hpp on Windows: the control channel is the named pipe of
// named_pipe_control.hpp. [service] control_socket, if set, names the pipe (\\.\pipe\NAME).

#include <string>

#include "daemon/control_server.hpp"
#include "daemon/windows/named_pipe_control.hpp"

namespace taxsync::daemon {
namespace {

Expected<std::wstring> pipe_name(const std::filesystem::path& channel) {
    std::wstring name = channel.wstring();
    for (auto& c : name) {
        if (c == L'/') c = L'\\';
    }
    constexpr std::wstring_view kPrefix = L"\\\\.\\pipe\\";
    if (name.size() <= kPrefix.size() || name.compare(0, kPrefix.size(), kPrefix) != 0) {
        return fail(ErrorKind::InvalidInput, "control_socket '" + channel.string() +
                                                 "' is not a pipe name: on Windows it must be \\\\.\\pipe\\<name>");
    }
    return name;
}

}  // namespace

struct ControlServer::State {
    State(boost::asio::io_context& io, ControlHandler handler) : server(io, std::move(handler)) {}
    windows::NamedPipeControlServer server;
};

ControlServer::ControlServer(boost::asio::io_context& io, ControlHandler handler)
    : state_(std::make_shared<State>(io, std::move(handler))) {}

ControlServer::~ControlServer() { stop(); }

Status ControlServer::listen(const std::filesystem::path& socket_path) {
    auto name = pipe_name(socket_path);
    if (name.has_error()) return unexpected(std::move(name).error());
    return state_->server.listen(*name);
}

void ControlServer::stop() { state_->server.stop(); }

Expected<ControlReply> send_control_request(const std::filesystem::path& socket_path, const ControlRequest& request,
                                            std::chrono::milliseconds timeout) {
    auto name = pipe_name(socket_path);
    if (name.has_error()) return unexpected(std::move(name).error());
    return windows::send_control_request(*name, request, timeout);
}

}  // namespace taxsync::daemon
