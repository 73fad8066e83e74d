#include "store/sqlite.hpp"

#include <gtest/gtest.h>

#include "store/durability.hpp"
#include "tests/support/temp_dir.hpp"

namespace taxsync::sqlite {
namespace {

TEST(Sqlite, TransactionRollsBackUnlessCommitted) {
    Database db = Database::open_in_memory();
    db.exec("CREATE TABLE t(x INTEGER)");
    {
        Transaction transaction(db);
        db.exec("INSERT INTO t VALUES (1)");
    }
    EXPECT_EQ(db.query_int("SELECT count(*) FROM t"), 0);
    {
        Transaction transaction(db);
        db.exec("INSERT INTO t VALUES (1)");
        transaction.commit();
    }
    EXPECT_EQ(db.query_int("SELECT count(*) FROM t"), 1);
}

// Inside an open transaction a Transaction is a savepoint: its rollback undoes only its own
// changes, its commit leaves them to the outer transaction, which can still undo them.
TEST(Sqlite, TransactionInsideAnOpenOneIsASavepoint) {
    Database db = Database::open_in_memory();
    db.exec("CREATE TABLE t(x INTEGER)");
    db.exec("BEGIN IMMEDIATE");
    db.exec("INSERT INTO t VALUES (1)");
    {
        Transaction inner(db);
        db.exec("INSERT INTO t VALUES (2)");
    }
    EXPECT_EQ(db.query_int("SELECT count(*) FROM t"), 1);
    {
        Transaction inner(db);
        db.exec("INSERT INTO t VALUES (3)");
        inner.commit();
    }
    EXPECT_EQ(db.query_int("SELECT count(*) FROM t"), 2);
    db.exec("ROLLBACK");
    EXPECT_EQ(db.query_int("SELECT count(*) FROM t"), 0);
}

TEST(Sqlite, BindsAndReadsEveryType) {
    Database db = Database::open_in_memory();
    db.exec("CREATE TABLE t(i INTEGER, d REAL, s TEXT, n TEXT)");
    db.prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4)").bind_all(std::int64_t{42}, 1.5, "a'b", nullptr).run();
    auto row = db.prepare("SELECT i, d, s, n FROM t");
    ASSERT_TRUE(row.step());
    EXPECT_EQ(row.column_int(0), 42);
    EXPECT_DOUBLE_EQ(row.column_double(1), 1.5);
    EXPECT_EQ(row.column_text(2), "a'b");
    EXPECT_FALSE(row.column_optional_text(3).has_value());
    EXPECT_FALSE(row.step());
}

TEST(Sqlite, BadSqlThrowsWithTheReason) {
    Database db = Database::open_in_memory();
    try {
        db.exec("SELEC 1");
        FAIL() << "expected an error";
    } catch (const Error& error) {
        EXPECT_NE(std::string(error.what()).find("syntax error"), std::string::npos);
    }
}

TEST(Sqlite, OpeningAFileInAMissingFolderIsARoutineError) {
    testing::TempDir dir;
    auto db = Database::open(dir.path() / "no" / "such" / "dir" / "x.db", OpenMode::ReadWrite);
    ASSERT_TRUE(db.has_error());
    EXPECT_EQ(db.error().kind, ErrorKind::Io);
    EXPECT_NE(db.error().message.find("x.db"), std::string::npos);
}

TEST(Sqlite, CachedStatementIsPreparedOnceAndResetForTheNextUse) {
    Database db = Database::open_in_memory();
    db.exec("CREATE TABLE t(x INTEGER)");
    for (int i = 0; i < 3; ++i) db.cached("INSERT INTO t VALUES (?1)")->bind_all(i).run();
    EXPECT_EQ(db.cached_statements(), 1U);
    {
        // Left after its first row: going out of scope resets it, so no read stays open.
        auto row = db.cached("SELECT x FROM t ORDER BY x");
        ASSERT_TRUE(row->step());
        EXPECT_EQ(row->column_int(0), 0);
    }
    auto again = db.cached("SELECT x FROM t ORDER BY x");
    ASSERT_TRUE(again->step());
    EXPECT_EQ(again->column_int(0), 0);
    EXPECT_EQ(db.cached_statements(), 2U);
}

TEST(Sqlite, CachedStatementForgetsTheBindingsOfItsLastUse) {
    Database db = Database::open_in_memory();
    db.exec("CREATE TABLE t(x INTEGER, y TEXT)");
    db.cached("INSERT INTO t VALUES (?1, ?2)")->bind_all(1, "one").run();
    db.cached("INSERT INTO t VALUES (?1, ?2)")->bind(1, 2).run();  // ?2 not bound this time: NULL
    EXPECT_EQ(db.query_int("SELECT count(*) FROM t WHERE y IS NULL"), 1);
}

TEST(Sqlite, CachedStatementBorrowedTwiceAtOnceIsRefused) {
    Database db = Database::open_in_memory();
    db.exec("CREATE TABLE t(x INTEGER)");
    auto outer = db.cached("SELECT x FROM t");
    EXPECT_THROW((void)db.cached("SELECT x FROM t"), Error);
    outer.reset();
    EXPECT_NO_THROW((void)db.cached("SELECT x FROM t"));
}

TEST(Sqlite, CachedStatementsSurviveMovingTheDatabaseAndASchemaChange) {
    Database first = Database::open_in_memory();
    first.exec("CREATE TABLE t(x INTEGER)");
    first.cached("INSERT INTO t(x) VALUES (?1)")->bind_all(7).run();
    Database db = std::move(first);
    db.exec("ALTER TABLE t ADD COLUMN y TEXT");
    db.cached("INSERT INTO t(x) VALUES (?1)")->bind_all(8).run();  // the same statement, re-prepared by SQLite
    EXPECT_EQ(db.query_int("SELECT sum(x) FROM t"), 15);
}

TEST(Sqlite, CachedStatementSeesWritesOfOtherConnections) {
    testing::TempDir dir;
    auto writer = Database::open(dir.path() / "x.db", OpenMode::ReadWrite).value();
    writer.exec("PRAGMA journal_mode=WAL; CREATE TABLE t(x INTEGER)");
    auto reader = Database::open(dir.path() / "x.db", OpenMode::ReadOnly).value();
    const auto count = [&] {
        auto row = reader.cached("SELECT count(*) FROM t");
        row->step();
        return row->column_int(0);
    };
    EXPECT_EQ(count(), 0);
    writer.exec("INSERT INTO t VALUES (1)");
    EXPECT_EQ(count(), 1);  // the earlier use left no read transaction behind
}

// The apply's pragmas hold for its scope only, and each comes back to what it was before.
TEST(Sqlite, ScopedPragmasGiveBackTheEarlierValue) {
    Database db = Database::open_in_memory();
    db.exec("PRAGMA synchronous = FULL");
    db.exec("PRAGMA wal_autocheckpoint = 500");
    {
        const store::RelaxedDurability relaxed(db);
        const store::DeferredCheckpoints deferred(db);
        EXPECT_EQ(db.query_int("PRAGMA synchronous"), store::RelaxedDurability::kNormal);
        EXPECT_EQ(db.query_int("PRAGMA wal_autocheckpoint"), store::DeferredCheckpoints::kPagesDuringApply);
    }
    EXPECT_EQ(db.query_int("PRAGMA synchronous"), 2);  // FULL
    EXPECT_EQ(db.query_int("PRAGMA wal_autocheckpoint"), 500);
}

}  // namespace
}  // namespace taxsync::sqlite
