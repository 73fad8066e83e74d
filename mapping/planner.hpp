#pragma once
// Compares what a client should have (DesiredClient) with what taxsync knows it already has
// (KnownState) and lists the missing steps, in the order they can run.

#include <functional>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "mapping/desired.hpp"
#include "mapping/operation.hpp"

namespace taxsync::mapping {

struct KnownContact {
    std::string email;
    std::string first_name;
    std::string last_name;
    bool adopted = false;                  // made by someone else: its names are not ours to change
    bool shared_with_other_clients = false;
};

struct KnownGrant {
    std::string email;
    std::string kind;  // role | group | folder | file_request (target: the tax year)
    std::string target;
    std::string access;

    friend auto operator<=>(const KnownGrant&, const KnownGrant&) = default;
};

struct KnownState {
    bool entity_linked = false;
    std::string entity_name;
    std::set<std::string> folders;
    std::map<PersonRole, KnownContact> linked;  // the contact each person is linked to
    std::set<KnownGrant> grants;
};

/// Remembers contacts planned for creation earlier in the same plan, so a person who belongs to
/// two clients is created (and invited) once.
class PlanContext {
public:
    PlanContext() = default;
    /// `revoke_unnamed`: grants of contacts the export no longer names are taken back (removal
    /// policy revoke or archive); otherwise they are left as they are (preserve).
    explicit PlanContext(bool revoke_unnamed) : revoke_unnamed_(revoke_unnamed) {}
    [[nodiscard]] bool revoke_unnamed() const { return revoke_unnamed_; }

    [[nodiscard]] bool creating(const std::string& email) const { return creating_.count(email) != 0; }
    void will_create(const std::string& email) { creating_.insert(email); }

private:
    bool revoke_unnamed_ = false;
    std::set<std::string> creating_;
};

/// `contact_exists(email)`: the portal already has a contact with that address (per the store).
std::vector<Action> plan_client(const DesiredClient& desired, const KnownState& known,
                                const std::function<bool(const std::string& email)>& contact_exists,
                                PlanContext& context);

/// The steps that take away everything taxsync granted for a client that left the export; then
/// the logins of `deactivate` (contacts left with no client at all) are turned off.
std::vector<Action> plan_removal(const KnownState& known, const std::vector<std::string>& deactivate);

}  // namespace taxsync::mapping
