#include "engine/store_lock.hpp"

namespace taxsync::engine {

Status PortalOutsideStoreLock::connect() {
    return unlocked([&] { return inner_.connect(); });
}

Expected<std::optional<portal::Entity>> PortalOutsideStoreLock::find_entity(std::string_view external_key) {
    return unlocked([&] { return inner_.find_entity(external_key); });
}

Expected<portal::CreateResult<portal::Entity>> PortalOutsideStoreLock::create_entity(const portal::NewEntity& entity,
                                                                                     std::string_view idempotency_key) {
    return unlocked([&] { return inner_.create_entity(entity, idempotency_key); });
}

Status PortalOutsideStoreLock::rename_entity(const EntityId& entity, std::string_view name) {
    return unlocked([&] { return inner_.rename_entity(entity, name); });
}

Expected<std::optional<portal::Contact>> PortalOutsideStoreLock::find_contact(std::string_view email) {
    return unlocked([&] { return inner_.find_contact(email); });
}

Expected<portal::CreateResult<portal::Contact>> PortalOutsideStoreLock::create_contact(
    const portal::NewContact& contact, std::string_view idempotency_key) {
    return unlocked([&] { return inner_.create_contact(contact, idempotency_key); });
}

Status PortalOutsideStoreLock::update_contact(const ContactId& contact, const portal::ContactChanges& changes) {
    return unlocked([&] { return inner_.update_contact(contact, changes); });
}

Status PortalOutsideStoreLock::invite_contact(const ContactId& contact, std::string_view message,
                                              std::string_view idempotency_key) {
    return unlocked([&] { return inner_.invite_contact(contact, message, idempotency_key); });
}

Status PortalOutsideStoreLock::share_entity(const EntityId& entity, const ContactId& contact, std::string_view role) {
    return unlocked([&] { return inner_.share_entity(entity, contact, role); });
}

Expected<GroupId> PortalOutsideStoreLock::ensure_group(std::string_view name) {
    return unlocked([&] { return inner_.ensure_group(name); });
}

Status PortalOutsideStoreLock::add_to_group(const GroupId& group, const ContactId& contact) {
    return unlocked([&] { return inner_.add_to_group(group, contact); });
}

Expected<FolderId> PortalOutsideStoreLock::ensure_folder(const EntityId& entity, std::string_view path) {
    return unlocked([&] { return inner_.ensure_folder(entity, path); });
}

Status PortalOutsideStoreLock::set_folder_access(const FolderId& folder, const ContactId& contact,
                                                 portal::FolderAccess access) {
    return unlocked([&] { return inner_.set_folder_access(folder, contact, access); });
}

Status PortalOutsideStoreLock::unshare_entity(const EntityId& entity, const ContactId& contact, std::string_view role) {
    return unlocked([&] { return inner_.unshare_entity(entity, contact, role); });
}

Status PortalOutsideStoreLock::remove_from_group(const GroupId& group, const ContactId& contact) {
    return unlocked([&] { return inner_.remove_from_group(group, contact); });
}

Status PortalOutsideStoreLock::deactivate_contact(const ContactId& contact) {
    return unlocked([&] { return inner_.deactivate_contact(contact); });
}

Expected<std::vector<portal::Share>> PortalOutsideStoreLock::entity_shares(const EntityId& entity) {
    return unlocked([&] { return inner_.entity_shares(entity); });
}

Expected<std::map<ContactId, portal::FolderAccess>> PortalOutsideStoreLock::folder_access(const FolderId& folder) {
    return unlocked([&] { return inner_.folder_access(folder); });
}

Expected<portal::FileRequestResult> PortalOutsideStoreLock::request_files(const portal::FileRequest& request,
                                                                          std::string_view idempotency_key) {
    return unlocked([&] { return inner_.request_files(request, idempotency_key); });
}

Expected<portal::EmailTemplate> PortalOutsideStoreLock::invitation_template() {
    return unlocked([&] { return inner_.invitation_template(); });
}

Status PortalOutsideStoreLock::set_invitation_template(const portal::EmailTemplate& text) {
    return unlocked([&] { return inner_.set_invitation_template(text); });
}

}  // namespace taxsync::engine
