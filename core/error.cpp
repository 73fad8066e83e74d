#include "core/error.hpp"

namespace taxsync {

std::string_view to_string(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::InvalidInput: return "invalid input";
        case ErrorKind::NotFound: return "not found";
        case ErrorKind::Conflict: return "conflict";
        case ErrorKind::Unauthorized: return "unauthorized";
        case ErrorKind::Forbidden: return "forbidden";
        case ErrorKind::Rejected: return "rejected";
        case ErrorKind::RateLimited: return "rate limited";
        case ErrorKind::Unavailable: return "unavailable";
        case ErrorKind::Ambiguous: return "outcome unknown";
        case ErrorKind::Io: return "i/o error";
        case ErrorKind::Internal: return "internal error";
    }
    return "unknown";
}

bool is_transient(ErrorKind kind) {
    return kind == ErrorKind::RateLimited || kind == ErrorKind::Unavailable || kind == ErrorKind::Ambiguous;
}

}  // namespace taxsync
