#include "store/sqlite.hpp"

namespace taxsync::sqlite {
namespace {

[[noreturn]] void throw_error(sqlite3* db, int code, std::string_view context) {
    std::string message(context);
    message += ": ";
    message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
    throw Error(code, message);
}

}  // namespace

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
    statement_.reset(raw);
    if (rc != SQLITE_OK) throw_error(db, rc, "cannot prepare SQL");
}

Statement& Statement::bind(int index, std::int64_t value) {
    if (const int rc = sqlite3_bind_int64(statement_.get(), index, value); rc != SQLITE_OK) throw_error(db_, rc, "bind");
    return *this;
}

Statement& Statement::bind(int index, double value) {
    if (const int rc = sqlite3_bind_double(statement_.get(), index, value); rc != SQLITE_OK) throw_error(db_, rc, "bind");
    return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
    const int rc = sqlite3_bind_text64(statement_.get(), index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    if (rc != SQLITE_OK) throw_error(db_, rc, "bind");
    return *this;
}

Statement& Statement::bind(int index, std::nullptr_t) {
    if (const int rc = sqlite3_bind_null(statement_.get(), index); rc != SQLITE_OK) throw_error(db_, rc, "bind");
    return *this;
}

Statement& Statement::bind(int index, const std::optional<std::string>& value) {
    return value ? bind(index, std::string_view(*value)) : bind(index, nullptr);
}

Statement& Statement::bind(int index, const std::optional<std::int64_t>& value) {
    return value ? bind(index, *value) : bind(index, nullptr);
}

bool Statement::step() {
    const int rc = sqlite3_step(statement_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw_error(db_, rc, "SQL step failed");
}

void Statement::reset() {
    sqlite3_reset(statement_.get());
    sqlite3_clear_bindings(statement_.get());
}

std::int64_t Statement::column_int(int index) const { return sqlite3_column_int64(statement_.get(), index); }
double Statement::column_double(int index) const { return sqlite3_column_double(statement_.get(), index); }

std::string Statement::column_text(int index) const {
    const auto* text = sqlite3_column_text(statement_.get(), index);
    if (text == nullptr) return {};
    return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(sqlite3_column_bytes(statement_.get(), index))};
}

std::string_view Statement::column_view(int index) const {
    const auto* text = sqlite3_column_text(statement_.get(), index);
    if (text == nullptr) return {};
    return {reinterpret_cast<const char*>(text),
            static_cast<std::size_t>(sqlite3_column_bytes(statement_.get(), index))};
}

std::optional<std::string> Statement::column_optional_text(int index) const {
    if (column_is_null(index)) return std::nullopt;
    return column_text(index);
}

std::optional<std::int64_t> Statement::column_optional_int(int index) const {
    if (column_is_null(index)) return std::nullopt;
    return column_int(index);
}

bool Statement::column_is_null(int index) const {
    return sqlite3_column_type(statement_.get(), index) == SQLITE_NULL;
}

void ReturnToCache::operator()(Statement* statement) const {
    statement->reset();
    statement->borrowed_ = false;
}

CachedStatement Database::cached(std::string_view sql) {
    auto found = cache_->find(sql);
    if (found == cache_->end()) found = cache_->emplace(std::string(sql), Statement(handle(), sql)).first;
    Statement& statement = found->second;
    if (statement.borrowed_) throw Error(SQLITE_MISUSE, "cached statement used twice at once: " + std::string(sql));
    statement.borrowed_ = true;
    return CachedStatement(&statement);
}

Expected<Database> Database::open(const std::filesystem::path& path, OpenMode mode, int busy_timeout_ms) {
    sqlite3* raw = nullptr;
    const int flags = (mode == OpenMode::ReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                      SQLITE_OPEN_NOMUTEX;
    // SQLite takes UTF-8 file names on every system (Windows paths are UTF-16 natively).
    const std::u8string name = path.u8string();
    const int rc = sqlite3_open_v2(reinterpret_cast<const char*>(name.c_str()), &raw, flags, nullptr);
    std::unique_ptr<sqlite3, Close> db(raw);
    if (rc != SQLITE_OK) {
        const std::string reason = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
        return fail(ErrorKind::Io, "cannot open database " + path.string() + ": " + reason);
    }
    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, busy_timeout_ms);
    return Database(std::move(db), path);
}

Database Database::open_in_memory() {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(":memory:", &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    std::unique_ptr<sqlite3, Close> db(raw);
    if (rc != SQLITE_OK) throw_error(raw, rc, "cannot open an in-memory database");
    return {std::move(db), ":memory:"};
}

void Database::exec(std::string_view sql) {
    const std::string text(sql);
    char* message = nullptr;
    const int rc = sqlite3_exec(handle(), text.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        const std::string reason = message != nullptr ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        throw Error(rc, "SQL failed: " + reason);
    }
}

std::optional<std::int64_t> Database::query_int(std::string_view sql) {
    Statement statement = prepare(sql);
    if (!statement.step()) return std::nullopt;
    return statement.column_optional_int(0);
}

std::optional<std::string> Database::query_text(std::string_view sql) {
    Statement statement = prepare(sql);
    if (!statement.step()) return std::nullopt;
    return statement.column_optional_text(0);
}

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(handle()); }
int Database::changes() const { return sqlite3_changes(handle()); }

// Transactions and savepoints are begun and ended once per step of every operation: their
// statements come from the cache rather than being parsed each time.
Savepoint::Savepoint(Database& db, std::string name) : db_(db), name_(std::move(name)) {
    db_.cached("SAVEPOINT " + name_)->run();
}

Savepoint::~Savepoint() {
    if (!open_) return;
    try {
        roll_back();
    } catch (const Error&) {  // NOLINT(bugprone-empty-catch): the enclosing transaction still rolls back
    }
}

void Savepoint::release() {
    db_.cached("RELEASE " + name_)->run();
    open_ = false;
}

void Savepoint::roll_back() {
    open_ = false;
    // ROLLBACK TO keeps the savepoint on the stack; RELEASE then removes it.
    db_.cached("ROLLBACK TO " + name_)->run();
    db_.cached("RELEASE " + name_)->run();
}

Transaction::Transaction(Database& db) : db_(db) {
    if (sqlite3_get_autocommit(db.handle()) == 0) {
        nested_.emplace(db, "nested");
    } else {
        db_.cached("BEGIN IMMEDIATE")->run();
    }
}

Transaction::~Transaction() {
    if (!open_ || nested_) return;  // a nested one's savepoint rolls itself back
    try {
        db_.cached("ROLLBACK")->run();
    } catch (const Error&) {  // NOLINT(bugprone-empty-catch): nothing more to do in a destructor
    }
}

void Transaction::commit() {
    if (nested_) {
        nested_->release();
    } else {
        db_.cached("COMMIT")->run();
    }
    open_ = false;
}

}  // namespace taxsync::sqlite
