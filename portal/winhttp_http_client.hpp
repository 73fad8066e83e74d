#pragma once
// HttpClient over WinHTTP, for Windows. The same rules as the libcurl client: TLS 1.2 or later,
// certificates always verified against the Windows certificate store (there is no switch to turn
// that off), plain http:// only to loopback, no redirects followed, a size limit on answers.
// Not thread-safe: one client per thread.

#include <memory>

#include "portal/http.hpp"
#include "portal/system_http_client.hpp"

namespace taxsync::portal {

class WinHttpClient final : public HttpClient {
public:
    /// Throws std::runtime_error when WinHTTP cannot open a session. `settings.ca_file` must be empty.
    explicit WinHttpClient(HttpClientSettings settings);
    Expected<HttpResponse, TransportError> send(const HttpRequest& request) override;

    struct CloseHandle {
        void operator()(void* handle) const;  // a WinHTTP handle (HINTERNET)
    };

private:
    HttpClientSettings settings_;
    std::unique_ptr<void, CloseHandle> session_;
};

}  // namespace taxsync::portal
