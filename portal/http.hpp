#pragma once
// The HTTP seam: adapters talk to HttpClient, tests can hand them another implementation.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/expected.hpp"

namespace taxsync::portal {

struct HttpRequest {
    std::string method;  // GET, POST, PUT, PATCH, DELETE
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    /// The transport must never send this request a second time on its own. libcurl silently
    /// resends a request once when a reused keep-alive connection dies before any answer, even a
    /// POST the portal may already have applied. The curl client refuses that second send (the
    /// request fails as possibly applied) and so may put the request on a kept-alive connection;
    /// the WinHTTP client sends it on a fresh connection.
    bool never_resend = false;
};

struct HttpResponse {
    int status = 0;
    std::map<std::string, std::string> headers;  // names lowercased
    std::string body;

    [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
};

enum class TransportFailure {
    NotSent,         // refused by policy, DNS or connect failure: the portal never saw the request
    TimedOut,        // sent, no complete answer in time: it may have been applied
    ConnectionLost,  // sent, the connection closed before the answer: it may have been applied
    TooLarge,        // the answer exceeded the size limit
    CircuitOpen,     // not sent: the portal failed too often just now (circuit breaker open)
};

struct TransportError {
    TransportFailure failure = TransportFailure::NotSent;
    std::string message;

    [[nodiscard]] bool may_have_been_applied() const {
        return failure == TransportFailure::TimedOut || failure == TransportFailure::ConnectionLost;
    }
};

class HttpClient {
public:
    virtual ~HttpClient() = default;
    virtual Expected<HttpResponse, TransportError> send(const HttpRequest& request) = 0;
};

/// https:// anywhere; plain http:// only to a loopback host (the emulator). Anything else is refused
/// with a message that says why.
Status check_url_allowed(std::string_view url);

/// "scheme://authority" of a URL, the part check_url_allowed judges; empty when it has no "://".
std::string_view url_origin(std::string_view url);

/// Percent-encodes a query parameter value (RFC 3986 unreserved characters stay).
std::string url_encode(std::string_view text);

}  // namespace taxsync::portal
