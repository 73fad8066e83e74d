#include "connectors/file_intake.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/connectors/connector_fixture.hpp"
#include "tests/support/manual_clock.hpp"
#include "tests/support/temp_dir.hpp"

namespace taxsync::connectors {
namespace {

using namespace std::chrono_literals;
using taxsync::testing::ManualClock;
using taxsync::testing::TempDir;
using testing::set_modified;

std::vector<std::string> names_of(const std::vector<ExportFile>& files) {
    std::vector<std::string> names;
    names.reserve(files.size());
    for (const auto& file : files) names.push_back(file.path.filename().string());
    return names;
}

class FileIntake : public ::testing::Test {
protected:
    std::filesystem::path write(const std::string& name, std::string_view content, std::chrono::seconds age) {
        auto path = dir_.write(name, content);
        set_modified(path, clock_.now() - age);
        return path;
    }
    SourceState scan(const IntakeRules& rules) {
        auto state = scan_folder(dir_.path(), rules, clock_);
        EXPECT_TRUE(state.has_value()) << (state.has_error() ? state.error().message : "");
        return state.has_value() ? std::move(state).value() : SourceState{};
    }

    TempDir dir_;
    ManualClock clock_;
    IntakeRules csv_{{"*.csv"}, 2s};
};

TEST(Glob, MatchesCaseInsensitivelyWithStarAndQuestionMark) {
    EXPECT_TRUE(glob_matches("*.csv", "clients.CSV"));
    EXPECT_TRUE(glob_matches("clients-????.csv", "Clients-2025.csv"));
    EXPECT_FALSE(glob_matches("clients-????.csv", "clients-25.csv"));
    EXPECT_TRUE(glob_matches("*export*.txt", "lacerte-export-01.txt"));
    EXPECT_FALSE(glob_matches("*.csv", "clients.csv.bak"));
    EXPECT_TRUE(glob_matches("*", ""));
    EXPECT_FALSE(glob_matches("a*b*c", "aXbY"));
}

TEST(Glob, IgnoresTempLockHiddenAndOwnerFiles) {
    for (const char* name : {".clients.csv", "~$clients.csv", "clients.csv.tmp", "CLIENTS.LCK", "x.cache", ""}) {
        EXPECT_TRUE(is_ignored_file_name(name)) << name;
    }
    EXPECT_FALSE(is_ignored_file_name("clients.csv"));
}

TEST_F(FileIntake, ListsOnlyMatchingRegularFilesThatAreNotTempOrLockFiles) {
    write("clients.csv", "a\n", 1h);
    write("other.CSV", "a\n", 1h);
    write("notes.txt", "a\n", 1h);
    write(".hidden.csv", "a\n", 1h);
    write("~$clients.csv", "a\n", 1h);
    write("save.csv.tmp", "a\n", 1h);
    write("clients.csv.lck", "a\n", 1h);
    write("homebase.cache", "a\n", 1h);
    std::filesystem::create_directory(dir_.path() / "folder.csv");
    write("sub/nested.csv", "a\n", 1h);

    const auto state = scan(IntakeRules{{"*.csv", "*.lck", "*.cache", "*.tmp"}, 2s});
    auto names = names_of(state.ready);
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"clients.csv", "other.CSV"}));
    EXPECT_TRUE(state.waiting.empty());
}

TEST_F(FileIntake, RecentFilesWaitUntilTheSettleTimeHasPassed) {
    write("old.csv", "a\n", 1h);
    write("fresh.csv", "a\n", 1s);
    auto state = scan(csv_);
    EXPECT_EQ(names_of(state.ready), std::vector<std::string>{"old.csv"});
    EXPECT_EQ(names_of(state.waiting), std::vector<std::string>{"fresh.csv"});

    clock_.advance(1s);  // now exactly `settle` old: settled
    state = scan(csv_);
    EXPECT_EQ(state.ready.size(), 2U);
    EXPECT_TRUE(state.waiting.empty());
}

TEST_F(FileIntake, FilesDatedInTheFutureWait) {
    const auto path = dir_.write("ahead.csv", "a\n");
    set_modified(path, clock_.now() + 10min);
    const auto state = scan(csv_);
    EXPECT_TRUE(state.ready.empty());
    EXPECT_EQ(state.waiting.size(), 1U);
}

TEST_F(FileIntake, ReadyFilesAreSortedOldestFirstWithSizeAndTime) {
    write("b.csv", "newest\n", 10min);
    write("c.csv", "oldest\n", 3h);
    write("a.csv", "middle!\n", 1h);
    const auto state = scan(csv_);
    EXPECT_EQ(names_of(state.ready), (std::vector<std::string>{"c.csv", "a.csv", "b.csv"}));
    EXPECT_EQ(state.ready[1].size, 8U);
    EXPECT_EQ(state.ready[0].modified, clock_.now() - 3h);
}

TEST_F(FileIntake, FingerprintMovesWhenAReadyFileChangesAndOnlyThen) {
    const auto path = write("clients.csv", "id\n1\n", 1h);
    const std::string first = scan(csv_).fingerprint;
    EXPECT_EQ(first.size(), 64U);
    EXPECT_EQ(scan(csv_).fingerprint, first);

    write("new.csv", "id\n", 1s);  // still waiting: not part of the fingerprint yet
    EXPECT_EQ(scan(csv_).fingerprint, first);

    clock_.advance(5s);  // new.csv is ready now
    const std::string with_new = scan(csv_).fingerprint;
    EXPECT_NE(with_new, first);

    set_modified(path, clock_.now() - 30min);  // same bytes, new mtime
    const std::string touched = scan(csv_).fingerprint;
    EXPECT_NE(touched, with_new);

    dir_.write("clients.csv", "id\n1\n2\n");  // new size
    set_modified(path, clock_.now() - 30min);
    EXPECT_NE(scan(csv_).fingerprint, touched);
}

TEST_F(FileIntake, MissingFolderIsAnErrorNamingIt) {
    const auto missing = dir_.path() / "no-such-folder";
    const auto state = scan_folder(missing, csv_, clock_);
    ASSERT_TRUE(state.has_error());
    EXPECT_EQ(state.error().kind, ErrorKind::NotFound);
    EXPECT_NE(state.error().message.find(missing.string()), std::string::npos);

    const auto file = write("plain.csv", "x\n", 1h);
    const auto not_folder = scan_folder(file, csv_, clock_);
    ASSERT_TRUE(not_folder.has_error());
    EXPECT_EQ(not_folder.error().kind, ErrorKind::InvalidInput);
}

TEST_F(FileIntake, ReadingRefusesAFileThatChangedSinceTheScan) {
    const auto path = write("clients.csv", "id\n1\n", 1h);
    const auto state = scan(csv_);
    ASSERT_EQ(state.ready.size(), 1U);
    const auto bytes = read_scanned_file(state.ready[0]);
    ASSERT_TRUE(bytes.has_value());
    EXPECT_EQ(*bytes, "id\n1\n");

    dir_.write("clients.csv", "id\n1\n2\n");
    set_modified(path, clock_.now() - 1h);
    const auto changed = read_scanned_file(state.ready[0]);
    ASSERT_TRUE(changed.has_error());
    EXPECT_NE(changed.error().reason.find("changed"), std::string::npos);
}

}  // namespace
}  // namespace taxsync::connectors
