#pragma once
// HttpClient over one libcurl easy handle, reused so connections stay open. Not thread-safe:
// one client per thread. Each transfer runs through a multi handle of the client's own, driven by
// poll() on the sockets libcurl names: libcurl then trusts what poll() saw instead of polling each
// socket again itself (curl_easy_perform makes five poll calls per request, this loop three).

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "portal/http.hpp"

extern "C" {
typedef void CURL;   // NOLINT(modernize-use-using): matches curl.h
typedef void CURLM;  // NOLINT(modernize-use-using): matches multi.h
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
    // libcurl's callbacks hold the address of `events_`: the client stays where it was made.
    CurlHttpClient(const CurlHttpClient&) = delete;
    CurlHttpClient& operator=(const CurlHttpClient&) = delete;
    CurlHttpClient(CurlHttpClient&&) = delete;
    CurlHttpClient& operator=(CurlHttpClient&&) = delete;
    ~CurlHttpClient() override = default;

    Expected<HttpResponse, TransportError> send(const HttpRequest& request) override;

    /// What libcurl asked to be told about, through its socket and timer callbacks.
    struct Events {
        std::vector<std::pair<int, int>> sockets;                       // socket, CURL_POLL_IN/OUT/INOUT
        std::optional<std::chrono::steady_clock::time_point> deadline;  // when libcurl's timer fires
    };

private:
    struct EasyCleanup {
        void operator()(CURL* handle) const;
    };
    struct MultiCleanup {
        void operator()(CURLM* multi) const;
    };
    /// Clears what the handle still points to of the request just sent.
    void forget_request();
    /// Runs the transfer set up on handle_ to its end; returns libcurl's result for it.
    int run_transfer(std::string& failure);

    CurlOptions options_;
    std::string allowed_origin_;  // of the last URL check_url_allowed let through
    Events events_;
    std::unique_ptr<CURL, EasyCleanup> handle_;
    std::unique_ptr<CURLM, MultiCleanup> multi_;  // after handle_: cleaned up first
};

}  // namespace taxsync::portal
