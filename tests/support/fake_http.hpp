#pragma once
// An HttpClient that answers from a script and records what it was asked. For unit tests of
// adapter logic only; the real HTTP path is proven against the emulator.

#include <functional>
#include <string>
#include <vector>

#include "portal/http.hpp"

namespace taxsync::testing {

class FakeHttp final : public portal::HttpClient {
public:
    using Handler = std::function<Expected<portal::HttpResponse, portal::TransportError>(const portal::HttpRequest&)>;

    explicit FakeHttp(Handler handler) : handler_(std::move(handler)) {}
    Expected<portal::HttpResponse, portal::TransportError> send(const portal::HttpRequest& request) override {
        requests.push_back(request);
        return handler_(request);
    }

    /// Requests whose method matches and whose URL contains `fragment`.
    [[nodiscard]] std::size_t count(const std::string& method, const std::string& fragment) const {
        std::size_t n = 0;
        for (const auto& request : requests) {
            if (request.method == method && request.url.find(fragment) != std::string::npos) ++n;
        }
        return n;
    }

    std::vector<portal::HttpRequest> requests;

private:
    Handler handler_;
};

inline portal::HttpResponse respond(int status, std::string body, std::map<std::string, std::string> headers = {}) {
    return portal::HttpResponse{status, std::move(headers), std::move(body)};
}

}  // namespace taxsync::testing
