#pragma once
// HTTP/1.1 front of the emulator on Boost.Beast: one io_context thread, one session object per
// connection, keep-alive, and injected latency as an asio timer so a slow request never holds up
// the others.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>

#include "core/expected.hpp"
#include "emulator/emulator.hpp"

namespace taxsync::emulator {

class HttpServer {
public:
    HttpServer(boost::asio::io_context& io, Emulator& emulator);

    /// Binds and starts accepting (port 0 picks a free port).
    Status listen(const boost::asio::ip::tcp::endpoint& endpoint);
    [[nodiscard]] std::uint16_t port() const;
    /// Stops accepting new connections. Call on the io_context's thread.
    void stop();

private:
    void accept_next();

    Emulator& emulator_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer accept_retry_timer_;
};

/// Parses "127.0.0.1:0", "[::1]:8080" or "localhost:0".
Expected<boost::asio::ip::tcp::endpoint> parse_listen_address(std::string_view text);

}  // namespace taxsync::emulator
