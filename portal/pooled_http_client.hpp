#pragma once
// An HttpClient that several threads may share: each send borrows an idle client (one HTTP
// handle, with its open connections) from the pool, or makes a new one, and puts it back after.
// The platform clients hold one handle and are not thread-safe; this lets the executor apply
// several clients at once through one rate limiter and one circuit breaker.

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "portal/http.hpp"

namespace taxsync::portal {

class PooledHttpClient final : public HttpClient {
public:
    using Factory = std::function<Expected<std::unique_ptr<HttpClient>>()>;

    /// `first` is the pool's first client; `make` builds more when all are busy.
    PooledHttpClient(std::unique_ptr<HttpClient> first, Factory make);

    Expected<HttpResponse, TransportError> send(const HttpRequest& request) override;

    /// How many clients exist (idle or busy): at most the number of threads that sent at once.
    [[nodiscard]] std::size_t size() const;

private:
    Expected<std::unique_ptr<HttpClient>> borrow();
    void give_back(std::unique_ptr<HttpClient> client);

    Factory make_;
    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<HttpClient>> idle_;
    std::size_t made_ = 0;
};

}  // namespace taxsync::portal
