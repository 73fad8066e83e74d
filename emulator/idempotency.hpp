#pragma once
// Idempotency-Key handling after the IETF draft (draft-ietf-httpapi-idempotency-key-header):
// the first request with a key is applied and its answer stored; the same key with the same
// request replays that answer; the same key with a different request is 422; the same key while
// the first is still being processed is 409. Keys are scoped per client credential so one client
// cannot read another's answers by guessing keys.

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "store/sqlite.hpp"

namespace taxsync::emulator {

enum class IdempotencyVerdict {
    Proceed,     // first use: the key is now reserved (in progress) for this request
    Replay,      // same request seen and answered: send the stored answer
    Mismatch,    // key reused with a different request: 422
    InProgress,  // the first request with this key has not finished: 409
};

struct IdempotencyDecision {
    IdempotencyVerdict verdict = IdempotencyVerdict::Proceed;
    unsigned status = 0;  // for Replay
    std::string body;     // for Replay
};

/// Accepts the draft's sf-string form ("...") and a bare token; nullopt when empty or over 255
/// characters.
std::optional<std::string> normalize_idempotency_key(std::string_view raw);

/// What makes two requests "the same": method, path and the body (JSON compared by value, so key
/// order and whitespace do not matter).
std::string request_fingerprint(std::string_view method, std::string_view path, std::string_view body);

class IdempotencyStore {
public:
    /// Creates its table if needed and forgets reservations left by a previous process: nothing
    /// can still be in progress after a restart.
    IdempotencyStore(sqlite::Database& db, const Clock& clock);

    IdempotencyDecision begin(std::string_view scope, std::string_view key, std::string_view fingerprint);
    /// Stores the answer of a reserved key. Call inside the transaction that applied the request so
    /// "applied" and "answer stored" cannot be separated.
    void complete(std::string_view scope, std::string_view key, unsigned status, std::string_view body);
    /// Drops a reservation whose request was not applied (so a retry may proceed).
    void release(std::string_view scope, std::string_view key);
    void clear();

private:
    sqlite::Database& db_;
    const Clock& clock_;
};

}  // namespace taxsync::emulator
