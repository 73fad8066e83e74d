#include "portal/portal.hpp"

namespace taxsync::portal {

std::string_view to_string(FolderAccess access) {
    switch (access) {
        case FolderAccess::None: return "none";
        case FolderAccess::Read: return "read";
        case FolderAccess::Upload: return "upload";
    }
    return "none";
}

std::optional<FolderAccess> folder_access_from(std::string_view text) {
    if (text == "none") return FolderAccess::None;
    if (text == "read") return FolderAccess::Read;
    if (text == "upload") return FolderAccess::Upload;
    return std::nullopt;
}

std::string_view to_string(CreateOutcome outcome) {
    switch (outcome) {
        case CreateOutcome::Created: return "created";
        case CreateOutcome::Recovered: return "recovered";
        case CreateOutcome::AlreadyExisted: return "already existed";
    }
    return "created";
}

Status Portal::unshare_entity(const EntityId& /*entity*/, const ContactId& /*contact*/, std::string_view /*role*/) {
    return fail(ErrorKind::Rejected, "the " + std::string(dialect()) + " portal cannot take back an entity share");
}

Status Portal::remove_from_group(const GroupId& /*group*/, const ContactId& /*contact*/) {
    return fail(ErrorKind::Rejected, "the " + std::string(dialect()) + " portal cannot remove a contact from a group");
}

Status Portal::deactivate_contact(const ContactId& /*contact*/) {
    return fail(ErrorKind::Rejected, "the " + std::string(dialect()) + " portal cannot turn off a contact's login");
}

Expected<std::vector<Share>> Portal::entity_shares(const EntityId& /*entity*/) {
    return fail(ErrorKind::Rejected, "the " + std::string(dialect()) + " portal cannot list an entity's shares");
}

Expected<std::map<ContactId, FolderAccess>> Portal::folder_access(const FolderId& /*folder*/) {
    return fail(ErrorKind::Rejected, "the " + std::string(dialect()) + " portal cannot list a folder's permissions");
}

Expected<FileRequestResult> Portal::request_files(const FileRequest& /*request*/,
                                                  std::string_view /*idempotency_key*/) {
    return fail(ErrorKind::Rejected, "this portal does not support file requests");
}

std::vector<std::string> limitations(const Capabilities& capabilities) {
    std::vector<std::string> out;
    if (!capabilities.invitation_on_create) {
        out.emplace_back("the invitation goes out when a contact is given access to a client, not when it is created");
    }
    if (!capabilities.contact_groups) out.emplace_back("no firm-wide contact groups: group rules cannot be applied");
    if (!capabilities.per_contact_folder_access) {
        out.emplace_back("folder access is per group: every contact of a client gets the same access to a folder");
    }
    if (!capabilities.entity_roles) out.emplace_back("no roles on a client: sharing gives the portal's one client access");
    if (!capabilities.invitation_message) {
        out.emplace_back("the invitation uses the portal's own email template (see `taxsync portal template show`), "
                         "not the configured message");
    }
    if (!capabilities.contact_email_change) {
        out.emplace_back("a changed email updates the contact record; the person's existing login keeps its address");
    }
    if (!capabilities.delete_entities) out.emplace_back("clients cannot be deleted: removal means archive");
    return out;
}

Expected<EmailTemplate> Portal::invitation_template() {
    return fail(ErrorKind::Rejected, "the " + std::string(dialect()) + " portal has no invitation email template to read");
}

Status Portal::set_invitation_template(const EmailTemplate&) {
    return fail(ErrorKind::Rejected, "the " + std::string(dialect()) + " portal has no invitation email template to update");
}

}  // namespace taxsync::portal
