#pragma once
// HttpClient over one libcurl easy handle, reused so connections stay open. Not thread-safe:
// one client per thread.

#include <chrono>
#include <memory>
#include <string>

#include "portal/http.hpp"

extern "C" {
typedef void CURL;  // NOLINT(modernize-use-using): matches curl.h
struct curl_slist;
}

namespace taxsync::portal {

struct CurlOptions {
    std::chrono::seconds connect_timeout{10};
    std::chrono::seconds total_timeout{60};
    std::size_t max_response_bytes = 10U * 1024U * 1024U;
    std::string ca_file;  // empty: the system's trust store
    std::string user_agent = "taxsync";
};

/// curl_global_init/cleanup for the life of the program; create one in main before any client.
class CurlGlobal {
public:
    CurlGlobal();
    ~CurlGlobal();
    CurlGlobal(const CurlGlobal&) = delete;
    CurlGlobal& operator=(const CurlGlobal&) = delete;
    CurlGlobal(CurlGlobal&&) = delete;
    CurlGlobal& operator=(CurlGlobal&&) = delete;
};

class CurlHttpClient final : public HttpClient {
public:
    explicit CurlHttpClient(CurlOptions options);
    Expected<HttpResponse, TransportError> send(const HttpRequest& request) override;

private:
    struct EasyCleanup {
        void operator()(CURL* handle) const;
    };
    CurlOptions options_;
    std::unique_ptr<CURL, EasyCleanup> handle_;
};

}  // namespace taxsync::portal
