#include "daemon/windows/named_pipe_control.hpp"

#include <windows.h>
// After windows.h:
#include <sddl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/windows/overlapped_ptr.hpp>
#include <boost/asio/windows/stream_handle.hpp>
#include <boost/asio/write.hpp>
#include <cstddef>
#include <exception>
#include <vector>

#include "daemon/windows/unique_handle.hpp"
#include "daemon/windows/win32_text.hpp"

namespace taxsync::daemon::windows {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// A request is a short JSON object; anything longer is a confused or hostile client.
constexpr std::size_t kMaxLine = 64 * 1024;
constexpr DWORD kPipeBufferBytes = 16 * 1024;
constexpr auto kRetryCreateAfter = 1s;

// One client connection; it serves one request at a time, so replies keep the requests' order.
struct Session {
    explicit Session(asio::io_context& io) : pipe(io) {}
    asio::windows::stream_handle pipe;
    std::string input;
    std::string output;
};

}  // namespace

struct NamedPipeControlServer::State {
    State(asio::io_context& context, ControlHandler on_request)
        : io(context), handler(std::move(on_request)), retry_timer(context) {}
    asio::io_context& io;
    ControlHandler handler;
    std::wstring pipe_name;
    LocalMemory<void> security_descriptor;
    asio::steady_timer retry_timer;
    bool stopped = false;
    std::shared_ptr<Session> listening;  // the instance waiting for its client
    std::vector<std::weak_ptr<Session>> sessions;
};

namespace {

using State = NamedPipeControlServer::State;

Expected<KernelHandle> create_instance(const State& state, bool first) {
    SECURITY_ATTRIBUTES attributes{sizeof(SECURITY_ATTRIBUTES), state.security_descriptor.get(), FALSE};
    const DWORD open_mode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0);
    KernelHandle pipe(CreateNamedPipeW(state.pipe_name.c_str(), open_mode,
                                       PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
                                       PIPE_UNLIMITED_INSTANCES, kPipeBufferBytes, kPipeBufferBytes, 0, &attributes));
    if (!pipe) {
        const DWORD code = GetLastError();
        if (first && code == ERROR_ACCESS_DENIED) {
            return fail(ErrorKind::Conflict, "another process already owns the control pipe " +
                                                 to_utf8(state.pipe_name) +
                                                 ": is taxsync already running? (taxsync ctl status)");
        }
        return win32_failure("cannot create the control pipe " + to_utf8(state.pipe_name), code);
    }
    return pipe;
}

void read_next(const std::shared_ptr<State>& state, const std::shared_ptr<Session>& session);

void write_reply(const std::shared_ptr<State>& state, const std::shared_ptr<Session>& session,
                 const ControlReply& reply, bool then_read) {
    session->output = encode_reply(reply) + "\n";
    asio::async_write(session->pipe, asio::buffer(session->output),
                      [state, session, then_read](const boost::system::error_code& error, std::size_t) {
                          if (error || state->stopped) return;
                          if (then_read) {
                              read_next(state, session);
                          } else {
                              boost::system::error_code ignored;
                              session->pipe.close(ignored);
                          }
                      });
}

void serve_line(const std::shared_ptr<State>& state, const std::shared_ptr<Session>& session, const std::string& line) {
    std::string error;
    const ControlRequest request = decode_request(line, error);
    if (!error.empty()) {
        write_reply(state, session, {ControlResult::Error, error, nlohmann::json::object()}, true);
        return;
    }
    // The handler may answer later and from elsewhere; the reply is written on the io_context,
    // and only the first answer counts.
    auto answered = std::make_shared<bool>(false);
    auto reply = [state, session, answered](ControlReply answer) {
        asio::post(state->io, [state, session, answered, answer = std::move(answer)] {
            if (*answered || state->stopped) return;
            *answered = true;
            write_reply(state, session, answer, true);
        });
    };
    try {
        state->handler(request, reply);
    } catch (const std::exception& failure) {
        reply({ControlResult::Error, std::string("the command failed: ") + failure.what(), nlohmann::json::object()});
    }
}

void read_next(const std::shared_ptr<State>& state, const std::shared_ptr<Session>& session) {
    asio::async_read_until(
        session->pipe, asio::dynamic_buffer(session->input, kMaxLine), '\n',
        [state, session](const boost::system::error_code& error, std::size_t length) {
            if (state->stopped) return;
            if (error == asio::error::not_found) {
                const std::string text = "a request is one line of at most " + std::to_string(kMaxLine) + " bytes";
                write_reply(state, session, {ControlResult::Error, text, nlohmann::json::object()}, false);
                return;
            }
            if (error) return;  // the client went away; the session ends with the last reference
            std::string line = session->input.substr(0, length - 1);
            session->input.erase(0, length);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.empty()) {
                read_next(state, session);
                return;
            }
            serve_line(state, session, line);
        });
}

void accept_next(const std::shared_ptr<State>& state);

void wait_for_client(const std::shared_ptr<State>& state, const std::shared_ptr<Session>& session) {
    asio::windows::overlapped_ptr operation(
        state->io, [state, session](const boost::system::error_code& error, std::size_t) {
            if (state->stopped) return;
            accept_next(state);  // the next client gets a fresh instance
            if (error) return;   // e.g. the client gave up before we noticed it
            std::erase_if(state->sessions, [](const std::weak_ptr<Session>& old) { return old.expired(); });
            state->sessions.push_back(session);
            read_next(state, session);
        });
    const BOOL connected = ConnectNamedPipe(session->pipe.native_handle(), operation.get());
    const DWORD code = connected != FALSE ? NO_ERROR : GetLastError();
    if (connected != FALSE || code == ERROR_IO_PENDING) {
        operation.release();  // the completion port delivers the result
    } else if (code == ERROR_PIPE_CONNECTED) {
        operation.complete({}, 0);  // a client came between CreateNamedPipeW and ConnectNamedPipe
    } else {
        operation.complete(boost::system::error_code(static_cast<int>(code), asio::error::get_system_category()), 0);
    }
}

void listen_on(const std::shared_ptr<State>& state, KernelHandle instance) {
    auto session = std::make_shared<Session>(state->io);
    boost::system::error_code error;
    session->pipe.assign(instance.get(), error);
    if (error) return;  // `instance` closes it; nothing more to do than for a failed create
    instance.release();
    state->listening = session;
    wait_for_client(state, session);
}

void accept_next(const std::shared_ptr<State>& state) {
    state->listening.reset();
    auto instance = create_instance(*state, false);
    if (instance.has_error()) {
        // Out of resources for a moment: try again rather than go deaf for good.
        state->retry_timer.expires_after(kRetryCreateAfter);
        state->retry_timer.async_wait([state](const boost::system::error_code& error) {
            if (!error && !state->stopped) accept_next(state);
        });
        return;
    }
    listen_on(state, std::move(instance).value());
}

}  // namespace

Expected<std::wstring> current_account_sid() {
    HANDLE opened = nullptr;
    if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &opened) == FALSE) {
        return win32_failure("cannot open the process token", GetLastError());
    }
    const KernelHandle token(opened);
    DWORD size = 0;
    GetTokenInformation(token.get(), TokenUser, nullptr, 0, &size);
    // TOKEN_USER holds pointers: a buffer of pointer-sized elements keeps it aligned.
    std::vector<void*> buffer(size / sizeof(void*) + 1);
    if (GetTokenInformation(token.get(), TokenUser, buffer.data(), static_cast<DWORD>(buffer.size() * sizeof(void*)),
                            &size) == FALSE) {
        return win32_failure("cannot read the process token", GetLastError());
    }
    const auto* user = reinterpret_cast<const TOKEN_USER*>(buffer.data());
    wchar_t* converted = nullptr;
    if (ConvertSidToStringSidW(user->User.Sid, &converted) == FALSE) {
        return win32_failure("cannot convert the account SID", GetLastError());
    }
    const LocalMemory<wchar_t> text(converted);
    return std::wstring(text.get());
}

std::wstring control_pipe_sddl(std::wstring_view server_account_sid) {
    // D:P = a protected DACL (nothing inherited). GA: full access (the server's account also needs
    // it to create more instances); GRGW: read and write, enough for a client.
    return L"D:P(A;;GA;;;SY)(A;;GRGW;;;BA)(A;;GA;;;" + std::wstring(server_account_sid) + L")";
}

NamedPipeControlServer::NamedPipeControlServer(asio::io_context& io, ControlHandler handler)
    : state_(std::make_shared<State>(io, std::move(handler))) {}

NamedPipeControlServer::~NamedPipeControlServer() { stop(); }

Status NamedPipeControlServer::listen(std::wstring_view pipe_name) {
    auto account = current_account_sid();
    if (account.has_error()) return unexpected(std::move(account).error());
    const std::wstring sddl = control_pipe_sddl(*account);
    void* descriptor = nullptr;
    if (ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1, &descriptor, nullptr) ==
        FALSE) {
        return win32_failure("cannot build the control pipe's access list", GetLastError());
    }
    state_->security_descriptor.reset(descriptor);
    state_->pipe_name = pipe_name;
    state_->stopped = false;
    auto first = create_instance(*state_, true);
    if (first.has_error()) return unexpected(std::move(first).error());
    listen_on(state_, std::move(first).value());
    return ok();
}

void NamedPipeControlServer::stop() {
    state_->stopped = true;
    state_->retry_timer.cancel();
    boost::system::error_code ignored;
    if (state_->listening) state_->listening->pipe.close(ignored);
    state_->listening.reset();
    for (const auto& weak : state_->sessions) {
        if (const auto session = weak.lock()) session->pipe.close(ignored);
    }
    state_->sessions.clear();
}

namespace {

using Clock = std::chrono::steady_clock;

DWORD milliseconds_until(Clock::time_point deadline) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() > 0 ? static_cast<DWORD>(left.count()) : 0;
}

// One overlapped ReadFile or WriteFile, waited for until `deadline` and cancelled when late.
template <class StartIo>
Expected<DWORD> transfer(HANDLE pipe, HANDLE event, Clock::time_point deadline, const StartIo& start_io) {
    OVERLAPPED overlapped{};
    overlapped.hEvent = event;
    if (start_io(&overlapped) == FALSE) {
        const DWORD code = GetLastError();
        if (code != ERROR_IO_PENDING) return fail(ErrorKind::Unavailable, describe_win32_error(code));
    }
    DWORD transferred = 0;
    if (WaitForSingleObject(event, milliseconds_until(deadline)) != WAIT_OBJECT_0) {
        CancelIoEx(pipe, &overlapped);
        GetOverlappedResult(pipe, &overlapped, &transferred, TRUE);  // the buffer is ours again
        return fail(ErrorKind::Unavailable, "timed out");
    }
    if (GetOverlappedResult(pipe, &overlapped, &transferred, FALSE) == FALSE) {
        const DWORD code = GetLastError();
        if (code == ERROR_BROKEN_PIPE) return fail(ErrorKind::Unavailable, "the connection was closed");
        return fail(ErrorKind::Unavailable, describe_win32_error(code));
    }
    return transferred;
}

Expected<KernelHandle> connect_to(const std::wstring& pipe_name, Clock::time_point deadline) {
    for (;;) {
        // SECURITY_IDENTIFICATION: the server may learn who we are, but not act as us.
        KernelHandle pipe(CreateFileW(pipe_name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                                      FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, nullptr));
        if (pipe) return pipe;
        const DWORD code = GetLastError();
        if (code == ERROR_PIPE_BUSY && milliseconds_until(deadline) > 0) {
            WaitNamedPipeW(pipe_name.c_str(), milliseconds_until(deadline));
            continue;
        }
        const std::string name = to_utf8(pipe_name);
        if (code == ERROR_FILE_NOT_FOUND) {
            return fail(ErrorKind::Unavailable, "taxsync is not running: nothing listens on " + name +
                                                    " (is the service started? sc query taxsync)");
        }
        if (code == ERROR_ACCESS_DENIED) {
            return fail(ErrorKind::Forbidden,
                        "access to " + name + " is denied: run taxsync ctl as Administrator (elevated prompt)");
        }
        if (code == ERROR_PIPE_BUSY) return fail(ErrorKind::Unavailable, "taxsync is busy: " + name + " stayed busy");
        return win32_failure("cannot connect to " + name, code);
    }
}

}  // namespace

Expected<ControlReply> send_control_request(std::wstring_view pipe_name, const ControlRequest& request,
                                            std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    const std::wstring name(pipe_name);
    auto pipe = connect_to(name, deadline);
    if (pipe.has_error()) return unexpected(std::move(pipe).error());
    const KernelHandle event(CreateEventW(nullptr, TRUE, FALSE, nullptr));
    if (!event) return win32_failure("cannot create an event", GetLastError());

    const std::string line = encode_request(request) + "\n";
    for (std::size_t sent = 0; sent < line.size();) {
        auto written = transfer(pipe->get(), event.get(), deadline, [&](OVERLAPPED* overlapped) {
            return WriteFile(pipe->get(), line.data() + sent, static_cast<DWORD>(line.size() - sent), nullptr,
                             overlapped);
        });
        if (written.has_error()) {
            return fail(ErrorKind::Unavailable, "cannot send the request to taxsync: " + written.error().message);
        }
        sent += *written;
    }

    std::string received;
    std::vector<char> chunk(4096);
    while (received.find('\n') == std::string::npos) {
        if (received.size() > kMaxLine) return fail(ErrorKind::Unavailable, "taxsync's answer is too long");
        auto read = transfer(pipe->get(), event.get(), deadline, [&](OVERLAPPED* overlapped) {
            return ReadFile(pipe->get(), chunk.data(), static_cast<DWORD>(chunk.size()), nullptr, overlapped);
        });
        if (read.has_error()) {
            return fail(ErrorKind::Unavailable, "taxsync did not answer: " + read.error().message);
        }
        if (*read == 0) return fail(ErrorKind::Unavailable, "taxsync did not answer: the connection was closed");
        received.append(chunk.data(), *read);
    }
    received.resize(received.find('\n'));
    if (!received.empty() && received.back() == '\r') received.pop_back();
    return decode_reply(received);
}

}  // namespace taxsync::daemon::windows
