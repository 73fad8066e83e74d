// Policies that unfold over days, run in-process with a test clock against the real emulator:
// reminders with their cap, activation read back from the portal, expiry of old invitations.

#include <gtest/gtest.h>

#include "tests/integration/engine_fixture.hpp"

namespace taxsync::testing {
namespace {

using nlohmann::json;
using std::chrono::hours;

class EnginePolicyTest : public ::testing::Test {
protected:
    TempDir dir;
    Emulator emulator{dir.path() / "emulator"};

    std::string user_id(const std::string& email) {
        const json state = emulator.state();
        for (const auto& user : state["users"]) {
            if (user["Email"] == email) return user["CWGuid"];
        }
        return {};
    }
};

/// A reminder 72 hours after an unanswered invitation, two at most; activation not read back.
engine::SyncPolicy reminders_every_three_days() {
    engine::SyncPolicy policy;
    policy.invitations.reinvite_after = hours(72);
    policy.invitations.max_reinvites = 2;
    policy.invitations.recheck_after = hours(0);
    return policy;
}

const std::vector<std::string> kTwoClients = {
    Exports::lacerte_row("00301I", "Ruth", "Okafor", "900-51-0001", "ruth@example.net"),
    Exports::lacerte_row("00302I", "Sam", "Reyes", "900-51-0002", "sam@example.org"),
};

TEST_F(EnginePolicyTest, RemindersFollowThePolicyStopAtTheCapAndNeverReachSomeoneWhoAccepted) {
    EngineRig rig(dir.path() / "rig", emulator, reminders_every_three_days());
    rig.write_export(kTwoClients);
    ASSERT_EQ(rig.cycle().invitations_sent, 2U);

    rig.clock().advance(hours(24));
    EXPECT_EQ(rig.cycle().invitations_sent, 0U) << "too early for a reminder";

    rig.clock().advance(hours(49));
    const auto first = rig.cycle();
    EXPECT_EQ(first.invitations_sent, 2U);
    EXPECT_TRUE(std::any_of(first.plan.begin(), first.plan.end(),
                            [](const engine::PlannedClient& c) { return c.change == engine::ClientChange::Reminder; }));
    EXPECT_EQ(emulator.invitations(), (std::map<std::string, int>{{"ruth@example.net", 2}, {"sam@example.org", 2}}));

    // Sam accepts; the next reminder round reaches only Ruth, whatever the store believed before.
    emulator.post("/_emulator/users/" + user_id("sam@example.org") + "/activate", json::object());
    rig.clock().advance(hours(73));
    const auto second = rig.cycle();
    EXPECT_TRUE(second.failures.empty());
    EXPECT_EQ(emulator.invitations(), (std::map<std::string, int>{{"ruth@example.net", 3}, {"sam@example.org", 2}}));
    EXPECT_EQ(rig.store().contact_by_email("sam@example.org")->state, store::ContactState::Activated);

    // The cap: one invitation and two reminders, then no more.
    for (int round = 0; round < 3; ++round) {
        rig.clock().advance(hours(73));
        EXPECT_EQ(rig.cycle().invitations_sent, 0U) << "round " << round;
    }
    EXPECT_EQ(emulator.invitations()["ruth@example.net"], 3);
    EXPECT_EQ(rig.store().contact_by_email("ruth@example.net")->invitations, 3);

    // Old and not accepted: shown as expired, with the way out.
    rig.clock().advance(hours(24 * 31));
    const auto statuses = rig.store().person_statuses(rig.clock().now() - hours(24 * 30));
    const auto ruth = std::find_if(statuses.begin(), statuses.end(), [](const auto& s) { return s.email == "ruth@example.net"; });
    ASSERT_NE(ruth, statuses.end());
    EXPECT_EQ(ruth->state, "expired");
    EXPECT_NE(ruth->detail.find("--resend"), std::string::npos);
}

TEST_F(EnginePolicyTest, AClientUnderReviewGetsNoReminderUntilTheReviewIsClosed) {
    EngineRig rig(dir.path() / "rig", emulator, reminders_every_three_days());
    rig.write_export(kTwoClients);
    ASSERT_EQ(rig.cycle().invitations_sent, 2U);

    rig.store().open_review(ConnectorName("lacerte"), ClientId("00302I"), "held by an administrator");
    rig.clock().advance(hours(73));
    EXPECT_EQ(rig.cycle().invitations_sent, 1U);
    EXPECT_EQ(emulator.invitations(), (std::map<std::string, int>{{"ruth@example.net", 2}, {"sam@example.org", 1}}));

    rig.store().close_review(ConnectorName("lacerte"), ClientId("00302I"));
    rig.clock().advance(hours(1));
    EXPECT_EQ(rig.cycle().invitations_sent, 1U) << "Sam's reminder is due once the review is closed";
    EXPECT_EQ(emulator.invitations(), (std::map<std::string, int>{{"ruth@example.net", 2}, {"sam@example.org", 2}}));
}

TEST_F(EnginePolicyTest, ActivationIsReadBackAtTheConfiguredPaceAndWithinTheBudget) {
    engine::SyncPolicy policy;
    policy.invitations.recheck_after = hours(6);
    policy.invitations.checks_per_cycle = 1;
    EngineRig rig(dir.path() / "rig", emulator, policy);
    rig.write_export(kTwoClients);
    rig.cycle();
    for (const char* email : {"ruth@example.net", "sam@example.org"}) {
        emulator.post("/_emulator/users/" + user_id(email) + "/activate", json::object());
    }
    const auto searches = [&] { return emulator.count_requests("GET", "/itest/users"); };
    const std::size_t before = searches();
    rig.clock().advance(hours(1));
    rig.cycle();
    EXPECT_EQ(searches(), before) << "nothing is due within 6 hours of the last check";
    rig.clock().advance(hours(6));
    EXPECT_EQ(rig.cycle().activations, 1U) << "one read-back per cycle at most";
    EXPECT_EQ(rig.cycle().activations, 1U);
    EXPECT_EQ(rig.store().contacts_with_state(store::ContactState::Activated).size(), 2U);
    const std::size_t settled = searches();
    rig.clock().advance(hours(24));
    rig.cycle();
    EXPECT_EQ(searches(), settled) << "activated contacts are not read back again";
}

}  // namespace
}  // namespace taxsync::testing
