#pragma once
// Runs one outbox operation against the portal and records what came of it. Every step first
// checks what the store (and, for creates, the portal) already holds, so running an operation a
// second time after a crash finds its own work and does nothing twice.

#include <optional>
#include <string>

#include "core/clock.hpp"
#include "core/logger.hpp"
#include "mapping/operation.hpp"
#include "portal/portal.hpp"
#include "store/store.hpp"

namespace taxsync::engine {

struct StepOutcome {
    std::string label = "ok";                 // ok | adopted | recovered | already done
    std::string detail;
    std::optional<std::string> invited;       // the address an invitation was sent to
};

class Executor {
public:
    Executor(store::Store& store, portal::Portal& portal, Clock& clock, const Logger& log)
        : store_(store), portal_(portal), clock_(clock), log_(log) {}

    /// Runs an operation already marked in flight (durably, by the caller: Engine::execute) and
    /// records done or failed with an audit entry. `row` is as read before the mark.
    Expected<StepOutcome> apply(const store::OutboxRow& row, const mapping::Action& action);

    /// Links each person of the client whose address has a portal contact to that contact.
    void link_people(const ConnectorName& connector, const ClientId& client);

private:
    Expected<StepOutcome> create_entity(const store::OutboxRow& row, const mapping::CreateEntity& action);
    Expected<StepOutcome> rename_entity(const store::OutboxRow& row, const mapping::RenameEntity& action);
    Expected<StepOutcome> create_folder(const store::OutboxRow& row, const mapping::CreateFolder& action);
    Expected<StepOutcome> create_contact(const store::OutboxRow& row, const mapping::CreateContact& action);
    Expected<StepOutcome> update_contact(const store::OutboxRow& row, const mapping::UpdateContact& action);
    Expected<StepOutcome> share_entity(const store::OutboxRow& row, const mapping::ShareEntity& action);
    Expected<StepOutcome> add_to_group(const store::OutboxRow& row, const mapping::AddToGroup& action);
    Expected<StepOutcome> set_folder_access(const store::OutboxRow& row, const mapping::SetFolderAccess& action);
    Expected<StepOutcome> revoke_access(const store::OutboxRow& row, const mapping::RevokeAccess& action);
    Expected<StepOutcome> deactivate_contact(const store::OutboxRow& row, const mapping::DeactivateContact& action);
    Expected<StepOutcome> invite_contact(const store::OutboxRow& row, const mapping::InviteContact& action);
    Expected<StepOutcome> request_files(const store::OutboxRow& row, const mapping::RequestFiles& action);

    struct GrantTarget {
        EntityId entity;
        ContactId contact;
    };
    /// The entity and contact a grant is for, once the export is known to still name the contact.
    Expected<GrantTarget> grant_target(const store::OutboxRow& row, const std::string& email);
    Expected<EntityId> linked_entity(const store::OutboxRow& row);
    Expected<ContactId> contact_for(const std::string& email);
    Expected<FolderId> folder_for(const EntityId& entity, const std::string& path);
    /// Invariant: nobody gets access to a client whose latest export does not name them.
    Status check_named_by_export(const store::OutboxRow& row, const std::string& email);
    StepOutcome record_contact(const store::OutboxRow& row, const portal::Contact& contact, store::Origin origin,
                               bool invited_now, const mapping::CreateContact& action);

    store::Store& store_;
    portal::Portal& portal_;
    Clock& clock_;
    const Logger& log_;
};

}  // namespace taxsync::engine
