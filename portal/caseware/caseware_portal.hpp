#pragma once
// CaseWare Cloud API v2, as fixed by portal-dialects/caseware-cloud-v2.md. Every endpoint is
// written once, in caseware_portal.cpp, marked documented or assumed.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/logger.hpp"
#include "portal/http.hpp"
#include "portal/portal.hpp"
#include "portal/retry.hpp"

namespace taxsync::portal::caseware {

struct Settings {
    std::string base_url;  // https://{region}.casewarecloud.com/{firm}
    std::string client_id;
    std::string client_secret;
    std::string language = "en";
    std::chrono::minutes token_lifetime{30};
    std::chrono::minutes renew_before{5};  // renew this long before the token expires
    bool honours_idempotency_keys = false;
    RetryPolicy retry;
    std::uint64_t jitter_seed = 0;
};

/// The sign-in to one portal, shared by the adapters of the workers that apply in parallel: one
/// token for all of them, renewed by whichever worker needs it first while the others wait.
class Session {
private:
    friend class CasewarePortal;
    struct Token {
        std::string value;
        SteadyTime expires_at{};
        std::uint64_t generation = 0;  // which sign-in gave it
    };
    std::mutex mutex_;
    std::optional<Token> token_;
    std::uint64_t sign_ins_ = 0;
};

class CasewarePortal final : public Portal {
public:
    /// `session`: shared with the other adapters of the same portal; a new one when not given.
    CasewarePortal(Settings settings, HttpClient& http, Clock& clock, const Logger& log,
                   std::shared_ptr<Session> session = std::make_shared<Session>());

    [[nodiscard]] std::string_view dialect() const override { return "caseware-cloud"; }
    [[nodiscard]] const Capabilities& capabilities() const override { return capabilities_; }
    Status connect() override;

    Expected<std::optional<Entity>> find_entity(std::string_view external_key) override;
    Expected<CreateResult<Entity>> create_entity(const NewEntity& entity, std::string_view idempotency_key) override;
    Status rename_entity(const EntityId& entity, std::string_view name) override;

    Expected<std::optional<Contact>> find_contact(std::string_view email) override;
    Expected<CreateResult<Contact>> create_contact(const NewContact& contact, std::string_view idempotency_key) override;
    Status update_contact(const ContactId& contact, const ContactChanges& changes) override;
    Status invite_contact(const ContactId& contact, std::string_view message, std::string_view idempotency_key) override;

    Status share_entity(const EntityId& entity, const ContactId& contact, std::string_view role) override;
    Expected<GroupId> ensure_group(std::string_view name) override;
    Status add_to_group(const GroupId& group, const ContactId& contact) override;
    Expected<FolderId> ensure_folder(const EntityId& entity, std::string_view path) override;
    Status set_folder_access(const FolderId& folder, const ContactId& contact, FolderAccess access) override;
    Status unshare_entity(const EntityId& entity, const ContactId& contact, std::string_view role) override;
    Status remove_from_group(const GroupId& group, const ContactId& contact) override;
    Status deactivate_contact(const ContactId& contact) override;
    Expected<std::vector<Share>> entity_shares(const EntityId& entity) override;
    Expected<std::map<ContactId, FolderAccess>> folder_access(const FolderId& folder) override;
    Expected<FileRequestResult> request_files(const FileRequest& request, std::string_view idempotency_key) override;

private:
    struct FolderEntry {
        std::string id;
        std::string name;
        std::string parent;  // empty at the entity's top
    };
    Expected<std::vector<FolderEntry>> list_folders(const EntityId& entity);
    /// The CWGuid of a file in a folder of the entity; none when the folder or the file is missing.
    Expected<std::optional<std::string>> find_document(const EntityId& entity, std::string_view folder_path,
                                                       std::string_view file_name);

    /// One API call with auth, retries and a single token renewal on 401.
    Expected<HttpResponse> call(std::string_view method, const std::string& path, const std::string* body,
                                Replay replay, std::string_view idempotency_key = {});
    /// The session's token, signing in first when there is none, it is about to expire, or it is
    /// the one the portal just refused (`refused`: the generation of that token).
    Expected<Session::Token> usable_token(std::optional<std::uint64_t> refused = std::nullopt);
    /// POST /auth/token: the new token's value.
    Expected<std::string> sign_in();
    /// GET /<resource>?search=<field>='<value>'; at most one match is expected, two are a conflict.
    Expected<std::optional<nlohmann::json>> search_unique(std::string_view resource, std::string_view field,
                                                          std::string_view value);
    Status load_roles();
    Expected<std::string> role_id(std::string_view role_name);
    /// Runs a create; on a conflict or a lost answer, `lookup` decides what exists.
    template <class T, class Lookup, class Parse>
    Expected<CreateResult<T>> create_with_lookup(const std::string& path, const std::string& body,
                                                 std::string_view idempotency_key, Lookup lookup, Parse parse);

    Settings settings_;
    HttpClient& http_;
    Clock& clock_;
    const Logger& log_;
    Backoff backoff_;
    Capabilities capabilities_;
    std::shared_ptr<Session> session_;
    std::map<std::string, std::string, std::less<>> role_ids_;  // role name -> CWGuid, read once
};

/// A search expression for the `search=` parameter: Field='value' with ' and \ escaped.
std::string search_equals(std::string_view field, std::string_view value);

}  // namespace taxsync::portal::caseware
