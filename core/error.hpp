#pragma once
// The one error type carried by Expected<T>. `kind` decides what the caller may do next
// (retry, adopt, report); `message` is for people and is never parsed.

#include <string>
#include <string_view>

namespace taxsync {

enum class ErrorKind {
    InvalidInput,  // bad data from a file, the config or the command line: fix the input
    NotFound,
    Conflict,      // the object exists already (HTTP 409, duplicate key)
    Unauthorized,  // credentials refused (HTTP 401)
    Forbidden,     // HTTP 403
    Rejected,      // the portal refused the request as invalid (HTTP 400/422): do not retry
    RateLimited,   // HTTP 429: nothing was applied, retry after the pause
    Unavailable,   // the request never reached the portal, or 503 before applying: retry is safe
    Ambiguous,     // the request may have been applied (timeout after sending, 5xx): look before retrying
    Io,            // local file or database trouble
    Internal,      // a bug or a broken invariant
};

std::string_view to_string(ErrorKind kind);

struct Error {
    ErrorKind kind = ErrorKind::Internal;
    std::string message;
};

/// True for errors a later attempt can cure without anyone changing anything.
bool is_transient(ErrorKind kind);

}  // namespace taxsync
