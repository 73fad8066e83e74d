#pragma once
// Starting points shared by the planner tests: what the store knows once every step planned for a
// client has been applied, and portals where no contact, or every contact, exists already.

#include <string>

#include "mapping/planner.hpp"

namespace taxsync::mapping::testing {

inline KnownState fully_applied(const DesiredClient& desired) {
    KnownState known;
    known.entity_linked = true;
    known.entity_name = desired.entity_name;
    for (const auto& folder : desired.folders) known.folders.insert(folder.path);
    for (const auto& contact : desired.contacts) {
        for (PersonRole role : contact.roles) {
            known.linked[role] = {contact.email, contact.first_name, contact.last_name, false, false};
        }
        known.grants.insert({contact.email, "role", desired.role, ""});
        for (const auto& folder : desired.folders) {
            known.grants.insert({contact.email, "folder", folder.path, std::string(to_string(folder.access))});
        }
    }
    return known;
}

inline bool no_contact_exists(const std::string& /*email*/) { return false; }
inline bool every_contact_exists(const std::string& /*email*/) { return true; }

}  // namespace taxsync::mapping::testing
