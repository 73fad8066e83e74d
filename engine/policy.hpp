#pragma once
// The firm's sync policy: when absent clients lose access, the brakes on each cycle, and how
// invitations are followed up. Defaults are the careful ones.

#include <chrono>
#include <cstddef>
#include <string_view>

namespace taxsync::engine {

/// What happens to a client missing from its export for `absences_before_removal` cycles in a row.
enum class RemovalPolicy {
    Preserve,  // nothing: the client keeps its portal access (the default)
    Revoke,    // take back every share, group membership and folder access taxsync granted
    Archive,   // revoke, then turn off the login of contacts left with no client
};
std::string_view to_string(RemovalPolicy policy);

/// Over any limit the cycle is held: nothing is sent until `taxsync approve`. 0 means no limit.
struct SafetyLimits {
    std::size_t max_invitations = 100;  // invitation emails one cycle may send
    std::size_t max_revocations = 10;   // grants one cycle may take back (and logins it may turn off)
    double max_changed_percent = 20;    // share of already-known clients changed or removed in one cycle
    std::size_t percent_needs_clients = 20;  // the share is only judged from this many known clients
};

struct InvitationPolicy {
    std::chrono::hours reinvite_after{0};  // 0: never send a reminder on its own
    int max_reinvites = 2;                 // reminders per contact, at most
    std::chrono::hours valid_for{24 * 30};  // an invitation older than this, not accepted, is "expired"
    std::chrono::hours recheck_after{6};   // read an invited contact's activation back this often (0: every cycle)
    std::size_t checks_per_cycle = 200;    // at most this many read-backs per cycle
};

struct SyncPolicy {
    RemovalPolicy removal = RemovalPolicy::Preserve;
    int absences_before_removal = 3;
    SafetyLimits limits;
    InvitationPolicy invitations;
};

}  // namespace taxsync::engine
