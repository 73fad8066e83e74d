// The parts of the store behind the safety gate, the review queue and plan-mode (staged) cycles.

#include "store/store.hpp"

namespace taxsync::store {

std::string_view to_string(ReviewState state) { return state == ReviewState::Open ? "open" : "ignored"; }

// ---- the safety gate --------------------------------------------------------------------------

void Store::hold_cycle(const CycleId& cycle, const std::string& reason) {
    db_.prepare("UPDATE outbox SET state = 'held', updated_at = ?1 WHERE cycle_id = ?2 AND state = 'pending'")
        .bind_all(now(), cycle.value())
        .run();
    db_.prepare("UPDATE cycles SET gate = ?1 WHERE id = ?2").bind_all(reason, cycle.value()).run();
}

std::optional<HeldCycle> Store::held_cycle() {
    auto row = db_.prepare(
        "SELECT c.id, c.started_at, coalesce(c.gate, ''), count(o.id) FROM cycles c JOIN outbox o ON o.cycle_id = c.id "
        "WHERE o.state = 'held' GROUP BY c.id ORDER BY c.id DESC LIMIT 1");
    if (!row.step()) return std::nullopt;
    return HeldCycle{CycleId(row.column_int(0)), from_unix_seconds(row.column_int(1)), row.column_text(2),
                     row.column_int(3)};
}

void Store::replace_held(const CycleId& by) {
    const std::string reason = "planned again by cycle " + std::to_string(by.value());
    db_.prepare(
           "UPDATE cycles SET decision = 'replaced', decided_at = ?1 WHERE decision IS NULL AND id IN "
           "(SELECT DISTINCT cycle_id FROM outbox WHERE state = 'held' AND cycle_id <> ?2)")
        .bind_all(now(), by.value())
        .run();
    db_.prepare(
           "UPDATE outbox SET state = 'superseded', last_error = ?1, updated_at = ?2 WHERE state = 'held' AND cycle_id <> ?3")
        .bind_all(reason, now(), by.value())
        .run();
}

Expected<std::int64_t> Store::decide_held(const CycleId& cycle, bool approve) {
    const auto record = this->cycle(cycle);
    if (!record) return fail(ErrorKind::NotFound, "there is no cycle " + std::to_string(cycle.value()));
    sqlite::Transaction transaction(db_);
    auto count = db_.prepare("SELECT count(*) FROM outbox WHERE cycle_id = ?1 AND state = 'held'");
    count.bind_all(cycle.value());
    count.step();
    const std::int64_t held = count.column_int(0);
    if (held == 0) {
        auto decided = db_.prepare("SELECT coalesce(decision, ''), coalesce(gate, '') FROM cycles WHERE id = ?1");
        decided.bind_all(cycle.value());
        decided.step();
        const std::string decision = decided.column_text(0);
        if (decision == "replaced") {
            const auto newer = held_cycle();
            return fail(ErrorKind::Conflict, "cycle " + std::to_string(cycle.value()) +
                                                 " was planned again by a later cycle" +
                                                 (newer ? "; decide on cycle " + std::to_string(newer->id.value()) : ""));
        }
        if (!decision.empty()) {
            return fail(ErrorKind::Conflict, "cycle " + std::to_string(cycle.value()) + " was already " + decision);
        }
        return fail(ErrorKind::NotFound, "cycle " + std::to_string(cycle.value()) + " holds no operations");
    }
    db_.prepare("UPDATE outbox SET state = ?1, updated_at = ?2 WHERE cycle_id = ?3 AND state = 'held'")
        .bind_all(approve ? "pending" : "rejected", now(), cycle.value())
        .run();
    db_.prepare("UPDATE cycles SET decision = ?1, decided_at = ?2 WHERE id = ?3")
        .bind_all(approve ? "approved" : "rejected", now(), cycle.value())
        .run();
    transaction.commit();
    return held;
}

// ---- plan mode --------------------------------------------------------------------------------

void Store::record_staged(const CycleId& cycle, const std::vector<StagedOperation>& operations, int keep) {
    auto insert = db_.prepare(
        "INSERT INTO staged(cycle_id, seq, connector, client_id, kind, description) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    std::int64_t seq = 0;
    for (const StagedOperation& operation : operations) {
        insert.bind_all(cycle.value(), ++seq, operation.connector.value(), operation.client.value(), operation.kind,
                        operation.description);
        insert.run();
        insert.reset();
    }
    db_.prepare(
           "DELETE FROM staged WHERE cycle_id NOT IN (SELECT DISTINCT cycle_id FROM staged ORDER BY cycle_id DESC "
           "LIMIT ?1)")
        .bind_all(static_cast<std::int64_t>(keep))
        .run();
}

std::vector<StagedOperation> Store::staged(const CycleId& cycle) {
    std::vector<StagedOperation> out;
    auto row = db_.prepare(
        "SELECT connector, client_id, kind, description FROM staged WHERE cycle_id = ?1 ORDER BY seq");
    row.bind_all(cycle.value());
    while (row.step()) {
        out.push_back({ConnectorName(row.column_text(0)), ClientId(row.column_text(1)), row.column_text(2),
                       row.column_text(3)});
    }
    return out;
}

// ---- review queue -----------------------------------------------------------------------------

void Store::open_review(const ConnectorName& connector, const ClientId& client, const std::string& reason) {
    // An ignored client stays ignored; an open review keeps its first date and takes the newest reason.
    db_.prepare(
           "INSERT INTO reviews(connector, client_id, state, reason, opened_at) VALUES (?1, ?2, 'open', ?3, ?4) "
           "ON CONFLICT(connector, client_id) DO UPDATE SET reason = excluded.reason WHERE state = 'open'")
        .bind_all(connector.value(), client.value(), reason, now())
        .run();
}

void Store::set_review(const ConnectorName& connector, const ClientId& client, ReviewState state,
                       const std::string& reason) {
    db_.prepare(
           "INSERT INTO reviews(connector, client_id, state, reason, opened_at) VALUES (?1, ?2, ?3, ?4, ?5) "
           "ON CONFLICT(connector, client_id) DO UPDATE SET state = excluded.state, reason = excluded.reason")
        .bind_all(connector.value(), client.value(), to_string(state), reason, now())
        .run();
}

void Store::close_review(const ConnectorName& connector, const ClientId& client) {
    db_.prepare("DELETE FROM reviews WHERE connector = ?1 AND client_id = ?2").bind_all(connector.value(), client.value()).run();
}

namespace {

Review review_from(const sqlite::Statement& row) {
    return {ConnectorName(row.column_text(0)), ClientId(row.column_text(1)),
            row.column_text(2) == "open" ? ReviewState::Open : ReviewState::Ignored, row.column_text(3),
            from_unix_seconds(row.column_int(4))};
}

}  // namespace

std::optional<Review> Store::review(const ConnectorName& connector, const ClientId& client) {
    auto row = db_.prepare(
        "SELECT connector, client_id, state, reason, opened_at FROM reviews WHERE connector = ?1 AND client_id = ?2");
    row.bind_all(connector.value(), client.value());
    if (!row.step()) return std::nullopt;
    return review_from(row);
}

std::vector<Review> Store::reviews() {
    std::vector<Review> out;
    auto row = db_.prepare(
        "SELECT connector, client_id, state, reason, opened_at FROM reviews ORDER BY state DESC, opened_at, connector, "
        "client_id");
    while (row.step()) out.push_back(review_from(row));
    return out;
}

}  // namespace taxsync::store
