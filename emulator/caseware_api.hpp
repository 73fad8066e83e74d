#pragma once
// The CaseWare Cloud API v2 as fixed in shared/portal-dialects/caseware-cloud-v2.md: routing,
// authentication, Idempotency-Key, validation (400 naming the field), uniqueness (409) and the
// emails the portal would send. Paths here are relative to {firm}/ms/caseware-cloud/api/v2.
//
// A request goes through two steps so that injected latency can sit between them: admit()
// routes, authenticates and reserves the idempotency key (a retry arriving meanwhile gets 409);
// apply() performs the call in one SQLite transaction.

#include <chrono>
#include <optional>
#include <string>
#include <variant>

#include "core/clock.hpp"
#include "emulator/http_message.hpp"
#include "emulator/idempotency.hpp"
#include "emulator/portal_store.hpp"

namespace taxsync::emulator {

struct ApiRequest {
    std::string method;  // upper case
    std::string path;    // API-relative, e.g. "/users/{CWGuid}/invitations"
    QueryParameters query;
    std::optional<std::string> authorization;
    std::optional<std::string> idempotency_key;
    std::string body;
};

struct ApiCredentials {
    std::string client_id;
    std::string client_secret;
    std::chrono::seconds token_ttl{1800};
};

enum class Endpoint {
    IssueToken,
    ListEntities,
    CreateEntity,
    GetEntity,
    PatchEntity,
    ListRoleAssignments,
    AssignRoles,
    RemoveRoleAssignment,
    ListFolders,
    CreateFolder,
    ListUsers,
    CreateUser,
    GetUser,
    PatchUser,
    InviteUser,
    ListGroups,
    CreateGroup,
    GetGroup,
    AssignGroupUsers,
    ListRoles,
    GetFolder,
    GetFolderPermissions,
    SetFolderPermission,
    CreateActivity,
};

/// A routed, authenticated call whose idempotency key (if any) is reserved.
struct AdmittedCall {
    Endpoint endpoint = Endpoint::IssueToken;
    std::string resource_id;  // the {CWGuid} in the path, when there is one
    ApiRequest request;
    std::string scope;                           // client id the token belongs to
    std::optional<std::string> idempotency_key;  // normalised (sf-string quotes removed)
};

class CasewareApi {
public:
    CasewareApi(PortalStore& store, IdempotencyStore& idempotency, const Clock& clock, ApiCredentials credentials);

    /// Either the final answer (404, 401, a replay, 409/422 for a key) or a call to apply.
    std::variant<Reply, AdmittedCall> admit(ApiRequest request);
    Reply apply(const AdmittedCall& call);

private:
    Reply dispatch(const AdmittedCall& call);
    Reply issue_token(const ApiRequest& request);

    Reply list_entities(const ApiRequest& request);
    Reply create_entity(const ApiRequest& request);
    Reply get_entity(const std::string& id);
    Reply patch_entity(const std::string& id, const ApiRequest& request);
    Reply list_role_assignments(const std::string& entity_id, const ApiRequest& request);
    Reply assign_roles(const std::string& entity_id, const ApiRequest& request);
    Reply remove_role_assignment(const std::string& entity_id, const ApiRequest& request);
    Reply list_folders(const std::string& entity_id, const ApiRequest& request);
    Reply create_folder(const std::string& entity_id, const ApiRequest& request);

    Reply list_users(const ApiRequest& request);
    Reply create_user(const ApiRequest& request);
    Reply get_user(const std::string& id);
    Reply patch_user(const std::string& id, const ApiRequest& request);
    Reply invite_user(const std::string& id, const ApiRequest& request);

    Reply list_groups(const ApiRequest& request);
    Reply create_group(const ApiRequest& request);
    Reply get_group(const std::string& id);
    Reply assign_group_users(const std::string& id, const ApiRequest& request);

    Reply list_roles(const ApiRequest& request);
    Reply get_folder(const std::string& id);
    Reply get_folder_permissions(const std::string& id, const ApiRequest& request);
    Reply set_folder_permission(const std::string& id, const ApiRequest& request);
    Reply create_activity(const ApiRequest& request);

    void require_entity(const std::string& id);
    void require_user_ids(const std::vector<std::string>& ids, std::string_view field);

    PortalStore& store_;
    IdempotencyStore& idempotency_;
    const Clock& clock_;
    ApiCredentials credentials_;
};

}  // namespace taxsync::emulator
