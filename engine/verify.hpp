#pragma once
// `taxsync verify`: reads back from the portal the access taxsync granted (entity shares and
// folder access) and reports where the portal no longer matches. Repair does not call the portal:
// it forgets the drifted grants, so the next cycle plans them again, through the safety gate.

#include <string>
#include <utility>
#include <vector>

#include "portal/portal.hpp"
#include "store/store.hpp"

namespace taxsync::engine {

struct Drift {
    ConnectorName connector;
    ClientId client;
    std::string email;
    store::Grant grant;
    std::string found;  // what the portal holds instead, in words
};

struct VerifyReport {
    std::size_t clients = 0;
    std::size_t grants_checked = 0;
    std::size_t grants_not_checkable = 0;  // group memberships: the portal offers no read-back
    std::vector<Drift> drift;
    std::vector<std::string> unmanaged;  // shares on our entities that taxsync did not make (left alone)
    std::vector<std::string> errors;     // clients that could not be checked, and why
};

using ClientKeys = std::vector<std::pair<ConnectorName, ClientId>>;

/// Checks the given clients (every linked client of the snapshot when `clients` is empty).
VerifyReport verify_access(store::Store& store, portal::Portal& portal, const ClientKeys& clients);

/// Forgets the drifted grants and marks their clients for planning; returns how many grants.
std::size_t forget_drift(store::Store& store, const VerifyReport& report);

}  // namespace taxsync::engine
