#pragma once
// Health and metrics over HTTP on loopback: GET /healthz and GET /metrics (Prometheus text).
// Small on purpose: one request per connection, GET only, answers built by the service.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/expected.hpp"
#include "daemon/endpoint.hpp"

namespace boost::asio {
class io_context;
}

namespace taxsync::daemon {

struct HttpAnswer {
    unsigned status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
};

class StatusServer {
public:
    using Handler = std::function<HttpAnswer(const std::string& path)>;

    StatusServer(boost::asio::io_context& io, Handler handler);
    ~StatusServer();
    StatusServer(const StatusServer&) = delete;
    StatusServer& operator=(const StatusServer&) = delete;
    StatusServer(StatusServer&&) = delete;
    StatusServer& operator=(StatusServer&&) = delete;

    /// Starts listening; returns the port actually bound (useful with port 0).
    Expected<std::uint16_t> listen(const Endpoint& endpoint);
    void stop();

private:
    struct State;
    static void accept_next(const std::shared_ptr<State>& state);
    std::shared_ptr<State> state_;
};

}  // namespace taxsync::daemon
