// Random sequences of exports, cycle after cycle, against the real emulator. After every cycle:
// no address was invited twice, nobody holds access to a client whose export does not name them,
// every person the export names holds the access the rules give, and nothing was revoked unless
// the removal policy said so. TAXSYNC_PROPERTY_SEQUENCES raises the number of sequences; some of
// them apply several clients at once.

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "tests/integration/engine_fixture.hpp"

namespace taxsync::testing {
namespace {

using nlohmann::json;

struct ModelClient {
    std::string id;
    std::string first;
    std::string last;
    std::string email;         // may be empty or malformed
    std::string spouse;        // first name; empty: no spouse
    std::string spouse_email;
};

// The export as the firm's tax package would write it, and what it names.
class Model {
public:
    explicit Model(std::uint64_t seed) : random_(seed) {}

    std::vector<std::string> rows() const {
        std::vector<std::string> out;
        for (const auto& [id, c] : clients_) {
            out.push_back(Exports::lacerte_row(c.id, c.first, c.last, ssn(), c.email, c.spouse,
                                               c.spouse.empty() ? "" : c.last, c.spouse.empty() ? "" : ssn(),
                                               c.spouse_email));
        }
        if (duplicate_) out.push_back(*duplicate_);
        return out;
    }

    /// Usable addresses each present client names. A second row with the same id is refused by the
    /// connector (the first row wins), so it names nobody.
    std::map<std::string, std::set<std::string>> named() const {
        std::map<std::string, std::set<std::string>> out;
        for (const auto& [id, c] : clients_) {
            for (const std::string& email : {c.email, c.spouse.empty() ? std::string() : c.spouse_email}) {
                if (usable(email)) out[id].insert(email);
            }
            out[id];  // present even when nobody can be invited
        }
        return out;
    }

    /// One random change: what a firm's exports do between two runs.
    std::string mutate() {
        duplicate_.reset();
        const int pick = std::uniform_int_distribution<int>(0, 9)(random_);
        if (clients_.size() < 3 || pick == 0) return add();
        switch (pick) {
            case 1: return remove();
            case 2: return change_email();
            case 3: return swap_emails();
            case 4: return toggle_spouse();
            case 5: return share_email();
            case 6: return duplicate_row();
            case 7: return break_email();
            case 8: return rename();
            default: return add();
        }
    }

    std::string add() {
        ModelClient c;
        c.id = "C" + std::to_string(1000 + next_id_++);
        c.first = pick_of({"Ann", "Ben", "Cara", "Dev", "Eli", "Fay"});
        c.last = pick_of({"Lee", "Moss", "Nunez", "Ortiz", "Park"});
        c.email = fresh_email();
        if (coin()) {
            c.spouse = pick_of({"Gus", "Hana", "Ivo"});
            c.spouse_email = coin() ? fresh_email() : c.email;
        }
        clients_[c.id] = c;
        return "add " + c.id;
    }

private:
    static bool usable(const std::string& email) { return !email.empty() && email.find("@@") == std::string::npos; }
    static std::string ssn() { return "900-61-0001"; }
    bool coin() { return std::uniform_int_distribution<int>(0, 1)(random_) == 1; }
    std::string pick_of(const std::vector<std::string>& options) {
        return options[std::uniform_int_distribution<std::size_t>(0, options.size() - 1)(random_)];
    }
    ModelClient& any() {
        auto it = clients_.begin();
        std::advance(it, std::uniform_int_distribution<std::size_t>(0, clients_.size() - 1)(random_));
        return it->second;
    }
    // New addresses are never reused: an address renamed away never comes back to another person.
    std::string fresh_email() { return "p" + std::to_string(next_email_++) + "@example.com"; }

    std::string remove() {
        const std::string id = any().id;
        clients_.erase(id);
        return "remove " + id;
    }
    std::string change_email() {
        ModelClient& c = any();
        c.email = fresh_email();
        return "new email for " + c.id;
    }
    std::string swap_emails() {
        ModelClient& a = any();
        ModelClient& b = any();
        std::swap(a.email, b.email);
        return "swap emails " + a.id + " <-> " + b.id;
    }
    std::string toggle_spouse() {
        ModelClient& c = any();
        if (c.spouse.empty()) {
            c.spouse = "Jo";
            c.spouse_email = fresh_email();
            return "spouse added to " + c.id;
        }
        c.spouse.clear();
        c.spouse_email.clear();
        return "spouse removed from " + c.id;
    }
    std::string share_email() {
        ModelClient& a = any();
        ModelClient& b = any();
        b.email = a.email;  // an owner who also files a 1040
        return "share email " + a.id + " -> " + b.id;
    }
    std::string duplicate_row() {
        const ModelClient& c = any();
        duplicate_id_ = c.id;
        duplicate_email_ = fresh_email();
        duplicate_ = Exports::lacerte_row(c.id, c.first, c.last, ssn(), duplicate_email_);
        return "duplicate row for " + c.id;
    }
    std::string break_email() {
        ModelClient& c = any();
        c.email = coin() ? std::string() : "broken@@example.com";
        return "unusable email for " + c.id;
    }
    std::string rename() {
        ModelClient& c = any();
        c.last = pick_of({"Quinn", "Rossi", "Singh"});
        return "rename " + c.id;
    }

    std::mt19937_64 random_;
    std::map<std::string, ModelClient> clients_;
    std::optional<std::string> duplicate_;
    std::string duplicate_id_;
    std::string duplicate_email_;
    int next_id_ = 0;
    int next_email_ = 0;
};

int sequences_to_run() {
    const char* text = std::getenv("TAXSYNC_PROPERTY_SEQUENCES");
    return text != nullptr ? std::max(1, std::atoi(text)) : 6;
}

class PropertyTest : public ::testing::Test {
protected:
    TempDir dir;
    Emulator emulator{dir.path() / "emulator"};

    // Checks the portal against the model; returns the violations found, described.
    std::vector<std::string> violations(const Model& model, bool revoke, const std::set<std::string>& ever_named_pairs,
                                        std::set<std::pair<std::string, std::string>>& previous_shares) {
        std::vector<std::string> found;
        const json state = emulator.state();
        std::map<std::string, std::string> email_of;
        for (const auto& user : state["users"]) email_of[user["CWGuid"]] = user["Email"];
        std::map<std::string, std::string> client_of;  // entity -> client id
        for (const auto& entity : state["entities"]) {
            const std::string key = entity["EntityNo"];
            client_of[entity["CWGuid"]] = key.substr(key.find(':') + 1);
        }
        const auto named = model.named();
        std::set<std::pair<std::string, std::string>> shared;  // (client, email)
        std::set<std::pair<std::string, std::string>> shares;  // (entity, person), as the portal holds them
        for (const auto& assignment : state["role_assignments"]) {
            shares.emplace(assignment["EntityId"].get<std::string>(), assignment["PersonId"].get<std::string>());
            const std::string client = client_of[assignment["EntityId"]];
            const std::string email = email_of[assignment["PersonId"]];
            shared.insert({client, email});
            const auto current = named.find(client);
            const bool named_now = current != named.end() && current->second.count(email) != 0;
            if (!named_now && revoke) found.push_back(email + " holds a share of " + client + " but is not named by it");
            if (ever_named_pairs.count(client + "|" + email) == 0) {
                found.push_back(email + " was given a share of " + client + ", which never named them");
            }
        }
        if (!revoke) {
            // preserve: nothing that was shared is ever taken back
            for (const auto& share : previous_shares) {
                if (shares.count(share) == 0) {
                    found.push_back(email_of[share.second] + " lost a share of " + client_of[share.first] +
                                    " although the removal policy is preserve");
                }
            }
        }
        previous_shares = shares;
        for (const auto& [client, emails] : named) {
            for (const std::string& email : emails) {
                if (shared.count({client, email}) == 0) found.push_back(client + " names " + email + " without a share");
            }
        }
        for (const auto& [email, count] : emulator.invitations()) {
            if (count > 1) found.push_back(email + " was invited " + std::to_string(count) + " times");
        }
        return found;
    }
};

TEST_F(PropertyTest, RandomExportSequencesKeepTheInvariants) {
    const int sequences = sequences_to_run();
    constexpr int kCycles = 8;
    int cycles = 0;
    std::vector<std::string> all;
    for (int sequence = 0; sequence < sequences; ++sequence) {
        emulator.post("/_emulator/reset", json::object());
        const bool revoke = sequence % 2 == 0;
        engine::SyncPolicy policy;
        policy.removal = revoke ? engine::RemovalPolicy::Revoke : engine::RemovalPolicy::Preserve;
        policy.absences_before_removal = 1;
        policy.limits = {0, 0, 0, 1};  // the gate is proven elsewhere; here every cycle runs through
        // Sequences 2, 3, 6, 7, ... apply four clients at once: both removal policies see both.
        const std::size_t concurrency = sequence % 4 >= 2 ? 4 : 1;
        EngineRig rig(dir.path() / ("seq" + std::to_string(sequence)), emulator, policy, mapping::default_rules(),
                      concurrency);
        Model model(0x7a5 + static_cast<std::uint64_t>(sequence));
        for (int i = 0; i < 6; ++i) model.add();
        std::set<std::string> ever_named;
        std::set<std::pair<std::string, std::string>> previous_shares;
        std::string history;
        for (int cycle = 0; cycle < kCycles; ++cycle) {
            const std::string change = cycle == 0 ? "first export" : model.mutate();
            history += "  " + change + "\n";
            for (const auto& [client, emails] : model.named()) {
                for (const auto& email : emails) ever_named.insert(client + "|" + email);
            }
            rig.write_export(model.rows());
            rig.clock().advance(std::chrono::minutes(15));
            const auto report = rig.cycle();
            ++cycles;
            for (const auto& failure : report.failures) {
                all.push_back("sequence " + std::to_string(sequence) + " cycle " + std::to_string(cycle) + ": " +
                              failure.step + ": " + failure.error.message);
            }
            for (const std::string& violation : violations(model, revoke, ever_named, previous_shares)) {
                all.push_back("sequence " + std::to_string(sequence) + " cycle " + std::to_string(cycle) + " after " +
                              change + ": " + violation + "\n" + history);
            }
            EXPECT_EQ(rig.store().open_operations().size(), 0U);
        }
        EXPECT_EQ(rig.store().db().query_text("PRAGMA integrity_check").value_or(""), "ok");
    }
    std::printf("property: %d sequence(s), %d cycle(s), %zu violation(s)\n", sequences, cycles, all.size());
    for (const auto& violation : all) ADD_FAILURE() << violation;
}

}  // namespace
}  // namespace taxsync::testing
