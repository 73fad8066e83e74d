#include "portal/pooled_http_client.hpp"

namespace taxsync::portal {

PooledHttpClient::PooledHttpClient(std::unique_ptr<HttpClient> first, Factory make) : make_(std::move(make)) {
    if (first) {
        idle_.push_back(std::move(first));
        made_ = 1;
    }
}

std::size_t PooledHttpClient::size() const {
    const std::scoped_lock lock(mutex_);
    return made_;
}

Expected<std::unique_ptr<HttpClient>> PooledHttpClient::borrow() {
    {
        const std::scoped_lock lock(mutex_);
        if (!idle_.empty()) {
            std::unique_ptr<HttpClient> client = std::move(idle_.back());
            idle_.pop_back();
            return client;
        }
    }
    auto made = make_();  // outside the lock: building a client may take a while
    if (made.has_value()) {
        const std::scoped_lock lock(mutex_);
        ++made_;
    }
    return made;
}

void PooledHttpClient::give_back(std::unique_ptr<HttpClient> client) {
    const std::scoped_lock lock(mutex_);
    idle_.push_back(std::move(client));
}

Expected<HttpResponse, TransportError> PooledHttpClient::send(const HttpRequest& request) {
    auto client = borrow();
    if (client.has_error()) {
        return unexpected(
            TransportError{TransportFailure::NotSent, "cannot set up an HTTP client: " + client.error().message});
    }
    std::unique_ptr<HttpClient> borrowed = std::move(client).value();
    auto outcome = borrowed->send(request);
    give_back(std::move(borrowed));
    return outcome;
}

}  // namespace taxsync::portal
