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

}  // namespace taxsync::store
