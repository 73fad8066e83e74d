#pragma once
// Per-operation durability for the executor. The state database runs with synchronous=FULL, and
// an operation's in-flight mark must be on disk before the portal hears of the operation. What the
// operation records afterwards (the object's id, the contact's state, done and the audit line)
// may ride on the next fsync instead of paying one each: in WAL mode the next FULL commit (the
// next operations' in-flight marks, or the cycle's end) syncs the whole log, these frames included.
// A process crash loses none of it (the frames are in the OS's cache); a power cut before that
// next commit leaves the operation in flight, and resuming it looks the object up before acting,
// as after any crash, so nothing is done twice.

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
