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

#include <cstdint>
#include <string>
#include <utility>

#include "store/sqlite.hpp"

namespace taxsync::store {

/// Sets an integer pragma of the connection for a scope, and gives it back the value it had.
class ScopedPragma {
public:
    ScopedPragma(sqlite::Database& db, std::string name, std::int64_t value)
        : db_(db), name_(std::move(name)), before_(db_.query_int("PRAGMA " + name_).value_or(value)) {
        set(value);
    }
    ~ScopedPragma() {
        try {
            set(before_);
        } catch (const sqlite::Error&) {
            // Only a broken connection refuses a pragma, and its next statement fails loudly.
        }
    }
    ScopedPragma(const ScopedPragma&) = delete;
    ScopedPragma& operator=(const ScopedPragma&) = delete;
    ScopedPragma(ScopedPragma&&) = delete;
    ScopedPragma& operator=(ScopedPragma&&) = delete;

private:
    void set(std::int64_t value) { db_.exec("PRAGMA " + name_ + " = " + std::to_string(value)); }

    sqlite::Database& db_;
    std::string name_;
    std::int64_t before_;
};

/// The relaxed level described above (synchronous = NORMAL) for the apply; FULL again after it.
class RelaxedDurability {
public:
    static constexpr std::int64_t kNormal = 1;  // PRAGMA synchronous = NORMAL

    explicit RelaxedDurability(sqlite::Database& db) : synchronous_(db, "synchronous", kNormal) {}

private:
    ScopedPragma synchronous_;
};

/// While the executor applies a cycle, the WAL is copied back into the database file once it holds
/// 10,000 pages (about 40 MB) rather than SQLite's default 1,000. Each copy runs inside a commit,
/// while the workers wait for the store, and pages changed again since the last copy are copied
/// again; fewer, larger copies write each busy page once. The earlier setting comes back at the
/// end, and the next commit copies what is left.
class DeferredCheckpoints {
public:
    static constexpr std::int64_t kPagesDuringApply = 10000;

    explicit DeferredCheckpoints(sqlite::Database& db) : autocheckpoint_(db, "wal_autocheckpoint", kPagesDuringApply) {}

private:
    ScopedPragma autocheckpoint_;
};

}  // namespace taxsync::store
