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

}  // namespace taxsync::portal
