#pragma once
// RAII over the SQLite C API. Failures of a statement are not routine (disk full, corruption, a
// bug in our SQL), so they throw sqlite::Error; callers catch at the cycle boundary. Opening a
// file is routine (missing directory, permissions) and returns Expected.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace taxsync::sqlite {

class Error : public std::runtime_error {
public:
    Error(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
    [[nodiscard]] int code() const { return code_; }

private:
    int code_;
};

class Statement {
public:
    Statement(sqlite3* db, std::string_view sql);

    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
    Statement& bind(int index, double value);
    Statement& bind(int index, std::string_view value);
    Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
    Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
    Statement& bind(int index, std::nullptr_t);
    Statement& bind(int index, const std::optional<std::string>& value);
    Statement& bind(int index, const std::optional<std::int64_t>& value);

    /// Binds each argument to ?1, ?2, ... in order.
    template <class... Args>
    Statement& bind_all(const Args&... args) {
        int index = 0;
        (bind(++index, args), ...);
        return *this;
    }

    /// Advances; true while a row is available.
    bool step();
    /// Runs a statement that returns no rows.
    void run() {
        while (step()) {
        }
    }
    void reset();
    /// True while borrowed from a Database's cache.
    [[nodiscard]] bool borrowed() const { return borrowed_; }

    [[nodiscard]] std::int64_t column_int(int index) const;
    [[nodiscard]] double column_double(int index) const;
    [[nodiscard]] std::string column_text(int index) const;
    /// The text without a copy; valid until the statement steps, resets or is finalized.
    [[nodiscard]] std::string_view column_view(int index) const;
    [[nodiscard]] std::optional<std::string> column_optional_text(int index) const;
    [[nodiscard]] std::optional<std::int64_t> column_optional_int(int index) const;
    [[nodiscard]] bool column_is_null(int index) const;

private:
    struct Finalize {
        void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
    };
    friend class Database;
    friend struct ReturnToCache;
    sqlite3* db_;
    std::unique_ptr<sqlite3_stmt, Finalize> statement_;
    bool borrowed_ = false;
};

enum class OpenMode { ReadWrite, ReadOnly };

/// Puts a cached statement back: reset, so it holds no read snapshot open, and free for the next use.
struct ReturnToCache {
    void operator()(Statement* statement) const;
};
/// A statement borrowed from Database::cached(); returned to the cache when it goes out of scope.
using CachedStatement = std::unique_ptr<Statement, ReturnToCache>;

class Database {
public:
    /// Opens (and in ReadWrite mode creates) the file. Sets a busy timeout of `busy_timeout_ms`.
    static Expected<Database> open(const std::filesystem::path& path, OpenMode mode, int busy_timeout_ms = 5000);
    static Database open_in_memory();

    /// Runs one or more statements separated by semicolons.
    void exec(std::string_view sql);
    [[nodiscard]] Statement prepare(std::string_view sql) { return {handle(), sql}; }
    /// The statement for `sql`, prepared on first use and kept for the life of the connection, so
    /// calls made once per client do not parse their SQL again each time. The same SQL cannot be
    /// borrowed twice at once (a nested use is a bug: it throws).
    [[nodiscard]] CachedStatement cached(std::string_view sql);
    /// How many distinct statements the cache holds (for tests and diagnostics).
    [[nodiscard]] std::size_t cached_statements() const { return cache_->size(); }
    /// Convenience for a single-value query; nullopt when there is no row or the value is NULL.
    std::optional<std::int64_t> query_int(std::string_view sql);
    std::optional<std::string> query_text(std::string_view sql);

    [[nodiscard]] std::int64_t last_insert_rowid() const;
    [[nodiscard]] int changes() const;
    [[nodiscard]] sqlite3* handle() const { return db_.get(); }
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

private:
    struct Close {
        void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
    };
    Database(std::unique_ptr<sqlite3, Close> db, std::filesystem::path path)
        : db_(std::move(db)), path_(std::move(path)) {}

    // Declared after db_: the statements are finalized before the connection closes. Held through
    // a pointer so that moving the Database leaves borrowed statements where they are.
    std::unique_ptr<sqlite3, Close> db_;
    std::filesystem::path path_;
    std::unique_ptr<std::map<std::string, Statement, std::less<>>> cache_ =
        std::make_unique<std::map<std::string, Statement, std::less<>>>();
};

/// SAVEPOINT on construction, inside an open transaction: release() keeps what was done since,
/// destruction without release() undoes it (and the transaction goes on).
class Savepoint {
public:
    Savepoint(Database& db, std::string name);
    ~Savepoint();
    Savepoint(const Savepoint&) = delete;
    Savepoint& operator=(const Savepoint&) = delete;
    Savepoint(Savepoint&&) = delete;
    Savepoint& operator=(Savepoint&&) = delete;

    void release();
    /// Undoes what was done since the savepoint and ends it.
    void roll_back();

private:
    Database& db_;
    std::string name_;
    bool open_ = true;
};

/// BEGIN IMMEDIATE on construction; rolls back on destruction unless commit() was called. Inside a
/// transaction already open on the connection it is a savepoint: commit() keeps its changes in the
/// outer transaction, which decides whether they are committed; a rollback undoes only its own.
class Transaction {
public:
    explicit Transaction(Database& db);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    Transaction(Transaction&&) = delete;
    Transaction& operator=(Transaction&&) = delete;

    void commit();

private:
    Database& db_;
    std::optional<Savepoint> nested_;  // set when a transaction was already open
    bool open_ = true;
};

}  // namespace taxsync::sqlite
