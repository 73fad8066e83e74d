#include "engine/executor.hpp"

#include <algorithm>
#include <variant>

#include "core/digest.hpp"
#include "core/text.hpp"

namespace taxsync::engine {
namespace {

template <class... Visitors>
struct Overloaded : Visitors... {
    using Visitors::operator()...;
};
template <class... Visitors>
Overloaded(Visitors...) -> Overloaded<Visitors...>;

portal::FolderAccess to_portal(mapping::Access access) {
    return access == mapping::Access::Upload ? portal::FolderAccess::Upload : portal::FolderAccess::Read;
}

std::string target_of(const mapping::Action& action) {
    return std::visit(Overloaded{
                          [](const mapping::CreateEntity& a) { return a.external_key; },
                          [](const mapping::RenameEntity& a) { return a.name; },
                          [](const mapping::CreateFolder& a) { return a.path; },
                          [](const mapping::CreateContact& a) { return a.email; },
                          [](const mapping::UpdateContact& a) { return a.email; },
                          [](const mapping::ShareEntity& a) { return a.email + " as " + a.role; },
                          [](const mapping::AddToGroup& a) { return a.email + " in " + a.group; },
                          [](const mapping::SetFolderAccess& a) { return a.email + " on " + a.path; },
                          [](const mapping::RevokeAccess& a) { return a.email + " " + a.kind + " " + a.target; },
                          [](const mapping::DeactivateContact& a) { return a.email; },
                          [](const mapping::InviteContact& a) { return a.email; },
                          [](const mapping::RequestFiles& a) { return "tax year " + a.tax_year; },
                      },
                      action);
}

}  // namespace

Expected<StepOutcome> Executor::apply(const store::OutboxRow& row, const mapping::Action& action) {
    const bool resumed = row.state == store::OutboxState::InFlight;
    if (resumed) log_.info("resuming an operation interrupted earlier: {} for {}", mapping::describe(action), row.client);

    Expected<StepOutcome> result = std::visit(
        Overloaded{
            [&](const mapping::CreateEntity& a) { return create_entity(row, a); },
            [&](const mapping::RenameEntity& a) { return rename_entity(row, a); },
            [&](const mapping::CreateFolder& a) { return create_folder(row, a); },
            [&](const mapping::CreateContact& a) { return create_contact(row, a); },
            [&](const mapping::UpdateContact& a) { return update_contact(row, a); },
            [&](const mapping::ShareEntity& a) { return share_entity(row, a); },
            [&](const mapping::AddToGroup& a) { return add_to_group(row, a); },
            [&](const mapping::SetFolderAccess& a) { return set_folder_access(row, a); },
            [&](const mapping::RevokeAccess& a) { return revoke_access(row, a); },
            [&](const mapping::DeactivateContact& a) { return deactivate_contact(row, a); },
            [&](const mapping::InviteContact& a) { return invite_contact(row, a); },
            [&](const mapping::RequestFiles& a) { return request_files(row, a); },
        },
        action);

    sqlite::Transaction transaction(store_.db());
    store::AuditEntry audit{row.cycle, row.id, row.connector, row.client, mapping::kind_of(action), target_of(action),
                            "ok", ""};
    if (result.has_value()) {
        store_.mark_done(row.id);
        audit.outcome = result->label;
        audit.detail = result->detail;
    } else {
        store_.mark_failed(row.id, result.error().message);
        audit.outcome = "failed";
        audit.detail = std::string(to_string(result.error().kind)) + ": " + result.error().message;
    }
    store_.audit(audit);
    transaction.commit();
    return result;
}

void Executor::link_people(const ConnectorName& connector, const ClientId& client) {
    for (store::PersonRow person : store_.people(connector, client)) {
        if (person.email_status != EmailStatus::Usable) continue;
        const auto contact = store_.contact_by_email(person.email);
        if (!contact || !contact->contact || person.contact == contact->contact) continue;
        person.contact = contact->contact;
        store_.save_person(person);
    }
}

// ---- helpers ----------------------------------------------------------------------------------

Expected<EntityId> Executor::linked_entity(const store::OutboxRow& row) {
    const auto link = store_.entity_link(row.connector, row.client);
    if (!link) return fail(ErrorKind::Rejected, "the client has no portal entity yet (its creation failed earlier)");
    return link->entity;
}

Expected<ContactId> Executor::contact_for(const std::string& email) {
    const auto contact = store_.contact_by_email(email);
    if (!contact || !contact->contact) {
        return fail(ErrorKind::Rejected, "the portal contact for " + email + " does not exist yet (its creation failed)");
    }
    return *contact->contact;
}

Expected<FolderId> Executor::folder_for(const EntityId& entity, const std::string& path) {
    if (auto known = store_.folder(entity, path)) return *known;
    auto made = portal_.ensure_folder(entity, path);
    if (made.has_error()) return unexpected(std::move(made).error());
    store_.save_folder(entity, path, *made);
    return made;
}

Expected<Executor::GrantTarget> Executor::grant_target(const store::OutboxRow& row, const std::string& email) {
    if (auto named = check_named_by_export(row, email); named.has_error()) return unexpected(named.error());
    auto entity = linked_entity(row);
    if (entity.has_error()) return unexpected(std::move(entity).error());
    auto contact = contact_for(email);
    if (contact.has_error()) return unexpected(std::move(contact).error());
    return GrantTarget{*entity, *contact};
}

Status Executor::check_named_by_export(const store::OutboxRow& row, const std::string& email) {
    for (const store::PersonRow& person : store_.people(row.connector, row.client)) {
        if (person.email_status == EmailStatus::Usable && person.email == email) return ok();
    }
    return fail(ErrorKind::Rejected, email + " is no longer named by this client's export; access not granted");
}

// ---- entity and folders -----------------------------------------------------------------------

Expected<StepOutcome> Executor::create_entity(const store::OutboxRow& row, const mapping::CreateEntity& action) {
    if (store_.entity_link(row.connector, row.client)) return StepOutcome{"already done", "", std::nullopt};
    // Look first: the entity may exist from an earlier run whose answer was lost, or from staff.
    auto found = portal_.find_entity(action.external_key);
    if (found.has_error()) return unexpected(std::move(found).error());
    store::EntityLink link{row.connector, row.client, EntityId(), action.external_key, action.name,
                           store::Origin::Created};
    StepOutcome outcome;
    if (found->has_value()) {
        const portal::Entity& existing = **found;
        link.entity = existing.id;
        const bool ours = row.attempts > 0;  // we sent the create before and lost its answer
        link.origin = ours ? store::Origin::Created : store::Origin::Adopted;
        outcome.label = ours ? "recovered" : "adopted";
        if (existing.name != action.name) {
            if (auto renamed = portal_.rename_entity(existing.id, action.name); renamed.has_error()) {
                return unexpected(std::move(renamed).error());
            }
            outcome.detail = "renamed from \"" + existing.name + "\"";
        }
    } else {
        auto created = portal_.create_entity({action.external_key, action.name}, row.idempotency_key);
        if (created.has_error()) return unexpected(std::move(created).error());
        link.entity = created->object.id;
        link.origin = created->outcome == portal::CreateOutcome::AlreadyExisted ? store::Origin::Adopted
                                                                                : store::Origin::Created;
        outcome.label = created->outcome == portal::CreateOutcome::Created ? "ok" : std::string(to_string(created->outcome));
    }
    store_.save_entity_link(link);
    outcome.detail += (outcome.detail.empty() ? "" : "; ") + std::string("entity ") + link.entity.value();
    return outcome;
}

Expected<StepOutcome> Executor::rename_entity(const store::OutboxRow& row, const mapping::RenameEntity& action) {
    auto link = store_.entity_link(row.connector, row.client);
    if (!link) return fail(ErrorKind::Rejected, "the client has no portal entity to rename");
    if (link->name == action.name) return StepOutcome{"already done", "", std::nullopt};
    if (auto renamed = portal_.rename_entity(link->entity, action.name); renamed.has_error()) {
        return unexpected(std::move(renamed).error());
    }
    const std::string before = link->name;
    link->name = action.name;
    store_.save_entity_link(*link);
    return StepOutcome{"ok", "was \"" + before + "\"", std::nullopt};
}

Expected<StepOutcome> Executor::create_folder(const store::OutboxRow& row, const mapping::CreateFolder& action) {
    auto entity = linked_entity(row);
    if (entity.has_error()) return unexpected(std::move(entity).error());
    auto folder = folder_for(*entity, action.path);
    if (folder.has_error()) return unexpected(std::move(folder).error());
    return StepOutcome{"ok", "folder " + folder->value(), std::nullopt};
}

// ---- contacts ---------------------------------------------------------------------------------

StepOutcome Executor::record_contact(const store::OutboxRow& row, const portal::Contact& contact, store::Origin origin,
                                     bool invited_now, const mapping::CreateContact& action) {
    store::ContactRow saved;
    saved.email = action.email;
    saved.contact = contact.id;
    saved.first_name = action.first_name;
    saved.last_name = action.last_name;
    saved.origin = origin;
    if (contact.activated) {
        saved.state = store::ContactState::Activated;
    } else if (invited_now || contact.can_login) {
        saved.state = store::ContactState::Invited;
        saved.invited_at = clock_.now();
    } else {
        saved.state = store::ContactState::NotInvited;
    }
    if (auto previous = store_.contact_by_email(action.email); previous && previous->invited_at && !invited_now) {
        saved.invited_at = previous->invited_at;
    }
    store_.save_contact(saved);
    link_people(row.connector, row.client);
    StepOutcome outcome;
    outcome.detail = "contact " + contact.id.value();
    if (invited_now) {
        store_.count_invitation(action.email);
        outcome.invited = action.email;
        log_.info("invited {} ({} {}) for {}:{}", action.email, action.first_name, action.last_name, row.connector,
                  row.client);
    }
    return outcome;
}

Expected<StepOutcome> Executor::create_contact(const store::OutboxRow& row, const mapping::CreateContact& action) {
    if (auto named = check_named_by_export(row, action.email); named.has_error()) return unexpected(named.error());
    if (auto known = store_.contact_by_email(action.email); known && known->contact) {
        link_people(row.connector, row.client);  // created for another client: one contact, one invitation
        return StepOutcome{"already done", "contact " + known->contact->value(), std::nullopt};
    }
    auto entity = linked_entity(row);
    if (entity.has_error()) return unexpected(std::move(entity).error());

    // Search before creating: an existing contact is adopted, never duplicated.
    auto found = portal_.find_contact(action.email);
    if (found.has_error()) return unexpected(std::move(found).error());
    if (found->has_value()) {
        const portal::Contact existing = **found;
        const bool ours = row.attempts > 0;  // our earlier create was applied but its answer was lost
        const store::Origin origin = ours ? store::Origin::Created : store::Origin::Adopted;
        // An invitation gives the contact portal access, so one that has none was never invited:
        // whether the contact is ours (a mark says only that the create may have been sent) plays
        // no part in inviting it.
        if (existing.can_login || existing.activated || !action.invite) {
            StepOutcome outcome = record_contact(row, existing, origin, false, action);
            outcome.label = ours ? "recovered" : "adopted";
            return outcome;
        }
        // An existing contact without portal access: record it first, marked unconfirmed, so a crash
        // during the invitation leaves a visible state and can never lead to a second one.
        record_contact(row, existing, origin, false, action);
        auto pending = store_.contact_by_email(action.email);
        pending->state = store::ContactState::Failed;
        pending->last_error = "invitation sent " + format_utc(clock_.now()) +
                              " but not confirmed; check the portal before inviting again";
        store_.save_contact(*pending);
        if (auto invited = portal_.invite_contact(existing.id, action.invitation_message, row.idempotency_key);
            invited.has_error()) {
            if (invited.error().kind == ErrorKind::Conflict) {
                portal::Contact activated = existing;
                activated.activated = true;
                StepOutcome outcome = record_contact(row, activated, origin, false, action);
                outcome.label = "adopted";
                return outcome;
            }
            auto contact = store_.contact_by_email(action.email);
            contact->state = store::ContactState::Failed;
            contact->last_error = invited.error().message;
            store_.save_contact(*contact);
            return unexpected(invited.error());
        }
        StepOutcome outcome = record_contact(row, existing, origin, true, action);
        outcome.label = "adopted";
        outcome.detail += "; had no portal access, invited";
        return outcome;
    }

    auto created = portal_.create_contact(
        {action.email, action.first_name, action.last_name, *entity, action.invite, action.invitation_message},
        row.idempotency_key);
    if (created.has_error()) {
        store::ContactRow failed;
        failed.email = action.email;
        failed.first_name = action.first_name;
        failed.last_name = action.last_name;
        failed.state = store::ContactState::Failed;
        failed.last_error = created.error().message;
        store_.save_contact(failed);
        return unexpected(std::move(created).error());
    }
    const bool existed = created->outcome == portal::CreateOutcome::AlreadyExisted;
    StepOutcome outcome = record_contact(row, created->object, existed ? store::Origin::Adopted : store::Origin::Created,
                                         !existed && action.invite, action);
    outcome.label = created->outcome == portal::CreateOutcome::Created ? "ok" : std::string(to_string(created->outcome));
    return outcome;
}

Expected<StepOutcome> Executor::update_contact(const store::OutboxRow& row, const mapping::UpdateContact& action) {
    if (auto named = check_named_by_export(row, action.email); named.has_error()) return unexpected(named.error());
    auto contact = store_.contact_by_email(action.old_email);
    if (!contact || !contact->contact) {
        if (auto already = store_.contact_by_email(action.email); already && already->contact) {
            return StepOutcome{"already done", "", std::nullopt};
        }
        return fail(ErrorKind::Rejected, "no portal contact is known for " + action.old_email);
    }
    if (auto updated = portal_.update_contact(*contact->contact, {action.email, action.first_name, action.last_name});
        updated.has_error()) {
        return unexpected(std::move(updated).error());
    }
    if (action.old_email != action.email) store_.change_contact_email(*contact->contact, action.email);
    auto saved = store_.contact_by_id(*contact->contact);
    saved->first_name = action.first_name;
    saved->last_name = action.last_name;
    store_.save_contact(*saved);
    link_people(row.connector, row.client);
    return StepOutcome{"ok", action.old_email == action.email ? "names updated" : "was " + action.old_email, std::nullopt};
}

// ---- access -----------------------------------------------------------------------------------

Expected<StepOutcome> Executor::share_entity(const store::OutboxRow& row, const mapping::ShareEntity& action) {
    auto target = grant_target(row, action.email);
    if (target.has_error()) return unexpected(std::move(target).error());
    if (auto shared = portal_.share_entity(target->entity, target->contact, action.role); shared.has_error()) {
        return unexpected(std::move(shared).error());
    }
    store_.save_grant(row.connector, row.client, {target->contact, store::GrantKind::Role, action.role, ""});
    return StepOutcome{};
}

Expected<StepOutcome> Executor::add_to_group(const store::OutboxRow& row, const mapping::AddToGroup& action) {
    if (auto named = check_named_by_export(row, action.email); named.has_error()) return unexpected(named.error());
    auto contact = contact_for(action.email);
    if (contact.has_error()) return unexpected(std::move(contact).error());
    auto group = store_.group(action.group);
    if (!group) {
        auto ensured = portal_.ensure_group(action.group);
        if (ensured.has_error()) return unexpected(std::move(ensured).error());
        store_.save_group(action.group, *ensured);
        group = *ensured;
    }
    if (auto added = portal_.add_to_group(*group, *contact); added.has_error()) return unexpected(std::move(added).error());
    store_.save_grant(row.connector, row.client, {*contact, store::GrantKind::Group, action.group, ""});
    return StepOutcome{};
}

Expected<StepOutcome> Executor::set_folder_access(const store::OutboxRow& row, const mapping::SetFolderAccess& action) {
    auto target = grant_target(row, action.email);
    if (target.has_error()) return unexpected(std::move(target).error());
    auto folder = folder_for(target->entity, action.path);
    if (folder.has_error()) return unexpected(std::move(folder).error());
    if (auto set = portal_.set_folder_access(*folder, target->contact, to_portal(action.access)); set.has_error()) {
        return unexpected(std::move(set).error());
    }
    store_.save_grant(row.connector, row.client,
                      {target->contact, store::GrantKind::Folder, action.path, std::string(mapping::to_string(action.access))});
    return StepOutcome{};
}

// ---- taking access back ----------------------------------------------------------------------

Expected<StepOutcome> Executor::revoke_access(const store::OutboxRow& row, const mapping::RevokeAccess& action) {
    // The client came back, or the person is named again, since this was planned: keep the access.
    const auto snapshot = store_.snapshot_row(row.connector, row.client);
    if (snapshot && snapshot->absent_count == 0 && check_named_by_export(row, action.email).has_value()) {
        return StepOutcome{"skipped", action.email + " is named by the export again; access kept", std::nullopt};
    }
    const auto contact = store_.contact_by_email(action.email);
    const store::GrantKind kind = action.kind == "group"    ? store::GrantKind::Group
                                  : action.kind == "folder" ? store::GrantKind::Folder
                                                            : store::GrantKind::Role;
    // Grants are matched on contact, kind and target; the access level plays no part in deletion.
    const store::Grant grant{contact && contact->contact ? *contact->contact : ContactId(), kind, action.target, ""};
    const auto held = store_.grants(row.connector, row.client);
    const bool recorded = contact && contact->contact &&
                          std::any_of(held.begin(), held.end(), [&](const store::Grant& g) {
                              return g.contact == grant.contact && g.kind == grant.kind && g.target == grant.target;
                          });
    if (!recorded) return StepOutcome{"already done", "", std::nullopt};

    std::string detail;
    if (grant.kind == store::GrantKind::Group) {
        if (store_.grant_held_elsewhere(row.connector, row.client, grant)) {
            detail = "kept in the group: another of their clients uses it";
        } else if (const auto group = store_.group(action.target)) {
            if (auto removed = portal_.remove_from_group(*group, grant.contact); removed.has_error()) {
                return unexpected(std::move(removed).error());
            }
        }
    } else {
        auto entity = linked_entity(row);
        if (entity.has_error()) return unexpected(std::move(entity).error());
        if (grant.kind == store::GrantKind::Role) {
            if (auto unshared = portal_.unshare_entity(*entity, grant.contact, action.target); unshared.has_error()) {
                return unexpected(std::move(unshared).error());
            }
        } else if (const auto folder = store_.folder(*entity, action.target)) {
            if (auto set = portal_.set_folder_access(*folder, grant.contact, portal::FolderAccess::None); set.has_error()) {
                return unexpected(std::move(set).error());
            }
        }
    }
    store_.delete_grant(row.connector, row.client, grant);
    return StepOutcome{"ok", detail, std::nullopt};
}

Expected<StepOutcome> Executor::deactivate_contact(const store::OutboxRow& /*row*/,
                                                   const mapping::DeactivateContact& action) {
    const auto contact = store_.contact_by_email(action.email);
    if (!contact || !contact->contact) return StepOutcome{"already done", "no portal contact", std::nullopt};
    if (contact->state == store::ContactState::Deactivated) return StepOutcome{"already done", "", std::nullopt};
    if (store_.grant_count(*contact->contact) > 0) {
        return StepOutcome{"skipped", action.email + " still has access through another client", std::nullopt};
    }
    if (auto done = portal_.deactivate_contact(*contact->contact); done.has_error()) {
        return unexpected(std::move(done).error());
    }
    store_.set_contact_checked(action.email, store::ContactState::Deactivated);
    return StepOutcome{"ok", "login turned off", std::nullopt};
}

Expected<StepOutcome> Executor::invite_contact(const store::OutboxRow& row, const mapping::InviteContact& action) {
    if (auto named = check_named_by_export(row, action.email); named.has_error()) return unexpected(named.error());
    auto contact = store_.contact_by_email(action.email);
    if (!contact || !contact->contact) {
        return fail(ErrorKind::Rejected, "the portal contact for " + action.email + " does not exist yet");
    }
    if (contact->state == store::ContactState::Activated) {
        return StepOutcome{"already done", "the invitation was accepted", std::nullopt};
    }
    // Retried after a crash, the stored idempotency key makes the portal answer instead of mailing again.
    if (row.attempts > 0 && !portal_.capabilities().honours_idempotency_keys) {
        return fail(ErrorKind::Ambiguous, "an earlier attempt to invite " + action.email +
                                              " may have been sent; check the portal, then `taxsync invite " +
                                              row.client.value() + " --resend` if it was not");
    }
    if (auto invited = portal_.invite_contact(*contact->contact, action.invitation_message, row.idempotency_key);
        invited.has_error()) {
        if (invited.error().kind == ErrorKind::Conflict) {
            store_.set_contact_checked(action.email, store::ContactState::Activated);
            return StepOutcome{"already done", "the portal says the invitation was accepted", std::nullopt};
        }
        return unexpected(std::move(invited).error());
    }
    contact->state = store::ContactState::Invited;
    contact->last_error.clear();
    store_.save_contact(*contact);
    store_.count_invitation(action.email);
    log_.info("{} {} for {}:{}", action.reminder ? "sent the invitation again to" : "invited", action.email,
              row.connector, row.client);
    return StepOutcome{"ok", action.reminder ? "reminder" : "invitation", action.email};
}

// ---- document requests ------------------------------------------------------------------------

// One request per contact, so each gets its own message; a FileRequest grant (target: the tax
// year) is saved right after each, so a rerun after a crash or a partial failure skips it.
Expected<StepOutcome> Executor::request_files(const store::OutboxRow& row, const mapping::RequestFiles& action) {
    if (!portal_.capabilities().file_requests) {
        return fail(ErrorKind::Rejected, "this portal does not support file requests; disable [document_request]");
    }
    auto entity = linked_entity(row);
    if (entity.has_error()) return unexpected(std::move(entity).error());
    const auto grants = store_.grants(row.connector, row.client);
    StepOutcome outcome;
    std::size_t sent = 0;
    for (const mapping::FileRequestRecipient& recipient : action.recipients) {
        if (auto named = check_named_by_export(row, recipient.email); named.has_error())
            return unexpected(named.error());
        auto contact = contact_for(recipient.email);
        if (contact.has_error()) return unexpected(std::move(contact).error());
        const store::Grant done{*contact, store::GrantKind::FileRequest, action.tax_year, ""};
        if (grants.count(done) != 0) continue;
        const bool collaborator = std::any_of(grants.begin(), grants.end(), [&](const store::Grant& grant) {
            return grant.contact == *contact && grant.kind == store::GrantKind::Role &&
                   iequals_ascii(grant.target, mapping::kCollaboratorRole);
        });
        if (!collaborator) {
            return fail(ErrorKind::Rejected, recipient.email + " does not hold the \"" +
                                                 std::string(mapping::kCollaboratorRole) +
                                                 "\" role on this client's entity yet; no document request sent");
        }
        const portal::FileRequest request{
            *entity,           {*contact},           action.subject,    action.description,
            recipient.message, action.attach_folder, action.attach_file};
        auto result =
            portal_.request_files(request, row.idempotency_key + "-" + sha256_hex(recipient.email).substr(0, 16));
        if (result.has_error()) {
            Error error = std::move(result).error();
            if (error.kind == ErrorKind::Ambiguous) {
                // It may have been sent: never risk a second one. The log and the audit say so.
                store_.save_grant(row.connector, row.client, done);
                log_.warn(
                    "{}:{}: the answer to the document request for {} was lost; it is counted as sent, "
                    "check the portal",
                    row.connector, row.client, recipient.email);
                error.message += "; the document request for " + recipient.email +
                                 " is counted as sent and not repeated: check the portal";
            }
            return unexpected(std::move(error));
        }
        store_.save_grant(row.connector, row.client, done);
        ++sent;
        outcome.detail += (outcome.detail.empty() ? "" : "; ") + recipient.email + ": request " + result->id +
                          (result->attached ? " with attachment" : "") +
                          (result->note.empty() ? "" : " (" + result->note + ")");
        log_.info("requested documents for tax year {} from {} for {}:{}", action.tax_year, recipient.email,
                  row.connector, row.client);
    }
    if (sent == 0) outcome.label = "already done";
    return outcome;
}

}  // namespace taxsync::engine
