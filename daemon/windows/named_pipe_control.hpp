#pragma once
// The control channel on Windows: the named pipe \\.\pipe\taxsync-control, one JSON request per
// line, one reply per line (daemon/control_protocol.hpp).
//
// Who may talk to it is decided by the pipe's DACL: SYSTEM, Administrators (elevated), and the
// account the server runs as, which under the service's virtual account is the service SID
// NT SERVICE\taxsync. Remote clients are refused, and the first instance is created with
// FILE_FLAG_FIRST_PIPE_INSTANCE, so a process that grabbed the name first makes listen() fail
// instead of silently receiving the requests.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "daemon/control_protocol.hpp"

namespace boost::asio {
class io_context;
}

namespace taxsync::daemon::windows {

inline constexpr std::wstring_view kControlPipeName = L"\\\\.\\pipe\\taxsync-control";

/// The SID string (S-1-5-...) of the account this process runs as.
Expected<std::wstring> current_account_sid();

/// The pipe's security descriptor, in SDDL: a protected DACL for SYSTEM, Administrators and
/// `server_account_sid`.
std::wstring control_pipe_sddl(std::wstring_view server_account_sid);

class NamedPipeControlServer {
public:
    NamedPipeControlServer(boost::asio::io_context& io, ControlHandler handler);
    ~NamedPipeControlServer();
    NamedPipeControlServer(const NamedPipeControlServer&) = delete;
    NamedPipeControlServer& operator=(const NamedPipeControlServer&) = delete;
    NamedPipeControlServer(NamedPipeControlServer&&) = delete;
    NamedPipeControlServer& operator=(NamedPipeControlServer&&) = delete;

    /// Creates the pipe and serves clients on the io_context (call on its thread, or before it runs).
    Status listen(std::wstring_view pipe_name = kControlPipeName);
    /// Closes the pipe and every connection; the handler is not called again.
    void stop();

    struct State;

private:
    std::shared_ptr<State> state_;
};

/// Sends one request and waits up to `timeout` for the reply (for `taxsync ctl`). Unavailable when
/// no taxsync listens, Forbidden when the caller may not talk to it.
Expected<ControlReply> send_control_request(std::wstring_view pipe_name, const ControlRequest& request,
                                            std::chrono::milliseconds timeout);

}  // namespace taxsync::daemon::windows
