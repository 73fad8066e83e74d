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

Expected<FileRequestResult> Portal::request_files(const FileRequest& /*request*/,
                                                  std::string_view /*idempotency_key*/) {
    return fail(ErrorKind::Rejected, "this portal does not support file requests");
}

}  // namespace taxsync::portal
