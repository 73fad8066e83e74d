#pragma once
// The platform's own HttpClient, chosen by the build: libcurl on Linux (curl_http_client), WinHTTP
// on Windows (winhttp_http_client). Both verify TLS always and allow plain http:// only to loopback.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "core/expected.hpp"
#include "portal/http.hpp"

namespace taxsync::portal {

struct HttpClientSettings {
    std::chrono::seconds connect_timeout{10};
    std::chrono::seconds total_timeout{60};
    std::size_t max_response_bytes = 10U * 1024U * 1024U;
    std::string ca_file;  // empty: the system's trust store
    std::string user_agent = "taxsync";
};

/// Fails when the settings cannot be honoured on this platform (a CA file on Windows, whose
/// clients trust the Windows certificate store only).
Expected<std::unique_ptr<HttpClient>> make_system_http_client(const HttpClientSettings& settings);

/// The HTTP library's process-wide set-up, for the life of main (curl_global_init on Linux).
class HttpLibraryScope {
public:
    HttpLibraryScope();
    ~HttpLibraryScope();
    HttpLibraryScope(const HttpLibraryScope&) = delete;
    HttpLibraryScope& operator=(const HttpLibraryScope&) = delete;
    HttpLibraryScope(HttpLibraryScope&&) = delete;
    HttpLibraryScope& operator=(HttpLibraryScope&&) = delete;
};

}  // namespace taxsync::portal
