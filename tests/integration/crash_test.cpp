// The crash harness: `taxsync once` against an emulator that fails, throttles, drops connections
// (before and after applying), is slow and expires tokens, killed with SIGKILL at seeded random
// moments and started again until the work converges. After every run it checks what must hold at
// any moment: no address invited twice, nobody with access outside their own clients, a sound
// database; at the end, every eligible contact invited exactly once and nothing left in the outbox.
// Runs alternate between concurrency 6 and 1 ([portal] concurrency).
//
//   TAXSYNC_CRASH_KILLS=500   kills to do (default 20)
//   TAXSYNC_CRASH_SEED=N      seed for the kill moments, the data and the emulator's faults

#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "store/sqlite.hpp"
#include "tests/integration/harness.hpp"

namespace taxsync::testing {
namespace {

using nlohmann::json;

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
    const char* text = std::getenv(name);
    if (text == nullptr || *text == '\0') return fallback;
    return std::strtoull(text, nullptr, 10);
}

/// The firm's clients as the export states them: who belongs to which client.
struct Firm {
    std::map<std::string, std::set<std::string>> emails_by_client;  // client id -> addresses
    std::vector<std::string> rows;
    int next_id = 1;

    /// Adds `count` clients; every fifth has a spouse, every seventh shares its address with the
    /// client before it (one contact for two clients).
    void add_clients(int count) {
        for (int i = 0; i < count; ++i, ++next_id) {
            char id[16];
            std::snprintf(id, sizeof id, "%05dI", next_id);
            char ssn[16];
            std::snprintf(ssn, sizeof ssn, "900-41-%04d", next_id);
            std::string email = "client" + std::to_string(next_id) + "@example.com";
            if (next_id % 7 == 0 && next_id > 1) email = "client" + std::to_string(next_id - 1) + "@example.com";
            std::string spouse_first;
            std::string spouse_email;
            std::string spouse_ssn;
            if (next_id % 5 == 0) {
                spouse_first = "Spouse" + std::to_string(next_id);
                spouse_email = "spouse" + std::to_string(next_id) + "@example.com";
                char text[16];
                std::snprintf(text, sizeof text, "900-42-%04d", next_id);
                spouse_ssn = text;
            }
            rows.push_back(Exports::lacerte_row(id, "First" + std::to_string(next_id), "Crash", ssn, email,
                                                spouse_first, spouse_first.empty() ? "" : "Crash", spouse_ssn,
                                                spouse_email));
            emails_by_client[std::string(id)].insert(email);
            if (!spouse_email.empty()) emails_by_client[std::string(id)].insert(spouse_email);
        }
    }

    [[nodiscard]] std::set<std::string> eligible() const {
        std::set<std::string> all;
        for (const auto& [client, emails] : emails_by_client) all.insert(emails.begin(), emails.end());
        return all;
    }
};

class Checker {
public:
    Checker(Emulator& emulator, Workspace& workspace, const Firm& firm)
        : emulator_(emulator), workspace_(workspace), firm_(firm) {}

    /// What must hold after any run, finished or killed.
    void check_any_moment(const std::string& when) {
        for (const auto& [email, count] : emulator_.invitations()) {
            if (count > 1) violation(when, email + " was invited " + std::to_string(count) + " times");
            if (!firm_.eligible().contains(email)) violation(when, email + " was invited but is not in the export");
        }
        check_access(when);
        if (std::filesystem::exists(workspace_.database())) {
            auto db = sqlite::Database::open(workspace_.database(), sqlite::OpenMode::ReadOnly);
            if (db.has_error()) {
                violation(when, "the database does not open: " + db.error().message);
            } else if (const auto integrity = db->query_text("PRAGMA integrity_check"); integrity != "ok") {
                violation(when, "integrity_check: " + integrity.value_or("no answer"));
            }
        }
    }

    /// What must hold once the work has converged.
    void check_converged() {
        const auto invitations = emulator_.invitations();
        for (const std::string& email : firm_.eligible()) {
            const auto found = invitations.find(email);
            if (found == invitations.end()) violation("at the end", email + " was never invited");
        }
        auto db = sqlite::Database::open(workspace_.database(), sqlite::OpenMode::ReadOnly).value();
        const auto open =
            db.query_int("SELECT count(*) FROM outbox WHERE state IN ('pending', 'in_flight')").value_or(-1);
        if (open != 0) violation("at the end", std::to_string(open) + " operation(s) still open in the outbox");
    }

    [[nodiscard]] const std::vector<std::string>& violations() const { return violations_; }

private:
    void violation(const std::string& when, const std::string& what) {
        const std::string text = when + ": " + what;
        if (std::find(violations_.begin(), violations_.end(), text) == violations_.end()) violations_.push_back(text);
    }

    void check_access(const std::string& when) {
        const json state = emulator_.state();
        std::map<std::string, std::string> client_of_entity;  // CWGuid -> client id
        for (const auto& entity : state["entities"]) {
            const std::string key = entity["EntityNo"].get<std::string>();
            client_of_entity[entity["CWGuid"]] = key.substr(key.find(':') + 1);
        }
        std::map<std::string, std::string> email_of_user;
        for (const auto& user : state["users"]) {
            email_of_user[user["CWGuid"]] = user["Email"].is_string() ? user["Email"].get<std::string>() : "";
        }
        std::map<std::string, std::string> entity_of_folder;
        for (const auto& folder : state["folders"]) entity_of_folder[folder["CWGuid"]] = folder["EntityId"];
        const auto allowed = [&](const std::string& person, const std::string& entity, const std::string& what) {
            const auto user = email_of_user.find(person);
            if (user == email_of_user.end()) return;  // a group: groups carry no entity access here
            const auto client = client_of_entity.find(entity);
            const auto emails = client == client_of_entity.end() ? nullptr : &firm_.emails_by_client.at(client->second);
            if (emails == nullptr || !emails->contains(user->second)) {
                violation(when, user->second + " has " + what + " on entity " + entity + " of another client");
            }
        };
        for (const auto& assignment : state["role_assignments"]) {
            allowed(assignment["PersonId"], assignment["EntityId"], "a role");
        }
        for (const auto& permission : state["permissions"]) {
            if (permission["Access"] == "none") continue;
            allowed(permission["PersonId"], entity_of_folder[permission["FolderId"]], "folder access");
        }
    }

    Emulator& emulator_;
    Workspace& workspace_;
    const Firm& firm_;
    std::vector<std::string> violations_;
};

json hostile_network(std::uint64_t seed) {
    return {{"seed", seed},
            {"rules", json::array({
                          {{"path", "*"}, {"delay_ms", 1}, {"jitter_ms", 6}},
                          {{"method", "POST"}, {"path", "/users"}, {"drop", "after"}, {"rate", 0.06}},
                          {{"method", "POST"}, {"path", "/entities"}, {"drop", "after"}, {"rate", 0.06}},
                          {{"path", "*"}, {"drop", "before"}, {"rate", 0.03}},
                          {{"path", "*"}, {"drop", "after"}, {"rate", 0.02}},
                          {{"path", "*"}, {"status", 503}, {"rate", 0.04}},
                          {{"path", "*"}, {"status", 502}, {"rate", 0.02}},
                          {{"path", "*"}, {"status", 500}, {"rate", 0.02}},
                          {{"path", "*"}, {"status", 429}, {"retry_after", 1}, {"rate", 0.005}},
                          {{"path", "/users"}, {"expire_tokens", true}, {"rate", 0.01}},
                      })}};
}

TEST(CrashHarness, KilledAtRandomMomentsUnderFaultsTheWorkConvergesExactlyOnce) {
    const std::uint64_t kills_wanted = env_number("TAXSYNC_CRASH_KILLS", 20);
    const std::uint64_t seed = env_number("TAXSYNC_CRASH_SEED", 20261122);
    std::mt19937_64 random(seed);

    TempDir dir;
    Emulator emulator(dir.path() / "emulator", "emulator-secret-0123456789", {"--seed", std::to_string(seed)});
    Workspace workspace(emulator);
    // Quick retries: the harness is about outcomes, not about patience.
    // The safety gate is proven elsewhere; here every cycle may send what it plans.
    // Runs alternate between one operation at a time and several clients at once, so a kill also
    // lands in the middle of a wave of operations in flight together.
    const auto configure = [&](int concurrency) {
        workspace.write_config("max_attempts = 6\nbreaker_failures = 8\nbreaker_cooldown_seconds = 1\nconcurrency = " +
                                   std::to_string(concurrency) + "\n",
                               "[safety]\nmax_invitations = 0\nmax_revocations = 0\nmax_changed_percent = 0\n");
    };
    configure(1);
    emulator.faults(hostile_network(seed));

    Firm firm;
    firm.add_clients(24);
    workspace.write_lacerte(firm.rows);
    Checker checker(emulator, workspace, firm);

    std::uint64_t kills = 0;
    std::uint64_t runs = 0;
    std::uint64_t converged_rounds = 0;
    const auto started = std::chrono::steady_clock::now();
    std::uniform_int_distribution<int> moment_ms(30, 2500);
    while (kills < kills_wanted) {
        ++runs;
        configure(runs % 2 == 0 ? 1 : 6);
        Process cycle(taxsync_binary(), {"--config", workspace.config_file().string(), "once"},
                      workspace.dir() / "logs");
        const auto moment = std::chrono::milliseconds(moment_ms(random));
        const auto exit_code = cycle.wait_for(moment);
        if (!exit_code) {
            cycle.kill(SIGKILL);
            cycle.wait_for(std::chrono::seconds(10));
            ++kills;
        } else if (*exit_code == 0) {
            // Converged: give the next runs new work to interrupt (new clients, a changed address).
            ++converged_rounds;
            firm.add_clients(6);
            workspace.write_lacerte(firm.rows);
        }
        checker.check_any_moment("after run " + std::to_string(runs));
        ASSERT_LT(std::chrono::steady_clock::now() - started, std::chrono::minutes(60)) << "no convergence";
    }

    // Let it finish: the faults stay on, only the kills stop.
    int finishing_runs = 0;
    while (true) {
        ++finishing_runs;
        configure(finishing_runs % 2 == 0 ? 1 : 6);
        const auto result = workspace.taxsync({"once"});
        checker.check_any_moment("finishing run " + std::to_string(finishing_runs));
        if (result.exit_code == 0) break;
        ASSERT_LT(finishing_runs, 40) << "the work does not converge: " << result.out << result.err;
    }
    checker.check_converged();

    std::cout << "crash harness: seed " << seed << ", " << runs << " run(s), " << kills << " kill(s), "
              << converged_rounds << " converged round(s), " << firm.emails_by_client.size() << " clients, "
              << firm.eligible().size() << " invitations expected, " << finishing_runs << " finishing run(s), "
              << checker.violations().size() << " violation(s)\n";
    for (const std::string& violation : checker.violations()) std::cout << "  violation: " << violation << '\n';
    EXPECT_TRUE(checker.violations().empty());
    EXPECT_EQ(kills, kills_wanted);
}

}  // namespace
}  // namespace taxsync::testing
