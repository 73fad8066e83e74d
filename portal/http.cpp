#include "portal/http.hpp"

#include <cctype>

#include "core/text.hpp"

namespace taxsync::portal {

std::optional<std::string> HttpResponse::header(std::string_view name) const {
    const auto found = headers.find(to_lower_ascii(name));
    if (found == headers.end()) return std::nullopt;
    return found->second;
}

namespace {

bool is_loopback_host(std::string_view host) {
    if (iequals_ascii(host, "localhost") || host == "[::1]") return true;
    // 127.0.0.0/8 written as four decimal octets.
    const auto parts = split(host, '.');
    if (parts.size() != 4 || parts[0] != "127") return false;
    for (const auto& part : parts) {
        if (part.empty() || part.size() > 3) return false;
        for (char c : part) {
            if (std::isdigit(static_cast<unsigned char>(c)) == 0) return false;
        }
        if (std::stoi(part) > 255) return false;
    }
    return true;
}

}  // namespace

std::string_view url_origin(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return {};
    return url.substr(0, url.find_first_of("/?#", scheme_end + 3));
}

Status check_url_allowed(std::string_view url) {
    const std::string_view origin = url_origin(url);
    if (origin.empty()) return fail(ErrorKind::InvalidInput, "'" + std::string(url) + "' is not a URL");
    const auto scheme_end = origin.find("://");
    const std::string scheme = to_lower_ascii(origin.substr(0, scheme_end));
    const std::string_view rest = origin.substr(scheme_end + 3);
    if (rest.find('@') != std::string_view::npos) {
        return fail(ErrorKind::InvalidInput, "credentials inside the URL are not allowed; use the secret file");
    }
    std::string_view host = rest;
    if (!host.empty() && host.front() == '[') {
        host = host.substr(0, host.find(']') + 1);
    } else {
        host = host.substr(0, host.find(':'));
    }
    if (host.empty()) return fail(ErrorKind::InvalidInput, "'" + std::string(url) + "' has no host");
    if (scheme == "https") return ok();
    if (scheme == "http") {
        if (is_loopback_host(host)) return ok();
        return fail(ErrorKind::InvalidInput, "plain http:// is only allowed to this machine (loopback); '" +
                                                 std::string(host) + "' must be reached over https://");
    }
    return fail(ErrorKind::InvalidInput, "unsupported URL scheme '" + scheme + "' (use https://)");
}

std::string url_encode(std::string_view text) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size() * 3);
    for (unsigned char c : text) {
        if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(digits[c >> 4U]);
            out.push_back(digits[c & 0x0FU]);
        }
    }
    return out;
}

}  // namespace taxsync::portal
