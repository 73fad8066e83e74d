#pragma once
// host:port for the local health and metrics endpoint, which listens on loopback only: it tells
// anyone who can connect how many clients the firm has.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace taxsync::daemon {

struct Endpoint {
    std::string address;  // numeric: 127.0.0.1 or ::1
    std::uint16_t port = 0;  // 0: any free port
};

/// "127.0.0.1:9464", "localhost:9464" or "[::1]:9464". Anything not on loopback is refused.
Expected<Endpoint> parse_loopback_endpoint(std::string_view text);

}  // namespace taxsync::daemon
