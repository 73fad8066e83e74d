#include "store/store.hpp"

#include <gtest/gtest.h>

#include "store/schema.hpp"
#include "tests/support/manual_clock.hpp"
#include "tests/support/temp_dir.hpp"

namespace taxsync::store {
namespace {

class StoreTest : public ::testing::Test {
protected:
    Store open() {
        auto store = Store::open(dir.path() / "taxsync.db", clock);
        if (store.has_error()) throw std::runtime_error(store.error().message);
        return std::move(store).value();
    }

    static TaxClient client(const std::string& id, const std::string& email) {
        TaxClient c;
        c.connector = ConnectorName("lacerte");
        c.id = ClientId(id);
        Person p;
        p.first_name = "Ann";
        p.last_name = "Lee";
        p.email = email;
        p.email_status = email.empty() ? EmailStatus::Missing : EmailStatus::Usable;
        c.people.push_back(p);
        return c;
    }

    testing::TempDir dir;
    testing::ManualClock clock;
};

TEST_F(StoreTest, OpensWithWalFullSyncAndCurrentSchema) {
    Store store = open();
    EXPECT_EQ(store.db().query_text("PRAGMA journal_mode"), "wal");
    EXPECT_EQ(store.db().query_int("PRAGMA synchronous"), 2);  // FULL
    EXPECT_EQ(schema_version(store.db()), kSchemaVersion);
    EXPECT_EQ(store.install_id().size(), 16U);
}

TEST_F(StoreTest, InstallIdSurvivesReopening) {
    const std::string first = open().install_id();
    EXPECT_EQ(open().install_id(), first);
}

TEST_F(StoreTest, RefusesADatabaseFromANewerTaxsyncAndLeavesItUntouched) {
    {
        auto db = sqlite::Database::open(dir.path() / "taxsync.db", sqlite::OpenMode::ReadWrite).value();
        db.exec("CREATE TABLE future(x); PRAGMA user_version = 99");
    }
    const auto store = Store::open(dir.path() / "taxsync.db", clock);
    ASSERT_TRUE(store.has_error());
    EXPECT_NE(store.error().message.find("schema version 99"), std::string::npos);
    EXPECT_NE(store.error().message.find("newer taxsync"), std::string::npos);
    auto db = sqlite::Database::open(dir.path() / "taxsync.db", sqlite::OpenMode::ReadOnly).value();
    EXPECT_EQ(db.query_int("PRAGMA user_version"), 99);
    EXPECT_EQ(db.query_text("PRAGMA journal_mode"), "delete");  // not even switched to WAL
}

TEST_F(StoreTest, ReaderSeesCommittedStateWhileAWriterHoldsItsConnection) {
    Store writer = open();
    const CycleId cycle = writer.begin_cycle("apply", "run");
    auto reader = Store::open_reader(dir.path() / "taxsync.db", clock);
    ASSERT_TRUE(reader.has_value()) << reader.error().message;
    // The reader does not mark the writer's running cycle as interrupted.
    ASSERT_TRUE(reader->last_cycle().has_value());
    EXPECT_EQ(reader->last_cycle()->outcome, CycleOutcome::Running);
    {
        sqlite::Transaction transaction(writer.db());
        writer.finish_cycle(cycle, CycleOutcome::Ok, "{}");
        EXPECT_EQ(reader->last_cycle()->outcome, CycleOutcome::Running);  // not committed yet
        transaction.commit();
    }
    EXPECT_EQ(reader->last_cycle()->outcome, CycleOutcome::Ok);
    EXPECT_THROW(reader->begin_cycle("apply", "run"), sqlite::Error);  // read-only
}

TEST_F(StoreTest, CycleLeftRunningByACrashIsMarkedInterrupted) {
    {
        Store store = open();
        store.begin_cycle("apply", "once");
    }
    Store store = open();
    const auto last = store.last_cycle();
    ASSERT_TRUE(last.has_value());
    EXPECT_EQ(last->outcome, CycleOutcome::Interrupted);
}

TEST_F(StoreTest, SnapshotUpsertAndAbsenceCounting) {
    Store store = open();
    const CycleId cycle = store.begin_cycle("apply", "once");
    const auto a = client("0017", "ann@example.com");
    const auto b = client("0018", "");
    store.upsert_client(a, a.content_hash(), cycle);
    store.upsert_client(b, b.content_hash(), cycle);
    store.count_absent(ConnectorName("lacerte"), {ClientId("0018")});  // read twice without it
    store.count_absent(ConnectorName("lacerte"), {ClientId("0018")});
    auto snapshot = store.snapshot(ConnectorName("lacerte"));
    ASSERT_EQ(snapshot.size(), 2U);
    EXPECT_EQ(snapshot.at(ClientId("0017")).absent_count, 0);
    EXPECT_EQ(snapshot.at(ClientId("0018")).absent_count, 2);
    // Seen again: the count starts over.
    store.upsert_client(b, b.content_hash(), cycle);
    EXPECT_EQ(store.snapshot(ConnectorName("lacerte")).at(ClientId("0018")).absent_count, 0);
    const auto loaded = store.load_client(ConnectorName("lacerte"), ClientId("0017"));
    ASSERT_TRUE(loaded.has_value());
    EXPECT_EQ(loaded->content_hash(), a.content_hash());
}

TEST_F(StoreTest, UnsettledHoldsOnlyClientsWithoutACurrentAppliedMarkOrAbsent) {
    Store store = open();
    const ConnectorName lacerte("lacerte");
    const CycleId cycle = store.begin_cycle("apply", "once");
    const auto a = client("0017", "ann@example.com");
    const auto b = client("0018", "bo@example.com");
    const auto c = client("0019", "cy@example.com");
    for (const auto* each : {&a, &b, &c}) store.upsert_client(*each, each->content_hash(), cycle);
    EXPECT_EQ(store.unsettled(lacerte).size(), 3U);
    store.set_applied(lacerte, a.id, "applied-a");
    store.set_applied(lacerte, b.id, "applied-b");
    store.set_applied(lacerte, c.id, "applied-c");
    EXPECT_TRUE(store.unsettled(lacerte).empty());

    // The same record again keeps its mark; a changed record loses it.
    store.upsert_client(a, a.content_hash(), cycle);
    auto changed = b;
    changed.people[0].last_name = "Other";
    store.upsert_client(changed, changed.content_hash(), cycle);
    store.count_absent(lacerte, {c.id});  // a read that gave a and b only
    const auto unsettled = store.unsettled(lacerte);
    ASSERT_EQ(unsettled.size(), 2U);
    EXPECT_FALSE(unsettled.at(b.id).applied_hash.has_value());
    EXPECT_EQ(unsettled.at(c.id).absent_count, 1);
    EXPECT_EQ(store.snapshot_row(lacerte, a.id)->applied_hash, "applied-a");
    EXPECT_EQ(store.known_clients(lacerte), 3);
    store.mark_removed(lacerte, c.id, "preserve");
    EXPECT_EQ(store.known_clients(lacerte), 2);

    EXPECT_FALSE(store.settled_rules().has_value());
    store.set_settled_rules("rules-1");
    store.set_settled_rules("rules-2");
    EXPECT_EQ(store.settled_rules(), "rules-2");
    store.clear_applied(lacerte, a.id);
    EXPECT_EQ(store.unsettled(lacerte).count(a.id), 1U);
    store.set_applied(lacerte, b.id, "applied-b2");
    EXPECT_EQ(store.unsettled(lacerte).count(b.id), 0U);
    store.set_applied(lacerte, b.id, "");  // `review retry` and `verify --repair` ask for it this way
    EXPECT_FALSE(store.unsettled(lacerte).at(b.id).applied_hash.has_value());
}

// What a cycle on an unchanged export runs must not read every client, contact or operation.
TEST_F(StoreTest, QueriesOfAnUnchangedCycleAreServedByPartialIndexes) {
    Store store = open();
    const auto plan_of = [&](const std::string& sql) {
        auto plan = store.db().prepare("EXPLAIN QUERY PLAN " + sql);
        std::string steps;
        while (plan.step()) steps += plan.column_text(3) + "\n";
        return steps;
    };
    EXPECT_NE(
        plan_of("SELECT client_id FROM clients WHERE connector = 'x' AND (applied_hash IS NULL OR absent_count > 0)")
            .find("clients_unsettled"),
        std::string::npos);
    EXPECT_NE(plan_of("UPDATE clients SET absent_count = absent_count + 1 WHERE connector = 'x' AND absent_count > 0")
                  .find("clients_unsettled"),
              std::string::npos);
    EXPECT_NE(plan_of("SELECT count(*) FROM clients WHERE connector = 'x' AND removal IS NULL").find("clients_known"),
              std::string::npos);
    const std::string due = plan_of(
        "SELECT email FROM contacts WHERE state = 'invited' AND contact_id IS NOT NULL AND "
        "coalesce(checked_at, invited_at, 0) <= 5 ORDER BY coalesce(checked_at, invited_at, 0), email LIMIT 200");
    EXPECT_NE(due.find("contacts_to_check"), std::string::npos) << due;
    EXPECT_EQ(due.find("TEMP B-TREE"), std::string::npos) << "sorted by the index, not afterwards: " << due;
    EXPECT_NE(
        plan_of("SELECT DISTINCT cycle_id FROM outbox WHERE state = 'held' AND cycle_id <> 3").find("outbox_held"),
        std::string::npos);
}

TEST_F(StoreTest, OutboxKeepsOrderAndStableKeys) {
    Store store = open();
    const CycleId cycle = store.begin_cycle("apply", "once");
    const auto ids = store.enqueue(cycle, {{ConnectorName("lacerte"), ClientId("1"), "create_entity", "{}"},
                                           {ConnectorName("lacerte"), ClientId("1"), "create_contact", "{}"}});
    ASSERT_EQ(ids.size(), 2U);
    auto open_ops = store.open_operations();
    ASSERT_EQ(open_ops.size(), 2U);
    EXPECT_EQ(open_ops[0].kind, "create_entity");
    EXPECT_NE(open_ops[0].idempotency_key, open_ops[1].idempotency_key);
    EXPECT_EQ(open_ops[0].idempotency_key.rfind("taxsync-" + store.install_id(), 0), 0U);

    const std::string key = open_ops[0].idempotency_key;
    store.mark_in_flight(ids[0]);
    open_ops = store.open_operations();
    EXPECT_EQ(open_ops[0].state, OutboxState::InFlight);
    EXPECT_EQ(open_ops[0].attempts, 1);
    EXPECT_EQ(open_ops[0].idempotency_key, key);  // a retry sends the same key
    store.mark_done(ids[0]);
    store.mark_failed(ids[1], "portal said no");
    EXPECT_TRUE(store.open_operations().empty());
    const auto counts = store.outbox_counts();
    EXPECT_EQ(counts.at("done"), 1);
    EXPECT_EQ(counts.at("failed"), 1);
}

TEST_F(StoreTest, HeldOperationsWaitForOneDecisionAndAreReplacedByANewerPlan) {
    Store store = open();
    const ConnectorName lacerte("lacerte");
    const CycleId first = store.begin_cycle("apply", "once");
    store.enqueue(first, {{lacerte, ClientId("1"), "create_entity", "{}"}, {lacerte, ClientId("2"), "create_entity", "{}"}});
    store.hold_cycle(first, "2 invitations (limit 1)");
    EXPECT_TRUE(store.open_operations().empty());
    ASSERT_TRUE(store.held_cycle().has_value());
    EXPECT_EQ(store.held_cycle()->id, first);
    EXPECT_EQ(store.held_cycle()->operations, 2);
    EXPECT_EQ(store.held_cycle()->reason, "2 invitations (limit 1)");

    const CycleId second = store.begin_cycle("apply", "once");
    store.replace_held(second);
    store.enqueue(second, {{lacerte, ClientId("1"), "create_entity", "{}"}});
    store.hold_cycle(second, "again");
    EXPECT_EQ(store.held_cycle()->id, second);
    const auto stale = store.decide_held(first, true);
    ASSERT_TRUE(stale.has_error());
    EXPECT_NE(stale.error().message.find("decide on cycle " + std::to_string(second.value())), std::string::npos);

    const auto approved = store.decide_held(second, true);
    ASSERT_TRUE(approved.has_value());
    EXPECT_EQ(*approved, 1);
    EXPECT_EQ(store.open_operations().size(), 1U);
    EXPECT_FALSE(store.held_cycle().has_value());
    const auto twice = store.decide_held(second, false);
    ASSERT_TRUE(twice.has_error());
    EXPECT_NE(twice.error().message.find("already approved"), std::string::npos);
    EXPECT_TRUE(store.decide_held(CycleId(99), true).has_error());
}

TEST_F(StoreTest, ReviewsKeepAnIgnoredClientIgnored) {
    Store store = open();
    const ConnectorName lacerte("lacerte");
    store.open_review(lacerte, ClientId("1"), "two entities");
    store.open_review(lacerte, ClientId("1"), "still two entities");
    ASSERT_EQ(store.reviews().size(), 1U);
    EXPECT_EQ(store.review(lacerte, ClientId("1"))->reason, "still two entities");
    store.set_review(lacerte, ClientId("1"), ReviewState::Ignored, "by an administrator");
    store.open_review(lacerte, ClientId("1"), "a cycle found it again");
    EXPECT_EQ(store.review(lacerte, ClientId("1"))->state, ReviewState::Ignored);
    EXPECT_EQ(store.review(lacerte, ClientId("1"))->reason, "by an administrator");
    store.close_review(lacerte, ClientId("1"));
    EXPECT_FALSE(store.review(lacerte, ClientId("1")).has_value());
}

TEST_F(StoreTest, StagedPlansKeepOnlyTheLatestCycles) {
    Store store = open();
    std::vector<CycleId> cycles;
    for (int i = 0; i < 4; ++i) {
        cycles.push_back(store.begin_cycle("plan", "once"));
        store.record_staged(cycles.back(), {{ConnectorName("lacerte"), ClientId(std::to_string(i)), "create_entity",
                                             "create entity " + std::to_string(i)}},
                            2);
    }
    EXPECT_TRUE(store.staged(cycles[0]).empty());
    EXPECT_TRUE(store.staged(cycles[1]).empty());
    ASSERT_EQ(store.staged(cycles[3]).size(), 1U);
    EXPECT_EQ(store.staged(cycles[3])[0].description, "create entity 3");
}

TEST_F(StoreTest, SupersedeClosesOnlyThatClientsOpenOperations) {
    Store store = open();
    const CycleId cycle = store.begin_cycle("apply", "once");
    store.enqueue(cycle, {{ConnectorName("lacerte"), ClientId("1"), "a", "{}"},
                          {ConnectorName("lacerte"), ClientId("2"), "b", "{}"}});
    store.supersede_open(ConnectorName("lacerte"), ClientId("1"), "entity failed");
    const auto open_ops = store.open_operations();
    ASSERT_EQ(open_ops.size(), 1U);
    EXPECT_EQ(open_ops[0].client, ClientId("2"));
}

TEST_F(StoreTest, PersonStatusFollowsEmailAndContactState) {
    Store store = open();
    const CycleId cycle = store.begin_cycle("apply", "once");
    const auto a = client("1", "ann@example.com");
    const auto b = client("2", "");
    store.upsert_client(a, a.content_hash(), cycle);
    store.upsert_client(b, b.content_hash(), cycle);
    store.save_person({ConnectorName("lacerte"), ClientId("1"), PersonRole::Taxpayer, "Ann Lee", "ann@example.com",
                       EmailStatus::Usable, std::nullopt});
    store.save_person({ConnectorName("lacerte"), ClientId("2"), PersonRole::Taxpayer, "Ann Lee", "",
                       EmailStatus::Missing, std::nullopt});
    auto statuses = store.person_statuses();
    ASSERT_EQ(statuses.size(), 2U);
    EXPECT_EQ(statuses[0].state, "not_invited");
    EXPECT_EQ(statuses[1].state, "missing_email");

    ContactRow contact;
    contact.email = "ann@example.com";
    contact.contact = ContactId("c-1");
    contact.state = ContactState::Invited;
    store.save_contact(contact);
    store.save_person({ConnectorName("lacerte"), ClientId("1"), PersonRole::Taxpayer, "Ann Lee", "ann@example.com",
                       EmailStatus::Usable, ContactId("c-1")});
    statuses = store.person_statuses();
    EXPECT_EQ(statuses[0].state, "invited");
    EXPECT_EQ(store.people_linked_to(ContactId("c-1")), 1);

    store.change_contact_email(ContactId("c-1"), "ann.new@example.com");
    EXPECT_TRUE(store.contact_by_email("ann.new@example.com").has_value());
    EXPECT_FALSE(store.contact_by_email("ann@example.com").has_value());
}

TEST_F(StoreTest, GrantsFoldersGroupsAndLinksRoundTrip) {
    Store store = open();
    store.save_entity_link({ConnectorName("lacerte"), ClientId("1"), EntityId("e-1"), "lacerte:1", "Lee, Ann",
                            Origin::Created});
    EXPECT_EQ(store.entity_link_by_key("lacerte:1")->entity, EntityId("e-1"));
    store.save_folder(EntityId("e-1"), "2025/Tax Returns", FolderId("f-1"));
    EXPECT_EQ(store.folder(EntityId("e-1"), "2025/Tax Returns"), FolderId("f-1"));
    EXPECT_EQ(store.folder_paths(EntityId("e-1")).size(), 1U);
    store.save_group("Individuals", GroupId("g-1"));
    EXPECT_EQ(store.group("Individuals"), GroupId("g-1"));
    store.save_grant(ConnectorName("lacerte"), ClientId("1"), {ContactId("c-1"), GrantKind::Folder, "2025/Tax Returns", "read"});
    store.save_grant(ConnectorName("lacerte"), ClientId("1"), {ContactId("c-1"), GrantKind::Folder, "2025/Tax Returns", "upload"});
    const auto grants = store.grants(ConnectorName("lacerte"), ClientId("1"));
    ASSERT_EQ(grants.size(), 1U);
    EXPECT_EQ(grants.begin()->access, "upload");
}

TEST_F(StoreTest, AuditTrailIsNewestFirst) {
    Store store = open();
    store.audit({std::nullopt, std::nullopt, ConnectorName("lacerte"), ClientId("1"), "create_entity", "lacerte:1", "ok", ""});
    clock.advance(std::chrono::seconds(5));
    store.audit({std::nullopt, std::nullopt, ConnectorName("lacerte"), ClientId("1"), "create_contact", "a@b.co", "failed",
                 "400"});
    const auto trail = store.audit_trail(10);
    ASSERT_EQ(trail.size(), 2U);
    EXPECT_EQ(trail[0].entry.action, "create_contact");
    EXPECT_EQ(trail[0].entry.outcome, "failed");
    EXPECT_GT(trail[0].at, trail[1].at);
}

TEST_F(StoreTest, ReadRecordsReplaceProblemsOfThatConnectorOnly) {
    Store store = open();
    const CycleId cycle = store.begin_cycle("apply", "once");
    store.record_read(ConnectorName("a"), "fp1", cycle, {}, {{"a", "x.csv", 3, "error", "bad"}});
    store.record_read(ConnectorName("b"), "fp2", cycle, {}, {{"b", "y.csv", 4, "warning", "odd"}});
    store.record_read(ConnectorName("a"), "fp3", cycle, {}, {});
    const auto problems = store.problems();
    ASSERT_EQ(problems.size(), 1U);
    EXPECT_EQ(problems[0].connector, "b");
    EXPECT_EQ(store.source_fingerprint(ConnectorName("a")), "fp3");
}

}  // namespace
}  // namespace taxsync::store
