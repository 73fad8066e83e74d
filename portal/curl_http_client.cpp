#include "portal/curl_http_client.hpp"

#include <curl/curl.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "core/text.hpp"
#include "portal/system_http_client.hpp"

namespace taxsync::portal {
namespace {

struct SlistFree {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

struct Received {
    HttpResponse response;
    std::size_t limit = 0;
    bool too_large = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* context) {
    auto* received = static_cast<Received*>(context);
    const std::size_t bytes = size * count;
    if (received->response.body.size() + bytes > received->limit) {
        received->too_large = true;
        return 0;  // makes curl stop with CURLE_WRITE_ERROR
    }
    received->response.body.append(data, bytes);
    return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* context) {
    auto* received = static_cast<Received*>(context);
    const std::size_t bytes = size * count;
    const std::string_view line(data, bytes);
    if (line.rfind("HTTP/", 0) == 0) {
        received->response.headers.clear();  // a new response (after 100 Continue)
    } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
        received->response.headers[to_lower_ascii(trim(line.substr(0, colon)))] = std::string(trim(line.substr(colon + 1)));
    }
    return bytes;
}

/// Counts the times libcurl is about to send the request: the second is its own resend, after a
/// reused connection died before any answer, and is refused (CURLE_ABORTED_BY_CALLBACK).
int send_at_most_once(void* context, char* /*peer*/, char* /*local*/, int /*peer_port*/, int /*local_port*/) {
    auto* sends = static_cast<int*>(context);
    return ++*sends == 1 ? CURL_PREREQFUNC_OK : CURL_PREREQFUNC_ABORT;
}

/// libcurl's own default for CURLOPT_MAXAGE_CONN, for requests that may ride an older connection.
constexpr long kDefaultMaxAgeSeconds = 118;

/// libcurl names a socket to watch (or to stop watching).
int on_socket(CURL* /*easy*/, curl_socket_t socket, int what, void* context, void* /*socket_context*/) {
    auto& sockets = static_cast<CurlHttpClient::Events*>(context)->sockets;
    const auto found =
        std::find_if(sockets.begin(), sockets.end(), [&](const auto& watch) { return watch.first == socket; });
    if (what == CURL_POLL_REMOVE) {
        if (found != sockets.end()) sockets.erase(found);
    } else if (found != sockets.end()) {
        found->second = what;
    } else {
        sockets.emplace_back(socket, what);
    }
    return 0;
}

/// libcurl asks to be called back after `timeout_ms` (-1: no timer).
int on_timer(CURLM* /*multi*/, long timeout_ms, void* context) {
    auto& deadline = static_cast<CurlHttpClient::Events*>(context)->deadline;
    if (timeout_ms < 0) {
        deadline.reset();
    } else {
        deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    }
    return 0;
}

}  // namespace

CurlGlobal::CurlGlobal() {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("curl_global_init failed");
}

CurlGlobal::~CurlGlobal() { curl_global_cleanup(); }

void CurlHttpClient::EasyCleanup::operator()(CURL* handle) const { curl_easy_cleanup(handle); }

void CurlHttpClient::MultiCleanup::operator()(CURLM* multi) const { curl_multi_cleanup(multi); }

CurlHttpClient::CurlHttpClient(CurlOptions options)
    : options_(std::move(options)), handle_(curl_easy_init()), multi_(curl_multi_init()) {
    if (!handle_ || !multi_) throw std::runtime_error("cannot set up libcurl");
    CURL* curl = handle_.get();
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    // Verification is never switched off; there is no option to do so.
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(curl, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count() * 1000));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count() * 1000));
    curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETDATA, &events_);
    curl_multi_setopt(multi_.get(), CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(multi_.get(), CURLMOPT_TIMERDATA, &events_);
}

void CurlHttpClient::forget_request() {
    CURL* curl = handle_.get();
    for (const CURLoption option : {CURLOPT_ERRORBUFFER, CURLOPT_HTTPHEADER, CURLOPT_WRITEDATA, CURLOPT_HEADERDATA,
                                    CURLOPT_PREREQDATA, CURLOPT_POSTFIELDS}) {
        curl_easy_setopt(curl, option, nullptr);
    }
}

int CurlHttpClient::run_transfer(std::string& failure) {
    CURLM* multi = multi_.get();
    if (const CURLMcode added = curl_multi_add_handle(multi, handle_.get()); added != CURLM_OK) {
        failure = curl_multi_strerror(added);
        return CURLE_FAILED_INIT;
    }
    int running = 0;
    CURLMcode acted = curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
    std::vector<pollfd> watched;
    while (running > 0 && acted == CURLM_OK) {
        watched.clear();
        for (const auto& [socket, what] : events_.sockets) {
            const short events = static_cast<short>(((what & CURL_POLL_IN) != 0 ? POLLIN : 0) |
                                                    ((what & CURL_POLL_OUT) != 0 ? POLLOUT : 0));
            watched.push_back({socket, events, 0});
        }
        // Without a timer libcurl waits on its sockets alone; a second's sleep at most all the same.
        int wait_ms = 1000;
        if (events_.deadline) {
            const auto left =
                std::chrono::ceil<std::chrono::milliseconds>(*events_.deadline - std::chrono::steady_clock::now());
            wait_ms = static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(left.count(), 0, wait_ms));
        }
        const int ready = ::poll(watched.data(), watched.size(), wait_ms);
        if (ready < 0) {
            if (errno == EINTR) continue;
            failure = "poll failed: " + std::error_code(errno, std::system_category()).message();
            break;
        }
        if (ready == 0) {
            acted = curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
            continue;
        }
        for (const pollfd& socket : watched) {
            if (socket.revents == 0) continue;
            // Hang-ups and errors are read as readable: libcurl then finds out what happened.
            int seen = (socket.revents & (POLLIN | POLLPRI | POLLHUP)) != 0 ? CURL_CSELECT_IN : 0;
            if ((socket.revents & POLLOUT) != 0) seen |= CURL_CSELECT_OUT;
            if ((socket.revents & (POLLERR | POLLNVAL)) != 0) seen |= CURL_CSELECT_ERR;
            acted = curl_multi_socket_action(multi, socket.fd, seen, &running);
            if (running == 0 || acted != CURLM_OK) break;
        }
    }
    if (acted != CURLM_OK) failure = curl_multi_strerror(acted);
    int result = CURLE_RECV_ERROR;  // cut short (by a failed poll, or libcurl's multi handle)
    int left = 0;
    while (const CURLMsg* message = curl_multi_info_read(multi, &left)) {
        if (message->msg == CURLMSG_DONE) result = message->data.result;
    }
    curl_multi_remove_handle(multi, handle_.get());
    return result;
}

Expected<HttpResponse, TransportError> CurlHttpClient::send(const HttpRequest& request) {
    // The verdict depends on the scheme, host and port alone: one check for each new origin.
    const std::string_view origin = url_origin(request.url);
    if (origin.empty() || origin != allowed_origin_) {
        if (auto allowed = check_url_allowed(request.url); allowed.has_error()) {
            return unexpected(TransportError{TransportFailure::NotSent, allowed.error().message});
        }
        allowed_origin_ = origin;
    }
    CURL* curl = handle_.get();
    Received received;
    received.limit = options_.max_response_bytes;
    std::unique_ptr<curl_slist, SlistFree> headers;
    for (const auto& [name, value] : request.headers) {
        std::string line = name;
        line.append(": ").append(value);
        curl_slist* extended = curl_slist_append(headers.get(), line.c_str());
        if (extended == nullptr) throw std::bad_alloc();
        (void)headers.release();
        headers.reset(extended);
    }
    int sends = 0;  // libcurl's sends of a never_resend request (see send_at_most_once)

    // The options every request shares were set once, in the constructor; these are the request's
    // own, each set (or set back) every time, and the pointers into this call are cleared after it.
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    if (request.never_resend) {
        curl_easy_setopt(curl, CURLOPT_PREREQFUNCTION, send_at_most_once);
        curl_easy_setopt(curl, CURLOPT_PREREQDATA, &sends);
        // Only a connection busy a moment ago: one idle for longer may be closed by the server as
        // the request goes out (idle timeouts are 5 s and up), which would leave it ambiguous.
        curl_easy_setopt(curl, CURLOPT_MAXAGE_CONN, 2L);
    } else {
        curl_easy_setopt(curl, CURLOPT_PREREQFUNCTION, nullptr);
        curl_easy_setopt(curl, CURLOPT_MAXAGE_CONN, kDefaultMaxAgeSeconds);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &received);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &received);
    std::array<char, CURL_ERROR_SIZE> detail{};  // e.g. "SSL certificate problem: self-signed certificate"
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, detail.data());
    if (request.method == "GET") {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, nullptr);
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    }

    std::string failure;  // why the transfer was cut short, when libcurl did not finish it
    const auto code = static_cast<CURLcode>(run_transfer(failure));
    forget_request();
    if (code != CURLE_OK) {
        long request_bytes = 0;
        curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &request_bytes);
        std::string reason = curl_easy_strerror(code);
        if (detail[0] != '\0') reason += " (" + std::string(detail.data()) + ")";
        if (!failure.empty()) reason += " (" + failure + ")";
        if (received.too_large) {
            return unexpected(TransportError{TransportFailure::TooLarge, "the answer exceeded " +
                                                                             std::to_string(options_.max_response_bytes) +
                                                                             " bytes"});
        }
        if (sends > 1) {
            // The request went out on a reused connection that then died without an answer; it may
            // have been applied, and libcurl was kept from sending it again.
            return unexpected(TransportError{TransportFailure::ConnectionLost,
                                             "the connection closed before any answer (" + reason + ")"});
        }
        if (request_bytes == 0) return unexpected(TransportError{TransportFailure::NotSent, reason});
        if (code == CURLE_OPERATION_TIMEDOUT) return unexpected(TransportError{TransportFailure::TimedOut, reason});
        return unexpected(TransportError{TransportFailure::ConnectionLost, reason});
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    received.response.status = static_cast<int>(status);
    return std::move(received.response);
}

}  // namespace taxsync::portal

namespace taxsync::portal {

Expected<std::unique_ptr<HttpClient>> make_system_http_client(const HttpClientSettings& settings) {
    CurlOptions options;
    options.connect_timeout = settings.connect_timeout;
    options.total_timeout = settings.total_timeout;
    options.max_response_bytes = settings.max_response_bytes;
    options.ca_file = settings.ca_file;
    options.user_agent = settings.user_agent;
    return std::unique_ptr<HttpClient>(std::make_unique<CurlHttpClient>(std::move(options)));
}

HttpLibraryScope::HttpLibraryScope() {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("curl_global_init failed");
}

HttpLibraryScope::~HttpLibraryScope() { curl_global_cleanup(); }

}  // namespace taxsync::portal
