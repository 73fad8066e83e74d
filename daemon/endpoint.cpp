#include "daemon/endpoint.hpp"

#include <charconv>

namespace taxsync::daemon {

Expected<Endpoint> parse_loopback_endpoint(std::string_view text) {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        return fail(ErrorKind::InvalidInput, "'" + std::string(text) + "' is not host:port (e.g. 127.0.0.1:9464)");
    }
    std::string_view host = text.substr(0, colon);
    const std::string_view port_text = text.substr(colon + 1);
    unsigned port = 0;
    const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc() || end != port_text.data() + port_text.size() || port > 65535 || port_text.empty()) {
        return fail(ErrorKind::InvalidInput, "'" + std::string(port_text) + "' is not a port number");
    }
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    std::string address;
    if (host == "127.0.0.1" || host == "localhost") {
        address = "127.0.0.1";
    } else if (host == "::1") {
        address = "::1";
    } else {
        return fail(ErrorKind::InvalidInput, "the status endpoint listens on loopback only (127.0.0.1 or [::1]), not '" +
                                                 std::string(host) + "'; put a reverse proxy in front of it if you must");
    }
    return Endpoint{address, static_cast<std::uint16_t>(port)};
}

}  // namespace taxsync::daemon
