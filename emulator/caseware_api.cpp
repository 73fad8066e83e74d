#include "emulator/caseware_api.hpp"

#include <strings.h>

#include <array>
#include <cctype>
#include <charconv>
#include <limits>

#include "core/digest.hpp"

namespace taxsync::emulator {
namespace {

using nlohmann::json;

constexpr std::size_t kWelcomeMessageLimit = 256;  // characters, per the portal's e-mail settings
constexpr std::int64_t kDefaultPageSize = 100;
constexpr std::int64_t kMaxPageSize = 1000;

/// Thrown by validation helpers and caught once in apply(): each handler then reads top to bottom
/// instead of checking a result after every field. It never leaves this file.
struct Rejection {
    unsigned status;
    std::string message;
};

[[noreturn]] void reject(unsigned status, std::string message) { throw Rejection{status, std::move(message)}; }

// ---- Routing

struct RoutePattern {
    std::string_view method;
    std::string_view path;  // "{}" marks the one id segment
    Endpoint endpoint;
};

constexpr std::array kRoutes{
    RoutePattern{"POST", "auth/token", Endpoint::IssueToken},
    RoutePattern{"GET", "entities", Endpoint::ListEntities},
    RoutePattern{"POST", "entities", Endpoint::CreateEntity},
    RoutePattern{"GET", "entities/{}", Endpoint::GetEntity},
    RoutePattern{"PATCH", "entities/{}", Endpoint::PatchEntity},
    RoutePattern{"GET", "entities/{}/role-assignments", Endpoint::ListRoleAssignments},
    RoutePattern{"POST", "entities/{}/role-assignments", Endpoint::AssignRoles},
    RoutePattern{"DELETE", "entities/{}/role-assignments", Endpoint::RemoveRoleAssignment},
    RoutePattern{"GET", "entities/{}/folders", Endpoint::ListFolders},
    RoutePattern{"POST", "entities/{}/folders", Endpoint::CreateFolder},
    RoutePattern{"GET", "users", Endpoint::ListUsers},
    RoutePattern{"POST", "users", Endpoint::CreateUser},
    RoutePattern{"GET", "users/{}", Endpoint::GetUser},
    RoutePattern{"PATCH", "users/{}", Endpoint::PatchUser},
    RoutePattern{"POST", "users/{}/invitations", Endpoint::InviteUser},
    RoutePattern{"GET", "groups", Endpoint::ListGroups},
    RoutePattern{"POST", "groups", Endpoint::CreateGroup},
    RoutePattern{"GET", "groups/{}", Endpoint::GetGroup},
    RoutePattern{"PATCH", "groups/{}/user-assignments", Endpoint::AssignGroupUsers},
    RoutePattern{"GET", "roles", Endpoint::ListRoles},
    RoutePattern{"GET", "folders/{}", Endpoint::GetFolder},
    RoutePattern{"GET", "folders/{}/permissions", Endpoint::GetFolderPermissions},
    RoutePattern{"PUT", "folders/{}/permissions", Endpoint::SetFolderPermission},
    RoutePattern{"POST", "activities", Endpoint::CreateActivity},
};

/// kRoutes' paths split into segments once, not on every request (each request is tried against
/// most of the routes).
const std::vector<std::vector<std::string>>& route_segments() {
    static const std::vector<std::vector<std::string>> segments = [] {
        std::vector<std::vector<std::string>> split;
        split.reserve(kRoutes.size());
        for (const RoutePattern& pattern : kRoutes) split.push_back(split_path(pattern.path));
        return split;
    }();
    return segments;
}

/// Matches the path (not the method); returns the captured id on success.
std::optional<std::string> match_path(const std::vector<std::string>& parts, const std::vector<std::string>& segments) {
    if (parts.size() != segments.size()) return std::nullopt;
    std::string_view captured;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (parts[i] == "{}") {
            captured = segments[i];
        } else if (parts[i] != segments[i]) {
            return std::nullopt;
        }
    }
    return std::string(captured);
}

struct RouteResult {
    std::optional<Endpoint> endpoint;
    std::string resource_id;
    std::string allowed_methods;  // non-empty when the path exists under another method
};

RouteResult route(std::string_view method, std::string_view path) {
    const std::vector<std::string> segments = split_path(path);
    const std::vector<std::vector<std::string>>& parts = route_segments();
    RouteResult result;
    for (std::size_t i = 0; i < kRoutes.size(); ++i) {
        const RoutePattern& pattern = kRoutes[i];
        auto captured = match_path(parts[i], segments);
        if (!captured) continue;
        if (pattern.method == method) return {pattern.endpoint, std::move(*captured), {}};
        if (!result.allowed_methods.empty()) result.allowed_methods += ", ";
        result.allowed_methods += pattern.method;
    }
    return result;
}

bool is_mutation(std::string_view method) { return method != "GET" && method != "HEAD"; }

// ---- Reading request bodies

json parse_body(const ApiRequest& request, bool empty_means_object) {
    if (request.body.empty() && empty_means_object) return json::object();
    json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) reject(400, "the request body is not valid JSON");
    if (!body.is_object()) reject(400, "the request body must be a JSON object");
    return body;
}

const json* find_field(const json& body, std::string_view field) {
    const auto it = body.find(field);
    return it == body.end() ? nullptr : &*it;
}

/// Absent or null gives nullopt; anything but a string is an error naming the field.
std::optional<std::string> optional_string(const json& body, std::string_view field) {
    const json* value = find_field(body, field);
    if (value == nullptr || value->is_null()) return std::nullopt;
    if (!value->is_string()) reject(400, std::string(field) + " must be a string");
    return value->get<std::string>();
}

std::string required_string(const json& body, std::string_view field) {
    auto value = optional_string(body, field);
    if (!value) reject(400, std::string(field) + " is required");
    if (value->find_first_not_of(" \t\r\n") == std::string::npos)
        reject(400, std::string(field) + " must not be empty");
    return *value;
}

/// Present and non-empty, or absent/null.
std::optional<std::string> optional_nonempty_string(const json& body, std::string_view field) {
    auto value = optional_string(body, field);
    if (value && value->find_first_not_of(" \t\r\n") == std::string::npos) {
        reject(400, std::string(field) + " must not be empty");
    }
    return value;
}

std::optional<bool> optional_bool(const json& body, std::string_view field) {
    const json* value = find_field(body, field);
    if (value == nullptr || value->is_null()) return std::nullopt;
    if (!value->is_boolean()) reject(400, std::string(field) + " must be true or false");
    return value->get<bool>();
}

std::vector<std::string> string_array(const json& body, std::string_view field, bool required) {
    const json* value = find_field(body, field);
    if (value == nullptr || value->is_null()) {
        if (required) reject(400, std::string(field) + " is required");
        return {};
    }
    if (!value->is_array()) reject(400, std::string(field) + " must be an array of CWGuid strings");
    std::vector<std::string> items;
    for (std::size_t i = 0; i < value->size(); ++i) {
        const json& item = (*value)[i];
        if (!item.is_string() || item.get<std::string>().empty()) {
            reject(400, std::string(field) + "[" + std::to_string(i) + "] must be a non-empty string");
        }
        items.push_back(item.get<std::string>());
    }
    if (required && items.empty()) reject(400, std::string(field) + " must list at least one CWGuid");
    return items;
}

std::size_t utf8_length(std::string_view text) {
    std::size_t length = 0;
    for (const char c : text) {
        if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) ++length;  // skip continuation bytes
    }
    return length;
}

std::optional<std::string> welcome_message(const json& body) {
    auto message = optional_string(body, "WelcomeMessage");
    if (message && utf8_length(*message) > kWelcomeMessageLimit) {
        reject(400,
               "WelcomeMessage must be at most 256 characters (got " + std::to_string(utf8_length(*message)) + ")");
    }
    return message;
}

bool plausible_email(std::string_view email) {
    const std::size_t at = email.find('@');
    return at != std::string_view::npos && at > 0 && at + 1 < email.size() &&
           email.find('@', at + 1) == std::string_view::npos &&
           email.find_first_of(" \t\r\n") == std::string_view::npos;
}

std::optional<std::string> email_field(const json& body) {
    auto email = optional_string(body, "Email");
    if (email && email->empty()) return std::nullopt;  // the portal's way of saying "no account"
    if (email && !plausible_email(*email)) reject(400, "Email '" + *email + "' is not an e-mail address");
    return email;
}

std::string owner_type_field(const json& body, std::string_view missing_message) {
    auto owner = optional_string(body, "OwnerType");
    if (!owner) reject(400, std::string(missing_message));
    if (*owner != "Contact" && *owner != "Staff") reject(400, "OwnerType must be \"Contact\" or \"Staff\"");
    return *owner;
}

bool is_calendar_date(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
    for (const std::size_t i : {0U, 1U, 2U, 3U, 5U, 6U, 8U, 9U}) {
        if (std::isdigit(static_cast<unsigned char>(text[i])) == 0) return false;
    }
    const int month = (text[5] - '0') * 10 + (text[6] - '0');
    const int day = (text[8] - '0') * 10 + (text[9] - '0');
    return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

// ---- Lists

std::int64_t positive_integer_parameter(const QueryParameters& query, std::string_view name, std::int64_t fallback) {
    const auto text = query.get(name);
    if (!text) return fallback;
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (error != std::errc{} || end != text->data() + text->size() || value < 1) {
        reject(400, std::string(name) + " must be a positive integer");
    }
    return value;
}

Page read_page(const QueryParameters& query) {
    Page page;
    page.number = positive_integer_parameter(query, "page", 1);
    page.size = positive_integer_parameter(query, "pageSize", kDefaultPageSize);
    if (page.size > kMaxPageSize) reject(400, "pageSize must be at most 1000");
    if (page.number > std::numeric_limits<std::int64_t>::max() / kMaxPageSize) reject(400, "page is too large");
    return page;
}

std::optional<SqlCondition> read_search(const QueryParameters& query, Collection collection) {
    const auto text = query.get("search");
    if (!text || text->find_first_not_of(" \t") == std::string::npos) return std::nullopt;
    auto expression = parse_search(*text);
    if (expression.has_error()) reject(400, expression.error().message);
    auto condition = to_sql_condition(expression.value(), searchable_fields(collection));
    if (condition.has_error()) reject(400, condition.error().message);
    return std::move(condition).value();
}

// ---- Authentication

std::optional<std::string> bearer_token(const std::optional<std::string>& authorization) {
    if (!authorization) return std::nullopt;
    std::string_view value = *authorization;
    constexpr std::string_view scheme = "bearer ";
    if (value.size() <= scheme.size() || strncasecmp(value.data(), scheme.data(), scheme.size()) != 0)
        return std::nullopt;
    value.remove_prefix(scheme.size());
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    if (value.empty()) return std::nullopt;
    return std::string(value);
}

Reply unauthorized(std::string_view message) {
    Reply reply = error_reply(401, message);
    reply.headers.emplace_back("WWW-Authenticate", "Bearer");
    return reply;
}

}  // namespace

CasewareApi::CasewareApi(PortalStore& store, IdempotencyStore& idempotency, const Clock& clock,
                         ApiCredentials credentials)
    : store_(store), idempotency_(idempotency), clock_(clock), credentials_(std::move(credentials)) {}

std::variant<Reply, AdmittedCall> CasewareApi::admit(ApiRequest request) {
    RouteResult found = route(request.method, request.path);
    if (!found.endpoint) {
        if (found.allowed_methods.empty()) return error_reply(404, "no such endpoint: " + request.path);
        Reply reply = error_reply(405, request.method + " is not allowed on " + request.path);
        reply.headers.emplace_back("Allow", found.allowed_methods);
        return reply;
    }
    AdmittedCall call{*found.endpoint, std::move(found.resource_id), {}, {}, {}};
    if (call.endpoint != Endpoint::IssueToken) {
        const auto token = bearer_token(request.authorization);
        if (!token) return unauthorized("missing bearer token: send Authorization: Bearer <Token> from /auth/token");
        const auto info = store_.token(*token);
        if (!info) return unauthorized("unknown token");
        if (info->expires_at <= clock_.now()) return unauthorized("the token has expired; request a new one");
        call.scope = info->client_id;

        // Token requests are exempt: replaying a stored token could hand out an expired one.
        if (request.method == "POST" && request.idempotency_key) {
            call.idempotency_key = normalize_idempotency_key(*request.idempotency_key);
            if (!call.idempotency_key) return error_reply(400, "Idempotency-Key must be 1 to 255 characters");
            const std::string fingerprint = request_fingerprint(request.method, request.path, request.body);
            const auto decision = idempotency_.begin(call.scope, *call.idempotency_key, fingerprint);
            switch (decision.verdict) {
                case IdempotencyVerdict::Proceed: break;
                case IdempotencyVerdict::Replay: {
                    Reply reply{decision.status, decision.body, {}};
                    reply.headers.emplace_back("Idempotent-Replayed", "true");
                    return reply;
                }
                case IdempotencyVerdict::Mismatch:
                    return error_reply(422, "this Idempotency-Key was already used with a different request");
                case IdempotencyVerdict::InProgress:
                    return error_reply(409,
                                       "a request with this Idempotency-Key is still being processed; retry later");
            }
        }
    }
    call.request = std::move(request);
    return call;
}

Reply CasewareApi::apply(const AdmittedCall& call) {
    const bool mutation = is_mutation(call.request.method);
    std::optional<sqlite::Transaction> transaction;
    if (mutation) transaction.emplace(store_.database());
    Reply reply;
    try {
        reply = dispatch(call);
    } catch (const Rejection& rejection) {
        reply = error_reply(rejection.status, rejection.message);
    } catch (const std::exception& error) {
        reply = error_reply(500, std::string("emulator failure: ") + error.what());
    }
    const bool succeeded = reply.status < 400;
    if (call.idempotency_key && succeeded)
        idempotency_.complete(call.scope, *call.idempotency_key, reply.status, reply.body);
    if (transaction && succeeded) transaction->commit();
    transaction.reset();  // rolls back a failed call's partial writes before the key is settled
    if (call.idempotency_key && !succeeded) {
        // Like Stripe: a request that failed validation (400) or on our side (5xx) stored nothing,
        // so the corrected request may reuse the key. Other refusals (404, 409) are the answer.
        if (reply.status == 400 || reply.status >= 500) {
            idempotency_.release(call.scope, *call.idempotency_key);
        } else {
            idempotency_.complete(call.scope, *call.idempotency_key, reply.status, reply.body);
        }
    }
    return reply;
}

Reply CasewareApi::dispatch(const AdmittedCall& call) {
    const ApiRequest& request = call.request;
    const std::string& id = call.resource_id;
    switch (call.endpoint) {
        case Endpoint::IssueToken: return issue_token(request);
        case Endpoint::ListEntities: return list_entities(request);
        case Endpoint::CreateEntity: return create_entity(request);
        case Endpoint::GetEntity: return get_entity(id);
        case Endpoint::PatchEntity: return patch_entity(id, request);
        case Endpoint::ListRoleAssignments: return list_role_assignments(id, request);
        case Endpoint::AssignRoles: return assign_roles(id, request);
        case Endpoint::RemoveRoleAssignment: return remove_role_assignment(id, request);
        case Endpoint::ListFolders: return list_folders(id, request);
        case Endpoint::CreateFolder: return create_folder(id, request);
        case Endpoint::ListUsers: return list_users(request);
        case Endpoint::CreateUser: return create_user(request);
        case Endpoint::GetUser: return get_user(id);
        case Endpoint::PatchUser: return patch_user(id, request);
        case Endpoint::InviteUser: return invite_user(id, request);
        case Endpoint::ListGroups: return list_groups(request);
        case Endpoint::CreateGroup: return create_group(request);
        case Endpoint::GetGroup: return get_group(id);
        case Endpoint::AssignGroupUsers: return assign_group_users(id, request);
        case Endpoint::ListRoles: return list_roles(request);
        case Endpoint::GetFolder: return get_folder(id);
        case Endpoint::GetFolderPermissions: return get_folder_permissions(id, request);
        case Endpoint::SetFolderPermission: return set_folder_permission(id, request);
        case Endpoint::CreateActivity: return create_activity(request);
    }
    return error_reply(500, "unrouted endpoint");
}

// ---- Authentication (documented)

Reply CasewareApi::issue_token(const ApiRequest& request) {
    const json body = parse_body(request, false);
    const std::string client_id = required_string(body, "ClientId");
    const std::string client_secret = required_string(body, "ClientSecret");
    optional_string(body, "Language");  // accepted and type-checked, not used
    if (client_id != credentials_.client_id || client_secret != credentials_.client_secret) {
        return unauthorized("invalid client credentials");
    }
    const std::string token = to_hex(random_bytes(32));
    store_.insert_token(token, client_id, clock_.now() + credentials_.token_ttl);
    return json_reply(200, json{{"Token", token}});
}

// ---- Entities

void CasewareApi::require_entity(const std::string& id) {
    if (!store_.entity(id)) reject(404, "no entity with CWGuid " + id);
}

Reply CasewareApi::list_entities(const ApiRequest& request) {
    const auto condition = read_search(request.query, Collection::Entities);
    return json_reply(200, store_.list(Collection::Entities, condition, read_page(request.query)));
}

Reply CasewareApi::create_entity(const ApiRequest& request) {
    const json body = parse_body(request, false);
    const std::string name = required_string(body, "Name");
    const std::string entity_no = required_string(body, "EntityNo");
    const std::string entity_type = optional_nonempty_string(body, "EntityType").value_or("Client");
    if (const auto existing = store_.entity_with_number(entity_no)) {
        reject(409, "an entity with EntityNo '" + entity_no + "' already exists (CWGuid " + *existing + ")");
    }
    return json_reply(201, store_.insert_entity(name, entity_no, entity_type));
}

Reply CasewareApi::get_entity(const std::string& id) {
    auto entity = store_.entity(id);
    if (!entity) reject(404, "no entity with CWGuid " + id);
    return json_reply(200, *entity);
}

Reply CasewareApi::patch_entity(const std::string& id, const ApiRequest& request) {
    require_entity(id);
    const json body = parse_body(request, false);
    const auto name = optional_nonempty_string(body, "Name");
    const auto entity_no = optional_nonempty_string(body, "EntityNo");
    const auto entity_type = optional_nonempty_string(body, "EntityType");
    if (entity_no) {
        const auto holder = store_.entity_with_number(*entity_no);
        if (holder && *holder != id) reject(409, "EntityNo '" + *entity_no + "' belongs to entity " + *holder);
    }
    return json_reply(200, store_.update_entity(id, name, entity_no, entity_type));
}

// ---- Role assignments (assumed)

Reply CasewareApi::list_role_assignments(const std::string& entity_id, const ApiRequest& request) {
    require_entity(entity_id);
    return json_reply(200, store_.role_assignments(entity_id, read_page(request.query)));
}

void CasewareApi::require_user_ids(const std::vector<std::string>& ids, std::string_view field) {
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (!store_.user(ids[i])) {
            reject(400, std::string(field) + "[" + std::to_string(i) + "]: no user with CWGuid " + ids[i]);
        }
    }
}

Reply CasewareApi::assign_roles(const std::string& entity_id, const ApiRequest& request) {
    require_entity(entity_id);
    const json body = parse_body(request, false);
    const std::string role_id = required_string(body, "RoleId");
    const auto people = string_array(body, "People", true);
    if (!store_.role(role_id)) reject(400, "RoleId: no role with CWGuid " + role_id);
    require_user_ids(people, "People");
    for (const auto& person : people) store_.assign_role(entity_id, role_id, person);
    return json_reply(200, store_.role_assignments(entity_id));
}

Reply CasewareApi::remove_role_assignment(const std::string& entity_id, const ApiRequest& request) {
    require_entity(entity_id);
    const auto role_id = request.query.get("RoleId");
    const auto person_id = request.query.get("PersonId");
    if (!role_id || role_id->empty()) reject(400, "the query parameter RoleId is required");
    if (!person_id || person_id->empty()) reject(400, "the query parameter PersonId is required");
    store_.unassign_role(entity_id, *role_id, *person_id);  // absent already: still 204, DELETE is idempotent
    return empty_reply(204);
}

// ---- Folders and permissions (assumed)

Reply CasewareApi::list_folders(const std::string& entity_id, const ApiRequest& request) {
    require_entity(entity_id);
    return json_reply(200, store_.folders(entity_id, read_page(request.query)));
}

Reply CasewareApi::create_folder(const std::string& entity_id, const ApiRequest& request) {
    require_entity(entity_id);
    const json body = parse_body(request, false);
    const std::string name = required_string(body, "Name");
    if (name.find('/') != std::string::npos || name.find('\\') != std::string::npos) {
        reject(400, "Name must not contain / or \\");
    }
    const auto parent_id = optional_nonempty_string(body, "ParentId");
    if (parent_id) {
        const auto parent = store_.folder(*parent_id);
        if (!parent || (*parent)["EntityId"] != entity_id) {
            reject(400, "ParentId: no folder with CWGuid " + *parent_id + " on entity " + entity_id);
        }
    }
    if (store_.folder_name_taken(entity_id, parent_id, name)) {
        reject(409, "a folder named '" + name + "' already exists under that parent");
    }
    return json_reply(201, store_.insert_folder(entity_id, parent_id, name));
}

Reply CasewareApi::get_folder(const std::string& id) {
    auto folder = store_.folder(id);
    if (!folder) reject(404, "no folder with CWGuid " + id);
    return json_reply(200, *folder);
}

Reply CasewareApi::get_folder_permissions(const std::string& id, const ApiRequest& request) {
    if (!store_.folder(id)) reject(404, "no folder with CWGuid " + id);
    return json_reply(200, store_.folder_permissions(id, read_page(request.query)));
}

Reply CasewareApi::set_folder_permission(const std::string& id, const ApiRequest& request) {
    if (!store_.folder(id)) reject(404, "no folder with CWGuid " + id);
    const json body = parse_body(request, false);
    const std::string person_id = required_string(body, "PersonId");
    const std::string access = required_string(body, "Access");
    if (access != "read" && access != "upload" && access != "none") {
        reject(400, "Access must be \"read\", \"upload\" or \"none\"");
    }
    if (!store_.user(person_id) && !store_.group(person_id)) {
        reject(400, "PersonId: no user or group with CWGuid " + person_id);
    }
    store_.set_folder_permission(id, person_id, access);
    return json_reply(200, store_.folder_permissions(id));
}

// ---- Users (contacts)

Reply CasewareApi::list_users(const ApiRequest& request) {
    const auto condition = read_search(request.query, Collection::Users);
    return json_reply(200, store_.list(Collection::Users, condition, read_page(request.query)));
}

Reply CasewareApi::create_user(const ApiRequest& request) {
    const json body = parse_body(request, false);
    NewUser user;
    user.first_name = required_string(body, "FirstName");
    user.last_name = required_string(body, "LastName");
    user.middle_name = optional_string(body, "MiddleName");
    user.owner_type = owner_type_field(body, "OwnerType is required");
    user.email = email_field(body);
    user.can_login = optional_bool(body, "CanLogin").value_or(false);
    const bool send_welcome = optional_bool(body, "SendWelcomeEmail").value_or(false);
    const auto message = welcome_message(body);
    user.entity_id = optional_nonempty_string(body, "EntityId");
    if (user.owner_type == "Contact" && !user.entity_id) reject(400, "EntityId is required for a Contact");
    if (user.entity_id && !store_.entity(*user.entity_id))
        reject(400, "EntityId: no entity with CWGuid " + *user.entity_id);
    if (user.can_login && !user.email) reject(400, "Email is required when CanLogin is true");
    if (user.email) {
        if (const auto existing = store_.user_with_email(*user.email)) {
            reject(409, "a user with Email '" + *user.email + "' already exists (CWGuid " + *existing + ")");
        }
    }
    json created = store_.insert_user(user);
    if (user.can_login && send_welcome) {
        store_.send_mail(*user.email, created["CWGuid"].get<std::string>(), user.entity_id, MailKind::Invitation,
                         message.value_or(""));
    }
    return json_reply(201, created);
}

Reply CasewareApi::get_user(const std::string& id) {
    auto user = store_.user(id);
    if (!user) reject(404, "no user with CWGuid " + id);
    return json_reply(200, *user);
}

Reply CasewareApi::patch_user(const std::string& id, const ApiRequest& request) {
    const auto current = store_.user(id);
    if (!current) reject(404, "no user with CWGuid " + id);
    const json body = parse_body(request, false);
    UserChanges changes;
    changes.owner_type = owner_type_field(body, "OwnerType is required in every PATCH of a user");
    changes.first_name = optional_nonempty_string(body, "FirstName");
    changes.last_name = optional_nonempty_string(body, "LastName");
    if (find_field(body, "MiddleName") != nullptr) changes.middle_name = optional_string(body, "MiddleName");
    if (find_field(body, "Email") != nullptr) {
        changes.email = email_field(body);
        if (!changes.email) reject(400, "Email cannot be removed");
        const auto holder = store_.user_with_email(*changes.email);
        if (holder && *holder != id) reject(409, "Email '" + *changes.email + "' belongs to user " + *holder);
    }
    changes.can_login = optional_bool(body, "CanLogin");
    if (find_field(body, "InActiveDate") != nullptr) {
        changes.inactive_date = optional_string(body, "InActiveDate");
        if (*changes.inactive_date && !is_calendar_date(**changes.inactive_date)) {
            reject(400, "InActiveDate must be a date written YYYY-MM-DD, or null");
        }
    }
    changes.entity_id = optional_nonempty_string(body, "EntityId");
    if (changes.entity_id && !store_.entity(*changes.entity_id)) {
        reject(400, "EntityId: no entity with CWGuid " + *changes.entity_id);
    }
    const bool will_login = changes.can_login.value_or((*current)["CanLogin"].get<bool>());
    const bool has_email = changes.email.has_value() || !(*current)["Email"].is_null();
    if (will_login && !has_email) reject(400, "Email is required when CanLogin is true");
    return json_reply(200, store_.update_user(id, changes));
}

Reply CasewareApi::invite_user(const std::string& id, const ApiRequest& request) {
    const auto user = store_.user(id);
    if (!user) reject(404, "no user with CWGuid " + id);
    const json body = parse_body(request, true);
    const auto message = welcome_message(body);
    if ((*user)["Activated"].get<bool>()) reject(409, "the user has already activated their account");
    if (!(*user)["CanLogin"].get<bool>()) reject(409, "the user cannot log in (CanLogin is false)");
    if (!(*user)["InActiveDate"].is_null()) reject(409, "the user is disabled (InActiveDate is set)");
    const std::string email = (*user)["Email"].get<std::string>();
    const json& entity = (*user)["EntityId"];
    store_.send_mail(email, id, entity.is_null() ? std::nullopt : std::optional<std::string>(entity.get<std::string>()),
                     MailKind::Invitation, message.value_or(""));
    return json_reply(202, json{{"UserId", id}, {"Email", email}, {"SentAt", format_utc(clock_.now())}});
}

// ---- Contact groups

Reply CasewareApi::list_groups(const ApiRequest& request) {
    const auto condition = read_search(request.query, Collection::Groups);
    return json_reply(200, store_.list(Collection::Groups, condition, read_page(request.query)));
}

Reply CasewareApi::create_group(const ApiRequest& request) {
    const json body = parse_body(request, false);
    const std::string name = required_string(body, "Name");
    const std::string description = optional_string(body, "Description").value_or("");
    const std::string group_type = optional_nonempty_string(body, "GroupType").value_or("Contact");
    if (group_type != "Contact" && group_type != "Staff") reject(400, "GroupType must be \"Contact\" or \"Staff\"");
    if (const auto existing = store_.group_named(name)) {
        reject(409, "a group named '" + name + "' already exists (CWGuid " + *existing + ")");
    }
    return json_reply(201, store_.insert_group(name, description, group_type));
}

Reply CasewareApi::get_group(const std::string& id) {
    auto group = store_.group(id);
    if (!group) reject(404, "no group with CWGuid " + id);
    return json_reply(200, *group);
}

Reply CasewareApi::assign_group_users(const std::string& id, const ApiRequest& request) {
    if (!store_.group(id)) reject(404, "no group with CWGuid " + id);
    const json body = parse_body(request, false);
    const bool remove = optional_bool(body, "isRemove").value_or(false);
    const auto people = string_array(body, "people", true);
    require_user_ids(people, "people");
    for (const auto& person : people) {
        if (remove) {
            store_.remove_group_member(id, person);
        } else {
            store_.add_group_member(id, person);  // already a member: no-op
        }
    }
    return json_reply(200, json{{"CWGuid", id}, {"Members", store_.group_members(id)}});
}

// ---- Roles

Reply CasewareApi::list_roles(const ApiRequest& request) {
    const auto condition = read_search(request.query, Collection::Roles);
    return json_reply(200, store_.list(Collection::Roles, condition, read_page(request.query)));
}

// ---- Activities (assumed)

Reply CasewareApi::create_activity(const ApiRequest& request) {
    const json body = parse_body(request, false);
    NewActivity activity;
    activity.type = required_string(body, "Type");
    if (activity.type != "FileRequest") reject(400, "Type must be \"FileRequest\" (the only activity type emulated)");
    activity.entity_id = required_string(body, "EntityId");
    activity.recipients = string_array(body, "Recipients", true);
    activity.subject = required_string(body, "Subject");
    activity.description = optional_string(body, "Description");
    activity.message = optional_string(body, "Message");
    activity.attachments = string_array(body, "Attachments", false);
    if (!store_.entity(activity.entity_id)) reject(400, "EntityId: no entity with CWGuid " + activity.entity_id);
    require_user_ids(activity.recipients, "Recipients");

    const std::string collaborator = store_.role_id_named(kEntityCollaboratorRole);
    std::vector<std::string> addresses;
    for (std::size_t i = 0; i < activity.recipients.size(); ++i) {
        const std::string& person = activity.recipients[i];
        const std::string where = "Recipients[" + std::to_string(i) + "]: user " + person;
        if (!store_.has_role(activity.entity_id, collaborator, person)) {
            reject(400, where + " does not hold the " + std::string(kEntityCollaboratorRole) + " role on entity " +
                            activity.entity_id);
        }
        const json email = (*store_.user(person))["Email"];
        if (email.is_null()) reject(400, where + " has no Email to send the request to");
        addresses.push_back(email.get<std::string>());
    }
    json created = store_.insert_activity(activity);
    for (std::size_t i = 0; i < addresses.size(); ++i) {
        store_.send_mail(addresses[i], activity.recipients[i], activity.entity_id, MailKind::FileRequest,
                         activity.message.value_or(activity.subject));
    }
    return json_reply(201, created);
}

}  // namespace taxsync::emulator
