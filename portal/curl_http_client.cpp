#include "portal/curl_http_client.hpp"

#include <curl/curl.h>

#include <array>
#include <stdexcept>

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

}  // namespace

CurlGlobal::CurlGlobal() {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("curl_global_init failed");
}

CurlGlobal::~CurlGlobal() { curl_global_cleanup(); }

void CurlHttpClient::EasyCleanup::operator()(CURL* handle) const { curl_easy_cleanup(handle); }

CurlHttpClient::CurlHttpClient(CurlOptions options) : options_(std::move(options)), handle_(curl_easy_init()) {
    if (!handle_) throw std::runtime_error("curl_easy_init failed");
}

Expected<HttpResponse, TransportError> CurlHttpClient::send(const HttpRequest& request) {
    if (auto allowed = check_url_allowed(request.url); allowed.has_error()) {
        return unexpected(TransportError{TransportFailure::NotSent, allowed.error().message});
    }
    CURL* curl = handle_.get();
    curl_easy_reset(curl);  // keeps the connection cache, drops the previous request's options

    Received received;
    received.limit = options_.max_response_bytes;
    std::unique_ptr<curl_slist, SlistFree> headers;
    for (const auto& [name, value] : request.headers) {
        const std::string line = name + ": " + value;
        curl_slist* extended = curl_slist_append(headers.get(), line.c_str());
        if (extended == nullptr) throw std::bad_alloc();
        (void)headers.release();
        headers.reset(extended);
    }
    int sends = 0;  // libcurl's sends of a never_resend request (see send_at_most_once)

    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    // Verification is never switched off; there is no option to do so.
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(curl, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (request.never_resend) {
        curl_easy_setopt(curl, CURLOPT_PREREQFUNCTION, send_at_most_once);
        curl_easy_setopt(curl, CURLOPT_PREREQDATA, &sends);
        // Only a connection busy a moment ago: one idle for longer may be closed by the server as
        // the request goes out (idle timeouts are 5 s and up), which would leave it ambiguous.
        curl_easy_setopt(curl, CURLOPT_MAXAGE_CONN, 2L);
    }
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count() * 1000));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count() * 1000));
    curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &received);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &received);
    std::array<char, CURL_ERROR_SIZE> detail{};  // e.g. "SSL certificate problem: self-signed certificate"
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, detail.data());
    if (request.method == "GET") {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    }

    const CURLcode code = curl_easy_perform(curl);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);  // the buffer dies with this call
    if (code != CURLE_OK) {
        long request_bytes = 0;
        curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &request_bytes);
        std::string reason = curl_easy_strerror(code);
        if (detail[0] != '\0') reason += " (" + std::string(detail.data()) + ")";
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
