#include "portal/caseware/caseware_portal.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "core/digest.hpp"
#include "core/text.hpp"

namespace taxsync::portal::caseware {
namespace {

using nlohmann::json;

constexpr std::string_view kApiRoot = "/ms/caseware-cloud/api/v2";
constexpr std::size_t kWelcomeMessageLimit = 256;  // documented: New User Welcome Message, 256 characters

std::string error_text(const HttpResponse& response) {
    // documented error body: {"errors":[{"message":"..."}]}
    const json body = json::parse(response.body, nullptr, false);
    if (body.is_object() && body.contains("errors") && body["errors"].is_array() && !body["errors"].empty()) {
        const json& first = body["errors"][0];
        if (first.is_object() && first.contains("message") && first["message"].is_string()) {
            return first["message"].get<std::string>();
        }
    }
    return std::string(trim(response.body.substr(0, 200)));
}

Expected<json> parse_body(const HttpResponse& response, std::string_view what) {
    json body = json::parse(response.body, nullptr, false);
    if (body.is_discarded()) {
        return fail(ErrorKind::Internal, "the portal's answer to " + std::string(what) + " is not JSON");
    }
    return body;
}

Expected<std::string> guid_of(const json& object, std::string_view what) {
    if (!object.is_object() || !object.contains("CWGuid") || !object["CWGuid"].is_string() ||
        object["CWGuid"].get<std::string>().empty()) {
        return fail(ErrorKind::Internal, "the portal's answer to " + std::string(what) + " has no CWGuid");
    }
    return object["CWGuid"].get<std::string>();
}

std::string text_field(const json& object, const char* name) {
    return object.contains(name) && object[name].is_string() ? object[name].get<std::string>() : std::string();
}

bool bool_field(const json& object, const char* name) {
    return object.contains(name) && object[name].is_boolean() && object[name].get<bool>();
}

Expected<Entity> entity_from(const json& object) {
    auto id = guid_of(object, "an entity request");
    if (id.has_error()) return unexpected(std::move(id).error());
    return Entity{EntityId(*id), text_field(object, "EntityNo"), text_field(object, "Name")};
}

Expected<Contact> contact_from(const json& object) {
    auto id = guid_of(object, "a user request");
    if (id.has_error()) return unexpected(std::move(id).error());
    return Contact{ContactId(*id),
                   normalize_email(text_field(object, "Email")),
                   text_field(object, "FirstName"),
                   text_field(object, "LastName"),
                   bool_field(object, "CanLogin"),
                   bool_field(object, "Activated")};
}

std::string key_for(std::string_view kind, std::string_view identity) {
    return "taxsync-" + std::string(kind) + "-" + sha256_hex(identity).substr(0, 32);
}

}  // namespace

std::string search_equals(std::string_view field, std::string_view value) {
    // documented: strings in single quotes, ' and \ escaped with a backslash
    std::string quoted;
    for (char c : value) {
        if (c == '\'' || c == '\\') quoted.push_back('\\');
        quoted.push_back(c);
    }
    return std::string(field) + "='" + quoted + "'";
}

CasewarePortal::CasewarePortal(Settings settings, HttpClient& http, Clock& clock, const Logger& log,
                               std::shared_ptr<Session> session)
    : settings_(std::move(settings)),
      http_(http),
      clock_(clock),
      log_(log),
      backoff_(settings_.retry, settings_.jitter_seed),
      session_(std::move(session)) {
    capabilities_.invitation_on_create = true;
    capabilities_.honours_idempotency_keys = settings_.honours_idempotency_keys;
    capabilities_.revokes_access = true;
    capabilities_.deactivates_contacts = true;
    capabilities_.reads_access_back = true;
    capabilities_.file_requests = true;
    settings_.base_url = std::string(without_trailing_slashes(settings_.base_url));
}

// ---- transport --------------------------------------------------------------------------------

Expected<std::string> CasewarePortal::sign_in() {
    // documented: POST /auth/token {"ClientId","ClientSecret","Language"} -> 200 {"Token"}, 30 minutes
    const std::string body =
        json{{"ClientId", settings_.client_id}, {"ClientSecret", settings_.client_secret}, {"Language", settings_.language}}
            .dump();
    HttpRequest request{"POST", settings_.base_url + std::string(kApiRoot) + "/auth/token",
                        {{"Content-Type", "application/json"}, {"Accept", "application/json"}}, body};
    auto response = run_with_retries(backoff_, clock_, [&](int) {
        return classify_attempt(http_.send(request), Replay::Safe, false, clock_.now(), error_text);
    });
    if (response.has_error()) {
        Error error = std::move(response).error();
        if (error.kind == ErrorKind::Unauthorized || error.kind == ErrorKind::Rejected) {
            error.kind = ErrorKind::Unauthorized;
            error.message = "the portal refused the API credentials of client id '" + settings_.client_id +
                            "' (" + error.message + "); check client_id and the secret file";
        } else {
            error.message = "cannot sign in to the portal: " + error.message;
        }
        return unexpected(std::move(error));
    }
    auto parsed = parse_body(*response, "the sign-in");
    if (parsed.has_error()) return unexpected(std::move(parsed).error());
    std::string token = text_field(*parsed, "Token");
    if (token.empty()) return fail(ErrorKind::Internal, "the portal's sign-in answer has no Token");
    log_.debug("signed in to the portal; token valid for {} minutes", settings_.token_lifetime.count());
    return token;
}

Expected<Session::Token> CasewarePortal::usable_token(std::optional<std::uint64_t> refused) {
    // Held while signing in, so workers that need a token meanwhile wait for this one.
    const std::scoped_lock lock(session_->mutex_);
    std::optional<Session::Token>& current = session_->token_;
    if (current && clock_.steady_now() + settings_.renew_before < current->expires_at &&
        current->generation != refused) {
        return *current;
    }
    auto value = sign_in();
    if (value.has_error()) return unexpected(std::move(value).error());
    current =
        Session::Token{std::move(value).value(), clock_.steady_now() + settings_.token_lifetime, ++session_->sign_ins_};
    return *current;
}

Status CasewarePortal::connect() {
    auto token = usable_token();
    if (token.has_error()) return unexpected(std::move(token).error());
    return ok();
}

Expected<HttpResponse> CasewarePortal::call(std::string_view method, const std::string& path, const std::string* body,
                                            Replay replay, std::string_view idempotency_key) {
    const std::string url = settings_.base_url + std::string(kApiRoot) + path;
    const std::string path_only = path.substr(0, path.find('?'));
    bool renewed_after_refusal = false;
    std::optional<std::uint64_t> refused;  // the token the portal refused, when it did
    return run_with_retries(backoff_, clock_, [&](int attempt) -> AttemptResult {
        while (true) {
            auto token = usable_token(refused);
            if (token.has_error()) return {std::nullopt, token.error(), false, {}};
            HttpRequest request{std::string(method), url, {}, body != nullptr ? *body : std::string()};
            request.never_resend = replay == Replay::Unsafe && !settings_.honours_idempotency_keys;
            request.headers = {{"Authorization", "Bearer " + token->value}, {"Accept", "application/json"}};
            if (body != nullptr) request.headers.emplace_back("Content-Type", "application/json");
            if (!idempotency_key.empty()) {
                // IETF draft: the key is a structured-field string
                request.headers.emplace_back("Idempotency-Key", "\"" + std::string(idempotency_key) + "\"");
            }
            const SteadyTime started = clock_.steady_now();
            auto outcome = http_.send(request);
            const auto elapsed = std::chrono::duration_cast<Millis>(clock_.steady_now() - started).count();
            if (outcome.has_value()) {
                log_.debug("{} {} -> {} in {} ms (attempt {})", method, path_only, outcome->status, elapsed, attempt);
            } else {
                log_.debug("{} {} -> {} (attempt {})", method, path_only, outcome.error().message, attempt);
            }
            // An expired or revoked token is not the request's fault: renew once and send again.
            if (outcome.has_value() && outcome->status == 401 && !renewed_after_refusal) {
                renewed_after_refusal = true;
                refused = token->generation;  // renewed, unless another worker has done so meanwhile
                continue;
            }
            return classify_attempt(outcome, replay, settings_.honours_idempotency_keys, clock_.now(), error_text);
        }
    });
}

template <class T, class Lookup, class Parse>
Expected<CreateResult<T>> CasewarePortal::create_with_lookup(const std::string& path, const std::string& body,
                                                             std::string_view idempotency_key, Lookup lookup,
                                                             Parse parse) {
    bool ours_may_exist = false;  // an earlier attempt here may have been applied
    for (int round = 1;; ++round) {
        auto response = call("POST", path, &body, Replay::Unsafe, idempotency_key);
        if (response.has_value()) {
            auto parsed = parse_body(*response, "POST " + path);
            if (parsed.has_error()) return unexpected(std::move(parsed).error());
            auto object = parse(*parsed);
            if (object.has_error()) return unexpected(std::move(object).error());
            return CreateResult<T>{std::move(object).value(), CreateOutcome::Created};
        }
        Error error = std::move(response).error();
        if (error.kind != ErrorKind::Conflict && !is_transient(error.kind)) return unexpected(std::move(error));
        // A conflict means it exists; a lost answer means it may. Either way, look before acting again.
        auto found = lookup();
        if (found.has_error()) return unexpected(std::move(found).error());
        if (found->has_value()) {
            const bool recovered = ours_may_exist || error.kind != ErrorKind::Conflict;
            return CreateResult<T>{std::move(**found), recovered ? CreateOutcome::Recovered : CreateOutcome::AlreadyExisted};
        }
        ours_may_exist = ours_may_exist || error.kind != ErrorKind::Conflict;
        // A conflict with nothing to find: an earlier attempt (ours, or the key's first use) is most
        // likely still being processed by a slow portal. Wait and look again; never create blindly.
        const auto delay = backoff_.next_delay(round, std::nullopt);
        if (!delay) {
            if (error.kind == ErrorKind::Conflict) {
                return fail(ErrorKind::Ambiguous, "the portal reports a conflict on POST " + path +
                                                      " but a search finds nothing, even after waiting: " +
                                                      error.message);
            }
            return unexpected(std::move(error));
        }
        log_.warn("POST {} {} ({}); nothing found yet, trying again", path,
                  error.kind == ErrorKind::Conflict ? "conflicts" : "may not have been applied", error.message);
        clock_.sleep_for(*delay);
    }
}

// ---- entities ---------------------------------------------------------------------------------

Expected<std::optional<json>> CasewarePortal::search_unique(std::string_view resource, std::string_view field,
                                                            std::string_view value) {
    // documented: GET /<resource>?search=<Field>='<value>'; a page of two tells one match from several
    auto response = call("GET", "/" + std::string(resource) + "?pageSize=2&search=" + url_encode(search_equals(field, value)),
                         nullptr, Replay::Safe);
    if (response.has_error()) return unexpected(std::move(response).error());
    auto list = parse_body(*response, "a search of " + std::string(resource));
    if (list.has_error()) return unexpected(std::move(list).error());
    if (!list->is_array()) {
        return fail(ErrorKind::Internal, "the portal's search of " + std::string(resource) + " did not return a list");
    }
    if (list->empty()) return std::optional<json>();
    if (list->size() > 1) {
        return fail(ErrorKind::Conflict, "the portal has several " + std::string(resource) + " with " +
                                             std::string(field) + " '" + std::string(value) +
                                             "'; resolve the duplicate in the portal");
    }
    return std::optional<json>((*list)[0]);
}

Expected<std::optional<Entity>> CasewarePortal::find_entity(std::string_view external_key) {
    auto found = search_unique("entities", "EntityNo", external_key);
    if (found.has_error()) return unexpected(std::move(found).error());
    if (!found->has_value()) return std::optional<Entity>();
    auto entity = entity_from(**found);
    if (entity.has_error()) return unexpected(std::move(entity).error());
    return std::optional<Entity>(std::move(entity).value());
}

Expected<CreateResult<Entity>> CasewarePortal::create_entity(const NewEntity& entity, std::string_view idempotency_key) {
    // assumed: POST /entities {"Name","EntityNo","EntityType":"Client"} -> 201 {"CWGuid"}; 409 on EntityNo
    const std::string body =
        json{{"Name", entity.name}, {"EntityNo", entity.external_key}, {"EntityType", "Client"}}.dump();
    return create_with_lookup<Entity>(
        "/entities", body, idempotency_key, [&] { return find_entity(entity.external_key); },
        [&](const json& answer) -> Expected<Entity> {
            auto made = entity_from(answer);
            if (made.has_value() && made->external_key.empty()) made->external_key = entity.external_key;
            if (made.has_value() && made->name.empty()) made->name = entity.name;
            return made;
        });
}

Status CasewarePortal::rename_entity(const EntityId& entity, std::string_view name) {
    // assumed: PATCH /entities/{CWGuid} with the changed fields
    const std::string body = json{{"Name", name}}.dump();
    auto response = call("PATCH", "/entities/" + entity.value(), &body, Replay::Safe);
    if (response.has_error()) return unexpected(std::move(response).error());
    return ok();
}

// ---- contacts ---------------------------------------------------------------------------------

Expected<std::optional<Contact>> CasewarePortal::find_contact(std::string_view email) {
    auto found = search_unique("users", "Email", email);
    if (found.has_error()) return unexpected(std::move(found).error());
    if (!found->has_value()) return std::optional<Contact>();
    if (const std::string owner = text_field(**found, "OwnerType"); !owner.empty() && owner != "Contact") {
        // A staff member's address in a client's record: never make a firm user the client's contact.
        return fail(ErrorKind::Conflict, "the address " + std::string(email) + " belongs to a portal user of type " +
                                             owner + ", not a client contact");
    }
    auto contact = contact_from(**found);
    if (contact.has_error()) return unexpected(std::move(contact).error());
    return std::optional<Contact>(std::move(contact).value());
}

Expected<CreateResult<Contact>> CasewarePortal::create_contact(const NewContact& contact,
                                                               std::string_view idempotency_key) {
    if (contact.invitation_message.size() > kWelcomeMessageLimit) {
        return fail(ErrorKind::Rejected, "the invitation message has " + std::to_string(contact.invitation_message.size()) +
                                             " characters; CaseWare Cloud allows 256");
    }
    // assumed: POST /users; with CanLogin and SendWelcomeEmail the portal sends the onboarding email,
    // which is the invitation.
    json body = {{"FirstName", contact.first_name},
                 {"LastName", contact.last_name},
                 {"Email", contact.email},
                 {"OwnerType", "Contact"},
                 {"EntityId", contact.home_entity.value()},
                 {"CanLogin", contact.invite},
                 {"SendWelcomeEmail", contact.invite}};
    if (contact.invite) body["WelcomeMessage"] = contact.invitation_message;
    return create_with_lookup<Contact>(
        "/users", body.dump(), idempotency_key, [&] { return find_contact(contact.email); }, contact_from);
}

Status CasewarePortal::update_contact(const ContactId& contact, const ContactChanges& changes) {
    // documented: OwnerType must be present in every PATCH
    const std::string body = json{{"OwnerType", "Contact"},
                                  {"FirstName", changes.first_name},
                                  {"LastName", changes.last_name},
                                  {"Email", changes.email}}
                                 .dump();
    auto response = call("PATCH", "/users/" + contact.value(), &body, Replay::Safe);
    if (response.has_error()) return unexpected(std::move(response).error());
    return ok();
}

Status CasewarePortal::invite_contact(const ContactId& contact, std::string_view message,
                                      std::string_view idempotency_key) {
    if (message.size() > kWelcomeMessageLimit) {
        return fail(ErrorKind::Rejected, "the invitation message is longer than CaseWare Cloud's 256 characters");
    }
    const std::string enable = json{{"OwnerType", "Contact"}, {"CanLogin", true}}.dump();
    if (auto response = call("PATCH", "/users/" + contact.value(), &enable, Replay::Safe); response.has_error()) {
        return unexpected(std::move(response).error());
    }
    // assumed: POST /users/{id}/invitations -> 202 sends the onboarding email; 409 when activated
    const std::string body = json{{"WelcomeMessage", message}}.dump();
    auto response = call("POST", "/users/" + contact.value() + "/invitations", &body, Replay::Unsafe, idempotency_key);
    if (response.has_error()) return unexpected(std::move(response).error());
    return ok();
}

// ---- access -----------------------------------------------------------------------------------

Status CasewarePortal::load_roles() {
    if (!role_ids_.empty()) return ok();
    // documented: GET /roles -> [{"CWGuid","Name"}]
    auto response = call("GET", "/roles?pageSize=1000", nullptr, Replay::Safe);
    if (response.has_error()) return unexpected(std::move(response).error());
    auto list = parse_body(*response, "the role list");
    if (list.has_error()) return unexpected(std::move(list).error());
    for (const json& role : *list) {
        const std::string id = text_field(role, "CWGuid");
        if (!id.empty()) role_ids_[text_field(role, "Name")] = id;
    }
    return ok();
}

Expected<std::string> CasewarePortal::role_id(std::string_view role_name) {
    if (auto loaded = load_roles(); loaded.has_error()) return unexpected(std::move(loaded).error());
    const auto found = role_ids_.find(role_name);
    if (found == role_ids_.end()) {
        return fail(ErrorKind::Rejected, "the portal has no role named '" + std::string(role_name) + "'");
    }
    return found->second;
}

Status CasewarePortal::share_entity(const EntityId& entity, const ContactId& contact, std::string_view role) {
    auto role_guid = role_id(role);
    if (role_guid.has_error()) return unexpected(std::move(role_guid).error());
    // assumed: POST /entities/{id}/role-assignments {"RoleId","People"}; repeating it is a no-op
    const std::string body = json{{"RoleId", *role_guid}, {"People", json::array({contact.value()})}}.dump();
    auto response = call("POST", "/entities/" + entity.value() + "/role-assignments", &body, Replay::Safe);
    if (response.has_error()) return unexpected(std::move(response).error());
    return ok();
}

Expected<GroupId> CasewarePortal::ensure_group(std::string_view name) {
    const auto lookup = [&]() -> Expected<std::optional<GroupId>> {
        auto found = search_unique("groups", "Name", name);
        if (found.has_error()) return unexpected(std::move(found).error());
        if (!found->has_value()) return std::optional<GroupId>();
        auto id = guid_of(**found, "a group search");
        if (id.has_error()) return unexpected(std::move(id).error());
        return std::optional<GroupId>(GroupId(*id));
    };
    auto existing = lookup();
    if (existing.has_error()) return unexpected(std::move(existing).error());
    if (existing->has_value()) return **existing;
    // assumed: POST /groups {"Name","Description","GroupType":"Contact"} -> 201; 409 on a duplicate name
    const std::string body =
        json{{"Name", name}, {"Description", "Contact group managed by taxsync"}, {"GroupType", "Contact"}}.dump();
    auto created = create_with_lookup<GroupId>("/groups", body, key_for("group", name), lookup,
                                               [](const json& answer) -> Expected<GroupId> {
                                                   auto id = guid_of(answer, "a group request");
                                                   if (id.has_error()) return unexpected(std::move(id).error());
                                                   return GroupId(*id);
                                               });
    if (created.has_error()) return unexpected(std::move(created).error());
    return created->object;
}

Status CasewarePortal::unshare_entity(const EntityId& entity, const ContactId& contact, std::string_view role) {
    auto role_guid = role_id(role);
    if (role_guid.has_error()) return unexpected(std::move(role_guid).error());
    // assumed: DELETE /entities/{id}/role-assignments?RoleId=..&PersonId=.. -> 204
    auto response = call("DELETE",
                         "/entities/" + entity.value() + "/role-assignments?RoleId=" + url_encode(*role_guid) +
                             "&PersonId=" + url_encode(contact.value()),
                         nullptr, Replay::Safe);
    if (response.has_error() && response.error().kind != ErrorKind::NotFound) return unexpected(std::move(response).error());
    return ok();
}

Expected<std::vector<Share>> CasewarePortal::entity_shares(const EntityId& entity) {
    if (auto loaded = load_roles(); loaded.has_error()) return unexpected(std::move(loaded).error());
    // documented: GET /entities/{id}/role-assignments -> [{"RoleId","PersonId"}]
    auto response = call("GET", "/entities/" + entity.value() + "/role-assignments", nullptr, Replay::Safe);
    if (response.has_error()) return unexpected(std::move(response).error());
    auto list = parse_body(*response, "the entity's role assignments");
    if (list.has_error()) return unexpected(std::move(list).error());
    std::vector<Share> shares;
    for (const json& assignment : *list) {
        const std::string role = text_field(assignment, "RoleId");
        std::string name = role;
        for (const auto& [role_name, id] : role_ids_) {
            if (id == role) name = role_name;
        }
        shares.push_back({name, ContactId(text_field(assignment, "PersonId"))});
    }
    return shares;
}

Expected<std::map<ContactId, FolderAccess>> CasewarePortal::folder_access(const FolderId& folder) {
    // assumed: GET /folders/{id}/permissions -> [{"PersonId","Access": "read"|"upload"|"none"}]
    auto response = call("GET", "/folders/" + folder.value() + "/permissions", nullptr, Replay::Safe);
    if (response.has_error()) return unexpected(std::move(response).error());
    auto list = parse_body(*response, "the folder's permissions");
    if (list.has_error()) return unexpected(std::move(list).error());
    std::map<ContactId, FolderAccess> access;
    for (const json& permission : *list) {
        access[ContactId(text_field(permission, "PersonId"))] =
            folder_access_from(text_field(permission, "Access")).value_or(FolderAccess::None);
    }
    return access;
}

Status CasewarePortal::remove_from_group(const GroupId& group, const ContactId& contact) {
    // documented: PATCH /groups/{id}/user-assignments {"isRemove": true, "people": [...]}
    const std::string body = json{{"isRemove", true}, {"people", json::array({contact.value()})}}.dump();
    auto response = call("PATCH", "/groups/" + group.value() + "/user-assignments", &body, Replay::Safe);
    if (response.has_error()) return unexpected(std::move(response).error());
    return ok();
}

Status CasewarePortal::deactivate_contact(const ContactId& contact) {
    // documented: disabling is PATCH {"OwnerType": "Contact", "InActiveDate": "YYYY-MM-DD"}
    const std::string today = format_utc(clock_.now()).substr(0, 10);
    const std::string body = json{{"OwnerType", "Contact"}, {"InActiveDate", today}}.dump();
    auto response = call("PATCH", "/users/" + contact.value(), &body, Replay::Safe);
    if (response.has_error()) return unexpected(std::move(response).error());
    return ok();
}

Status CasewarePortal::add_to_group(const GroupId& group, const ContactId& contact) {
    // documented: PATCH /groups/{id}/user-assignments {"isRemove": false, "people": [...]}
    const std::string body = json{{"isRemove", false}, {"people", json::array({contact.value()})}}.dump();
    auto response = call("PATCH", "/groups/" + group.value() + "/user-assignments", &body, Replay::Safe);
    if (response.has_error()) return unexpected(std::move(response).error());
    return ok();
}

Expected<std::vector<CasewarePortal::FolderEntry>> CasewarePortal::list_folders(const EntityId& entity) {
    // assumed: GET /entities/{id}/folders -> [{"CWGuid","Name","ParentId"}]
    std::vector<FolderEntry> folders;
    for (int page = 1;; ++page) {
        auto response =
            call("GET", "/entities/" + entity.value() + "/folders?pageSize=1000&page=" + std::to_string(page), nullptr,
                 Replay::Safe);
        if (response.has_error()) return unexpected(std::move(response).error());
        auto list = parse_body(*response, "a folder list");
        if (list.has_error()) return unexpected(std::move(list).error());
        if (!list->is_array()) return fail(ErrorKind::Internal, "the portal's folder list is not a list");
        for (const json& item : *list) {
            const json parent = item.contains("ParentId") ? item["ParentId"] : json();
            folders.push_back({text_field(item, "CWGuid"), text_field(item, "Name"),
                               parent.is_string() ? parent.get<std::string>() : std::string()});
        }
        if (list->size() < 1000) return folders;
    }
}

Expected<FolderId> CasewarePortal::ensure_folder(const EntityId& entity, std::string_view path) {
    using Folder = FolderEntry;
    auto folders = list_folders(entity);
    if (folders.has_error()) return unexpected(std::move(folders).error());
    std::string parent;
    for (const std::string& segment : split(path, '/')) {
        if (segment.empty()) continue;
        const auto find_child = [&](const std::vector<Folder>& in) -> std::optional<std::string> {
            for (const Folder& folder : in) {
                if (folder.name == segment && folder.parent == parent) return folder.id;
            }
            return std::nullopt;
        };
        if (auto existing = find_child(*folders)) {
            parent = *existing;
            continue;
        }
        // assumed: POST /entities/{id}/folders {"Name","ParentId"} -> 201; 409 on the same name under a parent
        const json body = {{"Name", segment}, {"ParentId", parent.empty() ? json() : json(parent)}};
        auto created = create_with_lookup<std::string>(
            "/entities/" + entity.value() + "/folders", body.dump(),
            key_for("folder", entity.value() + "/" + parent + "/" + segment),
            [&]() -> Expected<std::optional<std::string>> {
                auto again = list_folders(entity);
                if (again.has_error()) return unexpected(std::move(again).error());
                *folders = std::move(again).value();
                return find_child(*folders);
            },
            [](const json& answer) { return guid_of(answer, "a folder request"); });
        if (created.has_error()) return unexpected(std::move(created).error());
        folders->push_back({created->object, segment, parent});
        parent = created->object;
    }
    if (parent.empty()) return fail(ErrorKind::InvalidInput, "empty folder path");
    return FolderId(parent);
}

Status CasewarePortal::set_folder_access(const FolderId& folder, const ContactId& contact, FolderAccess access) {
    // assumed: PUT /folders/{id}/permissions {"PersonId","Access"} sets one person's access
    const std::string body = json{{"PersonId", contact.value()}, {"Access", to_string(access)}}.dump();
    auto response = call("PUT", "/folders/" + folder.value() + "/permissions", &body, Replay::Safe);
    if (response.has_error()) return unexpected(std::move(response).error());
    return ok();
}

// ---- file requests ----------------------------------------------------------------------------

Expected<std::optional<std::string>> CasewarePortal::find_document(const EntityId& entity, std::string_view folder_path,
                                                                   std::string_view file_name) {
    auto folders = list_folders(entity);
    if (folders.has_error()) return unexpected(std::move(folders).error());
    std::string parent;
    for (const std::string& segment : split(folder_path, '/')) {
        if (segment.empty()) continue;
        const auto child = std::find_if(folders->begin(), folders->end(), [&](const FolderEntry& folder) {
            return folder.parent == parent && folder.name == segment;
        });
        if (child == folders->end()) return std::optional<std::string>();
        parent = child->id;
    }
    if (parent.empty()) return std::optional<std::string>();
    // assumed: GET /folders/{id}/documents -> [{"CWGuid","Name"}], paged like every list
    for (int page = 1;; ++page) {
        auto response = call("GET", "/folders/" + parent + "/documents?pageSize=1000&page=" + std::to_string(page),
                             nullptr, Replay::Safe);
        if (response.has_error()) {
            // A portal that lists no documents here holds nothing taxsync can attach.
            if (response.error().kind == ErrorKind::NotFound) return std::optional<std::string>();
            return unexpected(std::move(response).error());
        }
        auto list = parse_body(*response, "a document list");
        if (list.has_error()) return unexpected(std::move(list).error());
        if (!list->is_array()) return fail(ErrorKind::Internal, "the portal's document list is not a list");
        for (const json& item : *list) {
            // File names are matched without regard to case, as Windows users name them.
            if (iequals_ascii(text_field(item, "Name"), file_name) && !text_field(item, "CWGuid").empty()) {
                return std::optional<std::string>(text_field(item, "CWGuid"));
            }
        }
        if (list->size() < 1000) return std::optional<std::string>();
    }
}

Expected<FileRequestResult> CasewarePortal::request_files(const FileRequest& request,
                                                          std::string_view idempotency_key) {
    if (request.recipients.empty()) return fail(ErrorKind::InvalidInput, "a file request needs at least one recipient");
    FileRequestResult result;
    json attachments = json::array();
    if (!request.attach_file.empty()) {
        auto document = find_document(request.entity, request.attach_folder, request.attach_file);
        if (document.has_error()) return unexpected(std::move(document).error());
        if (document->has_value()) {
            attachments.push_back(**document);
            result.attached = true;
        } else {
            result.note = "\"" + request.attach_folder + "/" + request.attach_file +
                          "\" is not in the portal; sent without an attachment";
        }
    }
    json recipients = json::array();
    for (const ContactId& contact : request.recipients) recipients.push_back(contact.value());
    // assumed: POST /activities {"Type":"FileRequest","EntityId","Recipients","Subject","Description","Message",
    // "Attachments"} -> 201 {"CWGuid"}; 400 unless every recipient holds the Entity Collaborator role
    const std::string body = json{
        {"Type", "FileRequest"},
        {"EntityId", request.entity.value()},
        {"Recipients", std::move(recipients)},
        {"Subject", request.subject},
        {"Description", request.description},
        {"Message", request.message},
        {"Attachments",
         std::move(attachments)}}.dump();
    // The dialect has no way to list activities, so a lost answer cannot be settled by looking:
    // it stays Ambiguous and is never resent blindly.
    auto response = call("POST", "/activities", &body, Replay::Unsafe, idempotency_key);
    if (response.has_error()) return unexpected(std::move(response).error());
    auto parsed = parse_body(*response, "a file request");
    if (parsed.has_error()) return unexpected(std::move(parsed).error());
    auto id = guid_of(*parsed, "a file request");
    if (id.has_error()) return unexpected(std::move(id).error());
    result.id = std::move(id).value();
    return result;
}

}  // namespace taxsync::portal::caseware
