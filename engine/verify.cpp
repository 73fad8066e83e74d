#include "engine/verify.hpp"

#include <map>
#include <set>

namespace taxsync::engine {

VerifyReport verify_access(store::Store& store, portal::Portal& portal, const ClientKeys& clients) {
    VerifyReport report;
    ClientKeys keys = clients;
    if (keys.empty()) {
        for (const ConnectorName& connector : store.snapshot_connectors()) {
            for (const auto& [id, row] : store.snapshot(connector)) {
                if (row.absent_count == 0) keys.emplace_back(connector, id);
            }
        }
    }
    for (const auto& [connector, client] : keys) {
        const auto link = store.entity_link(connector, client);
        if (!link) continue;
        ++report.clients;
        const std::string name = connector.value() + ":" + client.value();
        const auto grants = store.grants(connector, client);
        const auto email_of = [&](const ContactId& contact) {
            const auto row = store.contact_by_id(contact);
            return row ? row->email : contact.value();
        };

        auto shares = portal.entity_shares(link->entity);
        if (shares.has_error()) {
            report.errors.push_back(name + ": " + shares.error().message);
            continue;
        }
        std::set<std::pair<std::string, ContactId>> held;
        for (const portal::Share& share : *shares) held.emplace(share.role, share.contact);
        std::set<ContactId> ours;
        std::map<std::string, std::map<ContactId, portal::FolderAccess>> folders;
        for (const store::Grant& grant : grants) {
            if (grant.kind == store::GrantKind::FileRequest) continue;  // a record of what was sent, not access
            ours.insert(grant.contact);
            if (grant.kind == store::GrantKind::Group) {
                ++report.grants_not_checkable;
                continue;
            }
            ++report.grants_checked;
            if (grant.kind == store::GrantKind::Role) {
                if (held.count({grant.target, grant.contact}) == 0) {
                    report.drift.push_back({connector, client, email_of(grant.contact), grant,
                                            "no longer holds the share \"" + grant.target + "\""});
                }
                continue;
            }
            const auto folder = store.folder(link->entity, grant.target);
            if (!folder) continue;
            auto found = folders.find(grant.target);
            if (found == folders.end()) {
                auto access = portal.folder_access(*folder);
                if (access.has_error()) {
                    report.errors.push_back(name + ": folder \"" + grant.target + "\": " + access.error().message);
                    continue;
                }
                found = folders.emplace(grant.target, std::move(access).value()).first;
            }
            const auto person = found->second.find(grant.contact);
            const std::string now =
                person == found->second.end() ? "none" : std::string(portal::to_string(person->second));
            if (now != grant.access) {
                report.drift.push_back({connector, client, email_of(grant.contact), grant,
                                        "has " + now + " access to \"" + grant.target + "\" instead of " + grant.access});
            }
        }
        for (const auto& [role, contact] : held) {
            if (ours.count(contact) == 0) {
                report.unmanaged.push_back(name + ": also shared with " + email_of(contact) + " as \"" + role +
                                           "\" (not by taxsync; left alone)");
            }
        }
    }
    return report;
}

std::size_t forget_drift(store::Store& store, const VerifyReport& report) {
    sqlite::Transaction transaction(store.db());
    for (const Drift& drift : report.drift) {
        store.delete_grant(drift.connector, drift.client, drift.grant);
        store.set_applied(drift.connector, drift.client, "");
        store.audit({std::nullopt, std::nullopt, drift.connector, drift.client, "verify_repair",
                     drift.email + " " + std::string(store::to_string(drift.grant.kind)) + " " + drift.grant.target,
                     "ok", drift.found});
    }
    transaction.commit();
    return report.drift.size();
}

}  // namespace taxsync::engine
