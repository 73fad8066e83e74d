// What a cycle writes and plans when little or nothing changed: a client exported as before costs
// no write, an unchanged export plans nothing, and new rules (or a store from an older taxsync)
// make every client be looked at once without planning work for those the portal already matches.

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace taxsync::testing
