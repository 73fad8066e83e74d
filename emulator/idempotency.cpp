#include "emulator/idempotency.hpp"

#include <nlohmann/json.hpp>

#include "core/digest.hpp"

namespace taxsync::emulator {

std::optional<std::string> normalize_idempotency_key(std::string_view raw) {
    constexpr std::size_t longest_key = 255;
    std::string_view key = raw;
    if (key.size() >= 2 && key.front() == '"' && key.back() == '"') key = key.substr(1, key.size() - 2);
    if (key.empty() || key.size() > longest_key) return std::nullopt;
    return std::string(key);
}

std::string request_fingerprint(std::string_view method, std::string_view path, std::string_view body) {
    std::string canonical_body(body);
    // nlohmann's default object type is ordered by key, so dump() is a canonical form.
    const auto parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded()) canonical_body = parsed.dump();
    std::string material;
    material.reserve(method.size() + path.size() + canonical_body.size() + 2);
    material.append(method).append("\n").append(path).append("\n").append(canonical_body);
    return sha256_hex(material);
}

IdempotencyStore::IdempotencyStore(sqlite::Database& db, const Clock& clock) : db_(db), clock_(clock) {
    db_.exec(
        "CREATE TABLE IF NOT EXISTS idempotency_keys ("
        "  scope TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,"
        "  finished INTEGER NOT NULL DEFAULT 0, status INTEGER, body TEXT, created_at INTEGER NOT NULL,"
        "  PRIMARY KEY (scope, key));"
        "DELETE FROM idempotency_keys WHERE finished = 0;");
}

IdempotencyDecision IdempotencyStore::begin(std::string_view scope, std::string_view key,
                                            std::string_view fingerprint) {
    {
        auto lookup = db_.cached(
            "SELECT fingerprint, finished, status, body FROM idempotency_keys WHERE scope = ?1 AND key = ?2");
        lookup->bind_all(scope, key);
        if (lookup->step()) {
            if (lookup->column_view(0) != fingerprint) return {IdempotencyVerdict::Mismatch, 0, {}};
            if (lookup->column_int(1) == 0) return {IdempotencyVerdict::InProgress, 0, {}};
            return {IdempotencyVerdict::Replay, static_cast<unsigned>(lookup->column_int(2)), lookup->column_text(3)};
        }
    }
    db_.cached("INSERT INTO idempotency_keys (scope, key, fingerprint, created_at) VALUES (?1, ?2, ?3, ?4)")
        ->bind_all(scope, key, fingerprint, to_unix_seconds(clock_.now()))
        .run();
    return {IdempotencyVerdict::Proceed, 0, {}};
}

void IdempotencyStore::complete(std::string_view scope, std::string_view key, unsigned status, std::string_view body) {
    db_.cached("UPDATE idempotency_keys SET finished = 1, status = ?3, body = ?4 WHERE scope = ?1 AND key = ?2")
        ->bind_all(scope, key, static_cast<std::int64_t>(status), body)
        .run();
}

void IdempotencyStore::release(std::string_view scope, std::string_view key) {
    db_.cached("DELETE FROM idempotency_keys WHERE scope = ?1 AND key = ?2 AND finished = 0")
        ->bind_all(scope, key)
        .run();
}

void IdempotencyStore::clear() { db_.exec("DELETE FROM idempotency_keys"); }

}  // namespace taxsync::emulator
