#include "store/sqlite.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace taxsync::sqlite
