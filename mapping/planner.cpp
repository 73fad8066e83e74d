#include "mapping/planner.hpp"

#include <algorithm>

namespace taxsync::mapping {
namespace {

std::set<KnownGrant> rename_grants(const std::set<KnownGrant>& grants, const std::string& from, const std::string& to) {
    std::set<KnownGrant> out;
    for (KnownGrant grant : grants) {
        if (grant.email == from) grant.email = to;
        out.insert(std::move(grant));
    }
    return out;
}

bool desired_uses(const DesiredClient& desired, const std::string& email) {
    return std::any_of(desired.contacts.begin(), desired.contacts.end(),
                       [&](const DesiredContact& c) { return c.email == email; });
}

}  // namespace

std::vector<Action> plan_client(const DesiredClient& desired, const KnownState& known,
                                const std::function<bool(const std::string& email)>& contact_exists,
                                PlanContext& context) {
    std::vector<Action> actions;
    if (!known.entity_linked) {
        actions.emplace_back(CreateEntity{desired.external_key, desired.entity_name});
    } else if (known.entity_name != desired.entity_name) {
        actions.emplace_back(RenameEntity{desired.entity_name});
    }
    for (const DesiredFolder& folder : desired.folders) {
        if (known.folders.count(folder.path) == 0) actions.emplace_back(CreateFolder{folder.path});
    }

    std::set<KnownGrant> grants = known.grants;
    std::vector<Action> contact_steps;
    std::vector<Action> grant_steps;
    for (const DesiredContact& contact : desired.contacts) {
        const bool exists = contact_exists(contact.email) || context.creating(contact.email);
        // The person was linked to a contact under another address: the email changed.
        const KnownContact* previous = nullptr;
        for (PersonRole role : contact.roles) {
            const auto linked = known.linked.find(role);
            if (linked != known.linked.end() && linked->second.email != contact.email) previous = &linked->second;
        }
        if (previous != nullptr && !exists && !previous->shared_with_other_clients &&
            !desired_uses(desired, previous->email)) {
            // The contact is this person's alone: change its address rather than make a second one.
            contact_steps.emplace_back(
                UpdateContact{previous->email, contact.email, contact.first_name, contact.last_name});
            // The new address has never been invited: it gets the invitation (skipped at run time
            // when the person had already accepted under the old address).
            if (desired.invite) contact_steps.emplace_back(InviteContact{contact.email, contact.invitation_message, false});
            grants = rename_grants(grants, previous->email, contact.email);
        } else if (exists) {
            const auto linked = known.linked.find(contact.roles.front());
            if (linked != known.linked.end() && linked->second.email == contact.email && !linked->second.adopted &&
                !linked->second.shared_with_other_clients &&
                (linked->second.first_name != contact.first_name || linked->second.last_name != contact.last_name)) {
                contact_steps.emplace_back(
                    UpdateContact{contact.email, contact.email, contact.first_name, contact.last_name});
            }
        } else {
            contact_steps.emplace_back(CreateContact{contact.email, contact.first_name, contact.last_name,
                                                     desired.invite, contact.invitation_message});
            context.will_create(contact.email);
        }

        if (grants.count({contact.email, "role", desired.role, ""}) == 0) {
            grant_steps.emplace_back(ShareEntity{contact.email, desired.role});
        }
        for (const std::string& group : desired.groups) {
            if (grants.count({contact.email, "group", group, ""}) == 0) {
                grant_steps.emplace_back(AddToGroup{contact.email, group});
            }
        }
        for (const DesiredFolder& folder : desired.folders) {
            if (grants.count({contact.email, "folder", folder.path, std::string(to_string(folder.access))}) == 0) {
                grant_steps.emplace_back(SetFolderAccess{contact.email, folder.path, folder.access});
            }
        }
    }
    actions.insert(actions.end(), contact_steps.begin(), contact_steps.end());
    actions.insert(actions.end(), grant_steps.begin(), grant_steps.end());
    if (context.revoke_unnamed()) {
        // A spouse left the export, or an address changed while the old contact serves other clients.
        for (const KnownGrant& grant : grants) {
            if (grant.kind == "file_request") continue;  // a record of what was sent, not access
            if (!desired_uses(desired, grant.email)) actions.emplace_back(RevokeAccess{grant.email, grant.kind, grant.target});
        }
    }

    // Last: the portal sends a file request only to contacts that exist and hold the role.
    if (desired.file_request) {
        const DesiredFileRequest& wanted = *desired.file_request;
        RequestFiles request{wanted.tax_year,      wanted.subject,    wanted.description, {},
                             wanted.attach_folder, wanted.attach_file};
        for (const DesiredFileRecipient& recipient : wanted.recipients) {
            if (grants.count({recipient.email, "file_request", wanted.tax_year, ""}) == 0) {
                request.recipients.push_back({recipient.email, recipient.message});
            }
        }
        if (!request.recipients.empty()) actions.emplace_back(std::move(request));
    }
    return actions;
}

std::vector<Action> plan_removal(const KnownState& known, const std::vector<std::string>& deactivate) {
    std::vector<Action> actions;
    // Folder access and group memberships first, the entity share last: the contact keeps seeing
    // the entity until nothing inside it is left to them.
    for (const char* kind : {"folder", "group", "role"}) {
        for (const KnownGrant& grant : known.grants) {
            if (grant.kind == kind) actions.emplace_back(RevokeAccess{grant.email, grant.kind, grant.target});
        }
    }
    for (const std::string& email : deactivate) actions.emplace_back(DeactivateContact{email});
    return actions;
}

}  // namespace taxsync::mapping
