#pragma once
// Per-operation durability for the executor. The state database runs with synchronous=FULL, and
// an operation's in-flight mark must be on disk before the portal hears of the operation. The
// engine makes those marks ahead, a window of operations at a time in one FULL commit, while the
// operations before them are at the portal. What the operations record afterwards (the object's
// id, the contact's state, done and the audit line) is committed in groups under this relaxed
// level and rides on the next fsync: in WAL mode the next FULL commit (the next window's marks, or
// the cycle's end) syncs the whole log, these frames included. A process crash loses nothing
// committed (the frames are in the OS's cache); a crash before a group's commit, or a power cut
// before the next FULL commit, leaves those operations in flight, and resuming them looks the
// object up before acting, as after any crash, so nothing is done twice.

#include <string>

#include "store/sqlite.hpp"

namespace taxsync::store {

class RelaxedDurability {
public:
    explicit RelaxedDurability(sqlite::Database& db) : db_(db) { db_.exec("PRAGMA synchronous = NORMAL"); }
    ~RelaxedDurability() {
        try {
            db_.exec("PRAGMA synchronous = FULL");
        } catch (const sqlite::Error&) {
            // Only a broken connection refuses this pragma, and its next statement fails loudly.
        }
    }
    RelaxedDurability(const RelaxedDurability&) = delete;
    RelaxedDurability& operator=(const RelaxedDurability&) = delete;
    RelaxedDurability(RelaxedDurability&&) = delete;
    RelaxedDurability& operator=(RelaxedDurability&&) = delete;

private:
    sqlite::Database& db_;
};

/// While the executor applies a cycle, the WAL is copied back into the database file once it holds
/// 10,000 pages (about 40 MB) rather than SQLite's default 1,000. Each copy runs inside a commit,
/// while the workers wait for the store, and pages changed again since the last copy are copied
/// again; fewer, larger copies write each busy page once. The default comes back at the end, and
/// the next commit copies what is left.
class DeferredCheckpoints {
public:
    static constexpr int kPagesDuringApply = 10000;
    static constexpr int kDefaultPages = 1000;  // SQLite's SQLITE_DEFAULT_WAL_AUTOCHECKPOINT

    explicit DeferredCheckpoints(sqlite::Database& db) : db_(db) {
        db_.exec("PRAGMA wal_autocheckpoint = " + std::to_string(kPagesDuringApply));
    }
    ~DeferredCheckpoints() {
        try {
            db_.exec("PRAGMA wal_autocheckpoint = " + std::to_string(kDefaultPages));
        } catch (const sqlite::Error&) {
            // As above: only a broken connection refuses it.
        }
    }
    DeferredCheckpoints(const DeferredCheckpoints&) = delete;
    DeferredCheckpoints& operator=(const DeferredCheckpoints&) = delete;
    DeferredCheckpoints(DeferredCheckpoints&&) = delete;
    DeferredCheckpoints& operator=(DeferredCheckpoints&&) = delete;

private:
    sqlite::Database& db_;
};

}  // namespace taxsync::store
