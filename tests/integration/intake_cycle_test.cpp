// What a cycle writes and plans when little or nothing changed: a client exported as before costs
// no write, an unchanged export plans nothing, and new rules (or a store from an older taxsync)
// make every client be looked at once without planning work for those the portal already matches.

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "tests/integration/engine_fixture.hpp"

namespace taxsync::testing {
namespace {

const ConnectorName kLacerte("lacerte");

std::vector<std::string> firm_export(const std::string& changed_last_name = "") {
    return {
        Exports::lacerte_row("00401I", "Ruth", "Okafor", "900-51-0001", "ruth@example.net"),
        Exports::lacerte_row("00402I", "Sam", changed_last_name.empty() ? "Reyes" : changed_last_name, "900-51-0002",
                             "sam@example.org", "Ana", "Reyes", "900-51-0003", "ana@example.org"),
        Exports::lacerte_row("00403I", "Tia", "Moss", "900-51-0004", "tia@example.com"),
    };
}

class IntakeCycleTest : public ::testing::Test {
protected:
    TempDir dir;
    Emulator emulator{dir.path() / "emulator"};
    EngineRig rig{dir.path() / "rig", emulator, engine::SyncPolicy{}};

    // Counts every row the cycle writes to the snapshot and people tables, by a trigger that
    // lives only in this connection.
    void count_writes() {
        rig.store().db().exec(
            "CREATE TEMP TABLE writes(tbl TEXT, client TEXT);"
            "CREATE TEMP TRIGGER clients_insert AFTER INSERT ON main.clients BEGIN "
            "INSERT INTO writes VALUES ('clients', NEW.client_id); END;"
            "CREATE TEMP TRIGGER clients_update AFTER UPDATE OF record, content_hash, absent_count, last_seen_cycle "
            "ON main.clients BEGIN INSERT INTO writes VALUES ('clients', NEW.client_id); END;"
            "CREATE TEMP TRIGGER people_insert AFTER INSERT ON main.people BEGIN "
            "INSERT INTO writes VALUES ('people', NEW.client_id); END;"
            "CREATE TEMP TRIGGER people_update AFTER UPDATE ON main.people BEGIN "
            "INSERT INTO writes VALUES ('people', NEW.client_id); END;"
            "CREATE TEMP TRIGGER people_delete AFTER DELETE ON main.people BEGIN "
            "INSERT INTO writes VALUES ('people', OLD.client_id); END;");
    }
    std::set<std::string> written_clients() {
        std::set<std::string> out;
        auto row = rig.store().db().prepare("SELECT DISTINCT client FROM writes");
        while (row.step()) out.insert(row.column_text(0));
        rig.store().db().exec("DELETE FROM writes");
        return out;
    }
};

TEST_F(IntakeCycleTest, OnlyTheChangedClientIsWrittenAndPlanned) {
    rig.write_export(firm_export());
    const auto first = rig.cycle();
    ASSERT_TRUE(first.failures.empty());
    ASSERT_EQ(first.invitations_sent, 4U);
    count_writes();

    rig.write_export(firm_export());  // a new file with the same clients: read again, nothing written
    const auto same = rig.cycle();
    EXPECT_TRUE(same.plan.empty());
    EXPECT_EQ(same.operations_planned, 0U);
    EXPECT_EQ(written_clients(), std::set<std::string>{});

    rig.write_export(firm_export("Reyes-Long"));
    const auto changed = rig.cycle();
    ASSERT_EQ(changed.plan.size(), 1U);
    EXPECT_EQ(changed.plan[0].client.value(), "00402I");
    EXPECT_EQ(changed.plan[0].change, engine::ClientChange::Changed);
    EXPECT_TRUE(changed.failures.empty());
    EXPECT_EQ(written_clients(), std::set<std::string>{"00402I"});
    // Applied in full, the client is settled again: the next cycle plans nothing.
    EXPECT_TRUE(rig.store().unsettled(kLacerte).empty());
    rig.write_export(firm_export("Reyes-Long"));
    EXPECT_TRUE(rig.cycle().plan.empty());
    EXPECT_EQ(emulator.invitations().size(), 4U);
}

TEST_F(IntakeCycleTest, AClientBackFromAbsenceIsWrittenAgainAndItsCountStartsOver) {
    rig.write_export(firm_export());
    ASSERT_TRUE(rig.cycle().failures.empty());
    auto without = firm_export();
    without.pop_back();
    rig.write_export(without);
    rig.cycle();
    rig.cycle();  // the source did not change: the absence counts again
    EXPECT_EQ(rig.store().snapshot_row(kLacerte, ClientId("00403I"))->absent_count, 2);
    count_writes();
    rig.write_export(firm_export());
    const auto back = rig.cycle();
    EXPECT_EQ(written_clients(), std::set<std::string>{"00403I"});
    EXPECT_EQ(rig.store().snapshot_row(kLacerte, ClientId("00403I"))->absent_count, 0);
    EXPECT_TRUE(back.plan.empty()) << "the portal still matches it";
}

TEST_F(IntakeCycleTest, AStoreWithoutSettledRulesLooksAtEveryClientOnceAndPlansNothingForMatchedOnes) {
    rig.write_export(firm_export());
    ASSERT_TRUE(rig.cycle().failures.empty());
    const std::size_t requests = emulator.requests().size();
    // As an older taxsync left it: no settled-rules mark, and one client's applied mark from other rules.
    rig.store().db().exec("DELETE FROM meta WHERE key = 'settled_rules'");
    rig.store().db().exec("UPDATE clients SET applied_hash = 'from-older-rules' WHERE client_id = '00401I'");
    rig.write_export(firm_export());
    const auto upgraded = rig.cycle();
    EXPECT_TRUE(upgraded.plan.empty()) << "the portal matches every client";
    EXPECT_EQ(emulator.requests().size(), requests);
    EXPECT_TRUE(rig.store().settled_rules().has_value());
    EXPECT_TRUE(rig.store().unsettled(kLacerte).empty()) << "the stale mark was re-checked and set again";
}

// Clients are written to the store as they are read, each file under a savepoint: what follows
// proves that streaming keeps "a file is taken whole or not at all" and "the newest file wins".

std::string export_text(const std::vector<std::string>& rows, const std::string& cut_last_row = "") {
    std::string text = Exports::lacerte_header() + "\r\n";
    for (const auto& row : rows) text += row + "\r\n";
    return text + cut_last_row;  // a row without its line break and its last fields: a file still being written
}

const std::string kRuth = Exports::lacerte_row("00401I", "Ruth", "Okafor", "900-51-0001", "ruth@example.net");
const std::string kSam = Exports::lacerte_row("00402I", "Sam", "Reyes", "900-51-0002", "sam@example.org");
const std::string kTia = Exports::lacerte_row("00403I", "Tia", "Moss", "900-51-0004", "tia@example.com");
const std::string kUma = Exports::lacerte_row("00404I", "Uma", "Ford", "900-51-0005", "uma@example.com");

std::string last_name_in_store(store::Store& store, const std::string& id) {
    const auto client = store.load_client(kLacerte, ClientId(id));
    return client ? client->people.at(0).last_name : std::string("(not stored)");
}

TEST_F(IntakeCycleTest, AFileTruncatedAtItsEndIsUndoneWholeWhileAnotherFilesClientsGoThrough) {
    rig.write_export_file("office-a.csv", export_text({kRuth, kSam}));
    rig.write_export_file("office-b.csv", export_text({kTia}, "00404I,Uma"));
    const auto first = rig.cycle();
    ASSERT_EQ(first.connectors.size(), 1U);
    EXPECT_EQ(first.connectors[0].added, 2U);
    EXPECT_EQ(first.connectors[0].clients, 2U);
    std::set<std::string> planned;
    for (const auto& client : first.plan) planned.insert(client.client.value());
    EXPECT_EQ(planned, (std::set<std::string>{"00401I", "00402I"}));
    // Tia's row was complete and had been written when the cut was found: it went with the file.
    EXPECT_FALSE(rig.store().snapshot_row(kLacerte, ClientId("00403I")).has_value());
    EXPECT_EQ(last_name_in_store(rig.store(), "00401I"), "Okafor");
    const bool cut_reported = std::any_of(first.problems.begin(), first.problems.end(), [](const auto& problem) {
        return problem.file.find("office-b.csv") != std::string::npos && problem.line == 3 &&
               problem.reason.find("truncated") != std::string::npos;
    });
    EXPECT_TRUE(cut_reported);

    rig.write_export_file("office-b.csv", export_text({kTia, kUma}));
    const auto whole = rig.cycle();
    EXPECT_EQ(whole.connectors[0].added, 2U);
    EXPECT_EQ(whole.connectors[0].clients, 4U);

    // Cut again, with Tia changed before the cut: Tia keeps her stored record, and the clients of the
    // cut file are not counted absent.
    const std::string tia_renamed =
        Exports::lacerte_row("00403I", "Tia", "Moss-Lane", "900-51-0004", "tia@example.com");
    rig.write_export_file("office-b.csv", export_text({tia_renamed}, "00404I,Uma"));
    const auto cut = rig.cycle();
    EXPECT_TRUE(cut.plan.empty());
    EXPECT_EQ(cut.connectors[0].changed, 0U);
    EXPECT_EQ(cut.connectors[0].absent, 0U);
    EXPECT_EQ(last_name_in_store(rig.store(), "00403I"), "Moss");
    EXPECT_EQ(rig.store().snapshot_row(kLacerte, ClientId("00403I"))->absent_count, 0);
    EXPECT_EQ(rig.store().snapshot_row(kLacerte, ClientId("00404I"))->absent_count, 0);
}

TEST_F(IntakeCycleTest, ADuplicateIdInOneFileIsReportedAndTheFirstRowIsTaken) {
    const std::string sam_again = Exports::lacerte_row("00402I", "Samuel", "Reyes", "900-51-0002", "sam@example.org");
    rig.write_export_file("clients.csv", export_text({kRuth, kSam, sam_again}));
    const auto report = rig.cycle();
    EXPECT_EQ(report.connectors[0].clients, 2U);
    EXPECT_EQ(report.plan.size(), 2U);
    const bool reported = std::any_of(report.problems.begin(), report.problems.end(), [](const auto& problem) {
        return problem.line == 4 && problem.severity == connectors::Severity::Error &&
               problem.reason.find("already appears on line 3") != std::string::npos;
    });
    EXPECT_TRUE(reported);
    EXPECT_EQ(rig.store().load_client(kLacerte, ClientId("00402I"))->people.at(0).first_name, "Sam");
}

TEST_F(IntakeCycleTest, AnIdMovingBetweenFilesIsNeitherNewNorAbsentAndTheNewestRowWins) {
    rig.write_export_file("office-a.csv", export_text({kRuth, kSam}));
    rig.write_export_file("office-b.csv", export_text({kTia}));
    ASSERT_TRUE(rig.cycle().failures.empty());
    count_writes();

    // Sam moves to the newer file unchanged: nothing to write, nothing to plan, not absent.
    rig.write_export_file("office-a.csv", export_text({kRuth}));
    rig.write_export_file("office-b.csv", export_text({kTia, kSam}));
    const auto moved = rig.cycle();
    EXPECT_TRUE(moved.plan.empty());
    EXPECT_EQ(moved.connectors[0].absent, 0U);
    EXPECT_EQ(moved.connectors[0].added, 0U);
    EXPECT_EQ(written_clients(), std::set<std::string>{});

    // Both files give Sam: the older one changed, the newer one as stored. The newer wins, so the
    // older row is reported and the store keeps (gets back) the newer one: nothing is planned.
    const std::string sam_renamed =
        Exports::lacerte_row("00402I", "Sam", "Reyes-Old", "900-51-0002", "sam@example.org");
    rig.write_export_file("office-a.csv", export_text({kRuth, sam_renamed}));
    rig.write_export_file("office-b.csv", export_text({kTia, kSam}));
    const auto both = rig.cycle();
    EXPECT_TRUE(both.plan.empty());
    EXPECT_EQ(both.connectors[0].changed, 0U);
    EXPECT_EQ(both.connectors[0].clients, 3U);
    EXPECT_EQ(last_name_in_store(rig.store(), "00402I"), "Reyes");
    const bool older_reported = std::any_of(both.problems.begin(), both.problems.end(), [](const auto& problem) {
        return problem.file.find("office-a.csv") != std::string::npos && problem.line == 3 &&
               problem.reason.find("newer file") != std::string::npos;
    });
    EXPECT_TRUE(older_reported);

    // The other way round: the newer row changed wins over an older row as stored.
    rig.write_export_file("office-a.csv", export_text({kRuth, kSam}));
    rig.write_export_file("office-b.csv", export_text({kTia, sam_renamed}));
    const auto newer_changed = rig.cycle();
    EXPECT_EQ(newer_changed.connectors[0].changed, 1U);
    ASSERT_EQ(newer_changed.plan.size(), 1U);
    EXPECT_EQ(newer_changed.plan[0].client.value(), "00402I");
    EXPECT_EQ(last_name_in_store(rig.store(), "00402I"), "Reyes-Old");
}

}  // namespace
}  // namespace taxsync::testing
