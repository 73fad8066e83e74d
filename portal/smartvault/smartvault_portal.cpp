#include "portal/smartvault/smartvault_portal.hpp"

#include "core/base64.hpp"
#include "core/text.hpp"

namespace taxsync::portal::smartvault {
namespace {

using nlohmann::json;

constexpr std::string_view kAliasDomain = "taxsync";
constexpr std::string_view kAliasType = "identifier";
constexpr std::string_view kClientContacts = "Client Contacts";
constexpr std::string_view kActivationTemplate = "User Activation";
constexpr std::size_t kMinClientIdLength = 4;  // documented: client ids have at least 4 characters
constexpr int kPerPage = 500;

/// Percent-encodes every segment of a '/'-separated path, keeping the slashes.
std::string encode_path(std::string_view path) {
    std::string out;
    for (const std::string& segment : split(path, '/')) {
        if (!out.empty()) out += '/';
        out += url_encode(segment);
    }
    return out;
}

std::string error_text(const HttpResponse& response) {
    // documented envelope: {"error":{"success":false,"error_text":"..."}}; error_text assumed
    const json body = json::parse(response.body, nullptr, false);
    if (body.is_object() && body.contains("error") && body["error"].is_object()) {
        const json& error = body["error"];
        if (error.contains("error_text") && error["error_text"].is_string())
            return error["error_text"].get<std::string>();
    }
    return std::string(trim(response.body.substr(0, 200)));
}

/// The envelope's message, or the failure it carries: an HTTP 200 with success == false is a failure.
Expected<json> open_envelope(const HttpResponse& response, std::string_view what) {
    json body = json::parse(response.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("error") || !body["error"].is_object()) {
        return fail(ErrorKind::Internal, "SmartVault's answer to " + std::string(what) + " is not a response envelope");
    }
    const json& error = body["error"];
    if (!error.contains("success") || !error["success"].is_boolean() || !error["success"].get<bool>()) {
        const std::string text = error_text(response);
        // assumed: a duplicate client id or alias is reported as "... already exists ..."
        const ErrorKind kind =
            text.find("already exists") != std::string::npos ? ErrorKind::Conflict : ErrorKind::Rejected;
        return fail(kind, "SmartVault refused " + std::string(what) + ": " + text);
    }
    return body.contains("message") ? body["message"] : json::object();
}

std::string text_of(const json& object, const char* name) {
    return object.is_object() && object.contains(name) && object[name].is_string() ? object[name].get<std::string>()
                                                                                   : std::string();
}

/// The client object inside a get or list answer.
json inner_client(const json& node) {
    const json* client = &node;
    for (const char* key : {"entityExProperties", "smart_vault", "accounting", "client"}) {
        if (!client->is_object() || !client->contains(key)) return json::object();
        client = &(*client)[key];
    }
    return *client;
}

json wrap_client(const json& client) {
    // documented: the body of a create or an edit
    return json{{"entity",
                 {{"meta_data", {{"entity_definition", "SmartVault.Accounting.Client"}}},
                  {"smart_vault", {{"accounting", {{"client", client}}}}}}}};
}

json our_alias(std::string_view external_key) {
    return json{{"Domain", kAliasDomain}, {"Type", kAliasType}, {"Value", external_key}};
}

std::string alias_value(const json& client) {
    for (const json& alias : client.value("aliases", json::array())) {
        if (text_of(alias, "Domain") == kAliasDomain && text_of(alias, "Type") == kAliasType)
            return text_of(alias, "Value");
    }
    return {};
}

std::string person_email(const json& person) {
    for (const json& address : person.value("email_addresses", json::array())) {
        const std::string email = text_of(address, "address");
        if (!email.empty()) return normalize_email(email);
    }
    return {};
}

std::pair<std::string, std::string> person_names(const json& person) {
    const json names = person.value("names", json::array());
    if (!names.is_array() || names.empty()) return {};
    return {text_of(names[0], "FirstName"), text_of(names[0], "LastName")};
}

json new_person(std::string_view email, std::string_view first, std::string_view last, bool primary) {
    return json{{"names", json::array({{{"FirstName", first}, {"MiddleName", ""}, {"LastName", last}}})},
                {"email_addresses", json::array({{{"address", email}}})},
                {"is_primary", primary}};
}

std::optional<std::size_t> person_index(const json& client, std::string_view email) {
    const json persons = client.value("persons", json::array());
    for (std::size_t i = 0; i < persons.size(); ++i) {
        if (person_email(persons[i]) == normalize_email(email)) return i;
    }
    return std::nullopt;
}

std::string display_name(const json& client, const std::string& client_id) {
    if (std::string name = text_of(client, "name"); !name.empty()) return name;
    const json persons = client.value("persons", json::array());
    if (!persons.empty()) {
        const auto [first, last] = person_names(persons[0]);
        return last + ", " + first;
    }
    return client_id;
}

/// "/nodes/pth/{account}/{vault}" -> "{account}/{vault}"
std::string vault_from_dav(std::string_view dav_uri) {
    constexpr std::string_view prefix = "/nodes/pth/";
    if (dav_uri.starts_with(prefix)) dav_uri.remove_prefix(prefix.size());
    return std::string(without_trailing_slashes(dav_uri));
}

/// When to renew a token that lives `lifetime`: `margin` before it expires, but never in the
/// first nine tenths of a short life.
SteadyTime renew_time(SteadyTime issued, std::chrono::seconds lifetime, std::chrono::seconds margin) {
    const auto before = std::min<std::chrono::milliseconds>(margin, lifetime / 10);
    return issued + lifetime - before;
}

}  // namespace

std::string client_id_for(std::string_view external_key) {
    const auto colon = external_key.find(':');
    std::string id(colon == std::string_view::npos ? external_key : external_key.substr(colon + 1));
    if (id.size() < kMinClientIdLength) id = "TS-" + id;
    return id;
}

Expected<std::unique_ptr<SmartvaultPortal>> SmartvaultPortal::create(Settings settings, HttpClient& http, Clock& clock,
                                                                     const Logger& log,
                                                                     std::shared_ptr<Session> session) {
    auto key = PrivateKey::from_pem(settings.private_key_pem);
    if (key.has_error()) return unexpected(std::move(key).error());
    return std::make_unique<SmartvaultPortal>(std::move(settings), std::move(key).value(), http, clock, log,
                                              std::move(session));
}

SmartvaultPortal::SmartvaultPortal(Settings settings, PrivateKey key, HttpClient& http, Clock& clock, const Logger& log,
                                   std::shared_ptr<Session> session)
    : settings_(std::move(settings)),
      key_(std::move(key)),
      http_(http),
      clock_(clock),
      log_(log),
      backoff_(settings_.retry, settings_.jitter_seed),
      session_(std::move(session)) {
    capabilities_.invitation_on_create = false;  // the invitation goes out with the Client Contacts membership
    capabilities_.honours_idempotency_keys = false;
    capabilities_.contact_groups = false;
    capabilities_.per_contact_folder_access = false;
    capabilities_.entity_roles = false;
    capabilities_.invitation_message = false;
    capabilities_.contact_email_change = false;
    capabilities_.delete_entities = false;
    settings_.base_url = std::string(without_trailing_slashes(settings_.base_url));
}

// ---- transport --------------------------------------------------------------------------------

void SmartvaultPortal::pace() {
    if (settings_.requests_per_second <= 0) return;
    const auto interval = std::chrono::duration_cast<Millis>(
        std::chrono::duration<double, std::milli>(1000.0 / settings_.requests_per_second));
    if (last_request_) {
        const auto since = std::chrono::duration_cast<Millis>(clock_.steady_now() - *last_request_);
        if (since < interval) clock_.sleep_for(interval - since);
    }
    last_request_ = clock_.steady_now();
}

Expected<json> SmartvaultPortal::auth_call(const std::string& path, const json& body,
                                           const std::optional<std::string>& basic) {
    HttpRequest request{"POST",
                        settings_.base_url + path,
                        {{"Accept", "application/json"}, {"Content-Type", "application/json"}},
                        body.dump()};
    if (basic) request.headers.emplace_back("Authorization", "Basic " + base64_encode(*basic));
    auto response = run_with_retries(backoff_, clock_, [&](int attempt) {
        pace();
        auto outcome = http_.send(request);
        log_.debug("POST {} -> {} (attempt {})", path,
                   outcome.has_value() ? std::to_string(outcome->status) : outcome.error().message, attempt);
        return classify_attempt(outcome, Replay::Safe, false, clock_.now(), error_text);
    });
    if (response.has_error()) return unexpected(std::move(response).error());
    return open_envelope(*response, "POST " + path);
}

Status SmartvaultPortal::renew_tokens() {
    const auto refused = [&](Error error, std::string_view step) -> Status {
        if (is_transient(error.kind)) {
            error.message = "cannot sign in to SmartVault: " + error.message;
        } else {
            error.kind = ErrorKind::Unauthorized;
            error.message = "SmartVault refused the " + std::string(step) + " of app id '" + settings_.app_id + "' (" +
                            error.message +
                            "); check app_id, admin_email and private_key_file (its public key "
                            "must be the one registered for the app)";
        }
        return unexpected(std::move(error));
    };
    const SteadyTime now = clock_.steady_now();
    std::optional<Session::Token>& client_token = session_->client_token_;
    if (!client_token || now >= client_token->renew_at) {
        // documented: POST /auto/auth/nonce/1 {"client_id"} -> message.code
        auto nonce = auth_call("/auto/auth/nonce/1", json{{"client_id", settings_.app_id}}, std::nullopt);
        if (nonce.has_error()) return refused(std::move(nonce).error(), "nonce request");
        const std::string code = text_of(*nonce, "code");
        if (code.empty()) return fail(ErrorKind::Internal, "SmartVault's nonce answer has no code");
        auto signed_token = self_signed_token(key_, settings_.app_id, code);
        if (signed_token.has_error()) return unexpected(std::move(signed_token).error());
        // documented: POST /auto/auth/ctoken/1 {"client_id","token"} -> message.token, message.expires_in
        auto client = auth_call("/auto/auth/ctoken/1", json{{"client_id", settings_.app_id}, {"token", *signed_token}},
                                std::nullopt);
        if (client.has_error()) return refused(std::move(client).error(), "signed client token");
        const std::string token = text_of(*client, "token");
        if (token.empty()) return fail(ErrorKind::Internal, "SmartVault's client token answer has no token");
        client_token =
            Session::Token{token,
                           renew_time(now, std::chrono::seconds(client->value("expires_in", std::int64_t{86'400})),
                                      settings_.renew_before),
                           0};
    }
    // assumed: POST /auto/auth/dtoken/1 {"user_email"} with Basic base64(app id:client token)
    auto delegation = auth_call("/auto/auth/dtoken/1", json{{"user_email", settings_.admin_email}},
                                settings_.app_id + ":" + client_token->value);
    if (delegation.has_error()) {
        client_token.reset();  // it may have been revoked: start from a nonce next time
        return refused(std::move(delegation).error(), "delegation token request for " + settings_.admin_email);
    }
    const std::string token = text_of(*delegation, "token");
    if (token.empty()) return fail(ErrorKind::Internal, "SmartVault's delegation token answer has no token");
    const auto lifetime = std::chrono::seconds(delegation->value("expires_in", std::int64_t{14} * 86'400));
    session_->delegation_token_ =
        Session::Token{token, renew_time(now, lifetime, settings_.renew_before), ++session_->sign_ins_};
    log_.debug("signed in to SmartVault as {}; delegation token valid for {} s", settings_.admin_email,
               lifetime.count());
    return ok();
}

Expected<Session::Token> SmartvaultPortal::usable_token(std::optional<std::uint64_t> refused) {
    // Held while signing in, so workers that need a token meanwhile wait for this one.
    const std::scoped_lock lock(session_->mutex_);
    const std::optional<Session::Token>& current = session_->delegation_token_;
    if (!current || clock_.steady_now() >= current->renew_at || current->generation == refused) {
        if (auto renewed = renew_tokens(); renewed.has_error()) return unexpected(std::move(renewed).error());
    }
    return *session_->delegation_token_;
}

Status SmartvaultPortal::connect() {
    // A fresh delegation token, so the credentials are checked now rather than at the first call.
    const std::scoped_lock lock(session_->mutex_);
    session_->delegation_token_.reset();
    return renew_tokens();
}

Expected<json> SmartvaultPortal::call(std::string_view method, const std::string& path, const json* body,
                                      Replay replay) {
    const std::string url = settings_.base_url + path;
    const std::string path_only = path.substr(0, path.find('?'));
    bool renewed_after_refusal = false;
    std::optional<std::uint64_t> refused;  // the delegation token the portal refused, when it did
    auto response = run_with_retries(backoff_, clock_, [&](int attempt) -> AttemptResult {
        while (true) {
            auto token = usable_token(refused);
            if (token.has_error()) return {std::nullopt, token.error(), false, {}};
            HttpRequest request{std::string(method), url, {}, body != nullptr ? body->dump() : std::string()};
            request.never_resend = replay == Replay::Unsafe;
            request.headers = {{"Accept", "application/json"},
                               {"Authorization", "Basic " + base64_encode(settings_.admin_email + ":" + token->value)}};
            if (body != nullptr) request.headers.emplace_back("Content-Type", "application/json");
            pace();
            const SteadyTime started = clock_.steady_now();
            auto outcome = http_.send(request);
            const auto elapsed = std::chrono::duration_cast<Millis>(clock_.steady_now() - started).count();
            if (outcome.has_value()) {
                log_.debug("{} {} -> {} in {} ms (attempt {})", method, path_only, outcome->status, elapsed, attempt);
            } else {
                log_.debug("{} {} -> {} (attempt {})", method, path_only, outcome.error().message, attempt);
            }
            // documented: an invalid, expired or revoked token is HTTP 400 invalid_token; renew once.
            if (outcome.has_value() && outcome->status == 400 && !renewed_after_refusal &&
                error_text(*outcome).find("invalid_token") != std::string::npos) {
                renewed_after_refusal = true;
                log_.info("SmartVault refused the delegation token (invalid_token); signing in again");
                refused = token->generation;  // renewed, unless another worker has done so meanwhile
                continue;
            }
            return classify_attempt(outcome, replay, false, clock_.now(), error_text);
        }
    });
    if (response.has_error()) return unexpected(std::move(response).error());
    return open_envelope(*response, std::string(method) + " " + path_only);
}

// ---- clients ----------------------------------------------------------------------------------

std::string SmartvaultPortal::clients_path() const {
    // documented: /nodes/entity/SmartVault.Accounting.Firm/{account_id}/SmartVault.Accounting.FirmClient
    return "/nodes/entity/SmartVault.Accounting.Firm/" + url_encode(settings_.account) +
           "/SmartVault.Accounting.FirmClient";
}

Expected<std::optional<json>> SmartvaultPortal::get_client(const std::string& client_id) {
    // documented: GET .../FirmClient/{client_id}?eprop=true
    auto answer = call("GET", clients_path() + "/" + url_encode(client_id) + "?eprop=true", nullptr, Replay::Safe);
    if (answer.has_error()) {
        if (answer.error().kind == ErrorKind::NotFound) return std::optional<json>();
        return unexpected(std::move(answer).error());
    }
    if (const std::string dav = text_of(*answer, "dav_uri"); !dav.empty()) vaults_[client_id] = vault_from_dav(dav);
    return std::optional<json>(std::move(answer).value());
}

Expected<std::vector<json>> SmartvaultPortal::list_clients() {
    // documented path; paging with page (from 0), per_page and total_children seen in third-party code
    std::vector<json> all;
    for (int page = 0;; ++page) {
        auto answer = call("GET",
                           clients_path() + "?children=1&eprop=true&page=" + std::to_string(page) +
                               "&per_page=" + std::to_string(kPerPage),
                           nullptr, Replay::Safe);
        if (answer.has_error()) return unexpected(std::move(answer).error());
        const json children = answer->value("children", json::array());
        if (!children.is_array()) return fail(ErrorKind::Internal, "SmartVault's client list has no children array");
        for (const json& child : children) {
            const std::string id = text_of(child, "name");
            if (const std::string dav = text_of(child, "dav_uri"); !id.empty() && !dav.empty()) {
                vaults_[id] = vault_from_dav(dav);
            }
            all.push_back(child);
        }
        const auto total = answer->value("total_children", std::int64_t{0});
        if (children.size() < static_cast<std::size_t>(kPerPage) || static_cast<std::int64_t>(all.size()) >= total) {
            return all;
        }
    }
}

Status SmartvaultPortal::save_client(const std::string& client_id, const json& client) {
    // documented: POST .../FirmClient/{client_id} with the create body's shape; it sets the whole client
    const json body = wrap_client(client);
    auto answer = call("POST", clients_path() + "/" + url_encode(client_id), &body, Replay::Safe);
    if (answer.has_error()) return unexpected(std::move(answer).error());
    return ok();
}

Expected<std::string> SmartvaultPortal::vault_of(const std::string& client_id) {
    if (const auto known = vaults_.find(client_id); known != vaults_.end()) return known->second;
    auto client = get_client(client_id);
    if (client.has_error()) return unexpected(std::move(client).error());
    if (!client->has_value()) return fail(ErrorKind::NotFound, "SmartVault has no client with client id " + client_id);
    const auto known = vaults_.find(client_id);
    if (known == vaults_.end())
        return fail(ErrorKind::Internal, "SmartVault's client " + client_id + " has no dav_uri");
    return known->second;
}

Expected<std::optional<Entity>> SmartvaultPortal::find_entity(std::string_view external_key) {
    // 1. by taxsync's alias
    auto clients = list_clients();
    if (clients.has_error()) return unexpected(std::move(clients).error());
    for (const json& child : *clients) {
        const json client = inner_client(child);
        if (alias_value(client) == external_key) {
            const std::string id = text_of(child, "name");
            return std::optional<Entity>(Entity{EntityId(id), std::string(external_key), display_name(client, id)});
        }
    }
    // 2. by client id: a client imported by SmartVault's own tax integration carries the tax
    // package's id. Never by name.
    const std::string id = client_id_for(external_key);
    auto found = get_client(id);
    if (found.has_error()) return unexpected(std::move(found).error());
    if (!found->has_value()) return std::optional<Entity>();
    json client = inner_client(**found);
    if (const std::string other = alias_value(client); !other.empty() && other != external_key) {
        return fail(ErrorKind::Conflict, "SmartVault client id " + id + " belongs to " + other + ", not to " +
                                             std::string(external_key) + "; resolve the clash in SmartVault");
    }
    json aliases = client.value("aliases", json::array());
    aliases.push_back(our_alias(external_key));
    client["aliases"] = aliases;
    if (auto saved = save_client(id, client); saved.has_error()) return unexpected(saved.error());
    log_.info("adopted SmartVault client {} by its client id; alias {} added", id, external_key);
    return std::optional<Entity>(Entity{EntityId(id), std::string(external_key), display_name(client, id)});
}

Expected<CreateResult<Entity>> SmartvaultPortal::create_entity(const NewEntity& entity, std::string_view) {
    const std::string id = client_id_for(entity.external_key);
    // documented body; "name" (the client's display name) assumed. The tax type is not known here.
    const json client = {{"type_qualifier", "Individual"},
                         {"client_id", id},
                         {"name", entity.name},
                         {"persons", json::array()},
                         {"aliases", json::array({our_alias(entity.external_key)})}};
    const json body = wrap_client(client);
    bool ours_may_exist = false;
    for (int round = 1;; ++round) {
        auto answer = call("PUT", clients_path(), &body, Replay::Unsafe);
        if (answer.has_value()) {
            if (const std::string dav = text_of(*answer, "dav_uri"); !dav.empty()) vaults_[id] = vault_from_dav(dav);
            return CreateResult<Entity>{Entity{EntityId(id), entity.external_key, entity.name}, CreateOutcome::Created};
        }
        Error error = std::move(answer).error();
        if (error.kind != ErrorKind::Conflict && !is_transient(error.kind)) return unexpected(std::move(error));
        // A duplicate client id or alias (a failure envelope), or a lost answer: look it up by alias, then id.
        auto found = find_entity(entity.external_key);
        if (found.has_error()) return unexpected(std::move(found).error());
        if (found->has_value()) {
            const bool recovered = ours_may_exist || error.kind != ErrorKind::Conflict;
            return CreateResult<Entity>{std::move(**found),
                                        recovered ? CreateOutcome::Recovered : CreateOutcome::AlreadyExisted};
        }
        ours_may_exist = ours_may_exist || error.kind != ErrorKind::Conflict;
        const auto delay = backoff_.next_delay(round, std::nullopt);
        if (!delay) {
            if (error.kind == ErrorKind::Conflict) {
                return fail(ErrorKind::Ambiguous, error.message + "; but no client has the alias " +
                                                      entity.external_key + " or the client id " + id);
            }
            return unexpected(std::move(error));
        }
        log_.warn("PUT client {} {}; nothing found yet, trying again", id, error.message);
        clock_.sleep_for(*delay);
    }
}

Status SmartvaultPortal::rename_entity(const EntityId& entity, std::string_view name) {
    auto found = get_client(entity.value());
    if (found.has_error()) return unexpected(std::move(found).error());
    if (!found->has_value()) return fail(ErrorKind::NotFound, "SmartVault has no client " + entity.value());
    json client = inner_client(**found);
    client["name"] = name;
    return save_client(entity.value(), client);
}

// ---- contacts (persons on clients) ------------------------------------------------------------

Expected<SmartvaultPortal::Person> SmartvaultPortal::person_of(const ContactId& contact) {
    const std::string& id = contact.value();
    const auto hash = id.rfind('#');
    if (hash == std::string::npos) return fail(ErrorKind::Internal, "not a SmartVault contact id: " + id);
    const std::string client_id = id.substr(0, hash);
    std::size_t index = 0;
    try {
        index = std::stoul(id.substr(hash + 1));
    } catch (const std::exception&) {
        return fail(ErrorKind::Internal, "not a SmartVault contact id: " + id);
    }
    auto found = get_client(client_id);
    if (found.has_error()) return unexpected(std::move(found).error());
    const json persons = found->has_value() ? inner_client(**found).value("persons", json::array()) : json::array();
    if (index >= persons.size()) {
        return fail(ErrorKind::NotFound, "person " + std::to_string(index + 1) + " of SmartVault client " + client_id +
                                             " is gone (removed in SmartVault?)");
    }
    const auto [first, last] = person_names(persons[index]);
    return Person{client_id, index, person_email(persons[index]), first, last};
}

Expected<json> SmartvaultPortal::client_contacts(const std::string& vault) {
    // assumed: GET /nodes/grp/{vault path}/groups/Client Contacts -> members with email, activated
    auto answer = call("GET", "/nodes/grp/" + encode_path(vault) + "/groups/" + url_encode(kClientContacts), nullptr,
                       Replay::Safe);
    if (answer.has_error()) return unexpected(std::move(answer).error());
    return answer->value("members", json::array());
}

Expected<bool> SmartvaultPortal::add_client_contact(const std::string& vault, const std::string& email) {
    // assumed: PUT /nodes/grp/{vault path}/groups/Client Contacts/{email}; the first membership of an
    // email sends SmartVault's User Activation email (the invitation); a repeat is a no-op, so it is
    // safe to send again after a lost answer.
    auto answer = call(
        "PUT", "/nodes/grp/" + encode_path(vault) + "/groups/" + url_encode(kClientContacts) + "/" + url_encode(email),
        nullptr, Replay::Safe);
    if (answer.has_error()) return unexpected(std::move(answer).error());
    return answer->value("added", false);
}

Expected<std::optional<Contact>> SmartvaultPortal::find_contact(std::string_view email) {
    const std::string wanted = normalize_email(email);
    auto clients = list_clients();
    if (clients.has_error()) return unexpected(std::move(clients).error());
    for (const json& child : *clients) {
        const json client = inner_client(child);
        const auto index = person_index(client, wanted);
        if (!index) continue;
        const std::string id = text_of(child, "name");
        const auto [first, last] = person_names(client["persons"][*index]);
        Contact contact{ContactId(id + "#" + std::to_string(*index)), wanted, first, last, false, false};
        auto vault = vault_of(id);
        if (vault.has_error()) return unexpected(std::move(vault).error());
        auto members = client_contacts(*vault);
        if (members.has_error()) return unexpected(std::move(members).error());
        for (const json& member : *members) {
            if (normalize_email(text_of(member, "email")) != wanted) continue;
            contact.can_login = true;
            contact.activated = member.value("activated", false);
        }
        return std::optional<Contact>(std::move(contact));
    }
    return std::optional<Contact>();
}

Expected<CreateResult<Contact>> SmartvaultPortal::create_contact(const NewContact& contact, std::string_view) {
    const std::string client_id = contact.home_entity.value();
    auto found = get_client(client_id);
    if (found.has_error()) return unexpected(std::move(found).error());
    if (!found->has_value()) return fail(ErrorKind::NotFound, "SmartVault has no client " + client_id);
    json client = inner_client(**found);
    auto index = person_index(client, contact.email);
    if (!index) {
        // documented: persons live inside the client; taxpayer and spouse are two persons
        json persons = client.value("persons", json::array());
        persons.push_back(new_person(contact.email, contact.first_name, contact.last_name, persons.empty()));
        index = persons.size() - 1;
        client["persons"] = persons;
        if (auto saved = save_client(client_id, client); saved.has_error()) return unexpected(saved.error());
    }
    if (contact.invite) {
        auto vault = vault_of(client_id);
        if (vault.has_error()) return unexpected(std::move(vault).error());
        if (auto added = add_client_contact(*vault, normalize_email(contact.email)); added.has_error()) {
            return unexpected(std::move(added).error());
        }
    }
    return CreateResult<Contact>{
        Contact{ContactId(client_id + "#" + std::to_string(*index)), normalize_email(contact.email), contact.first_name,
                contact.last_name, contact.invite, false},
        CreateOutcome::Created};
}

Status SmartvaultPortal::update_contact(const ContactId& contact, const ContactChanges& changes) {
    auto person = person_of(contact);
    if (person.has_error()) return unexpected(std::move(person).error());
    // The same person may sit on several clients (a business owner and a 1040 filer): update every one.
    auto clients = list_clients();
    if (clients.has_error()) return unexpected(std::move(clients).error());
    for (const json& child : *clients) {
        json client = inner_client(child);
        const auto index = person_index(client, person->email);
        if (!index) continue;
        json& target = client["persons"][*index];
        target["names"] =
            json::array({{{"FirstName", changes.first_name}, {"MiddleName", ""}, {"LastName", changes.last_name}}});
        target["email_addresses"] = json::array({{{"address", changes.email}}});
        if (auto saved = save_client(text_of(child, "name"), client); saved.has_error()) return saved;
    }
    if (normalize_email(changes.email) != person->email) {
        log_.info("SmartVault: the person's email is now {}; an existing SmartVault login keeps its own address",
                  normalize_email(changes.email));
    }
    return ok();
}

Status SmartvaultPortal::invite_contact(const ContactId& contact, std::string_view, std::string_view) {
    // SmartVault has no stand-alone invitation: the User Activation email goes out when the person
    // is first added to a client's Client Contacts group, which share_entity does for the client
    // whose export names them. Adding them here would open a vault the export may not name.
    auto person = person_of(contact);
    if (person.has_error()) return unexpected(std::move(person).error());
    log_.debug("SmartVault: {} is invited through Client Contacts membership when access is granted", person->email);
    return ok();
}

// ---- access -----------------------------------------------------------------------------------

Status SmartvaultPortal::share_entity(const EntityId& entity, const ContactId& contact, std::string_view) {
    auto person = person_of(contact);
    if (person.has_error()) return unexpected(std::move(person).error());
    auto found = get_client(entity.value());
    if (found.has_error()) return unexpected(std::move(found).error());
    if (!found->has_value()) return fail(ErrorKind::NotFound, "SmartVault has no client " + entity.value());
    json client = inner_client(**found);
    if (!person_index(client, person->email)) {
        json persons = client.value("persons", json::array());
        persons.push_back(new_person(person->email, person->first_name, person->last_name, persons.empty()));
        client["persons"] = persons;
        if (auto saved = save_client(entity.value(), client); saved.has_error()) return saved;
    }
    if (!settings_.grant_access) {
        log_.debug("SmartVault: {} recorded on client {} without access ([mapping] invite = false)", person->email,
                   entity.value());
        return ok();
    }
    auto vault = vault_of(entity.value());
    if (vault.has_error()) return unexpected(std::move(vault).error());
    auto added = add_client_contact(*vault, person->email);
    if (added.has_error()) return unexpected(std::move(added).error());
    return ok();
}

Expected<GroupId> SmartvaultPortal::ensure_group(std::string_view name) {
    return fail(ErrorKind::Rejected, "SmartVault has no firm-wide contact groups, so the group '" + std::string(name) +
                                         "' cannot be made; remove the group rules from [mapping] for this portal "
                                         "(access to a client is its vault's Client Contacts group)");
}

Status SmartvaultPortal::add_to_group(const GroupId& group, const ContactId&) {
    return fail(ErrorKind::Rejected, "SmartVault has no firm-wide contact groups (" + group.value() + ")");
}

Expected<FolderId> SmartvaultPortal::ensure_folder(const EntityId& entity, std::string_view path) {
    auto vault = vault_of(entity.value());
    if (vault.has_error()) return unexpected(std::move(vault).error());
    std::string current = *vault;
    bool any = false;
    for (const std::string& segment : split(path, '/')) {
        if (segment.empty()) continue;
        any = true;
        // assumed: GET /nodes/pth/{path}?children=1 lists folders; PUT /nodes/pth/{path} creates one
        auto listing = call("GET", "/nodes/pth/" + encode_path(current) + "?children=1", nullptr, Replay::Safe);
        if (listing.has_error()) return unexpected(std::move(listing).error());
        bool exists = false;
        for (const json& child : listing->value("children", json::array()))
            exists = exists || text_of(child, "name") == segment;
        current += "/" + segment;
        if (!exists) {
            auto made = call("PUT", "/nodes/pth/" + encode_path(current), nullptr, Replay::Safe);
            if (made.has_error()) return unexpected(std::move(made).error());
        }
    }
    if (!any) return fail(ErrorKind::InvalidInput, "empty folder path");
    return FolderId(current);
}

Status SmartvaultPortal::set_folder_access(const FolderId& folder, const ContactId&, FolderAccess access) {
    // Access is per group: the client's contacts are its vault's Client Contacts group.
    if (access == FolderAccess::None) {
        log_.debug("SmartVault: access is per group; no access for one person is not expressible, left as is");
        return ok();
    }
    const std::string letters = access == FolderAccess::Upload ? "RWC" : "R";
    const std::string path = "/nodes/pth/" + encode_path(folder.value()) + "?acl=1";
    // assumed: GET|PUT /nodes/pth/{folder}?acl=1 {"group","access"}
    auto current = call("GET", path, nullptr, Replay::Safe);
    if (current.has_error()) return unexpected(std::move(current).error());
    for (const json& entry : current->value("acl", json::array())) {
        if (text_of(entry, "group") == kClientContacts && text_of(entry, "access") == letters) return ok();
    }
    const json body = {{"group", kClientContacts}, {"access", letters}};
    auto set = call("PUT", path, &body, Replay::Safe);
    if (set.has_error()) return unexpected(std::move(set).error());
    return ok();
}

// ---- the User Activation email template --------------------------------------------------------

Expected<EmailTemplate> SmartvaultPortal::invitation_template() {
    // documented: GET /nodes/email-template/{account_name}/User Activation (case-sensitive)
    auto answer =
        call("GET", "/nodes/email-template/" + url_encode(settings_.account) + "/" + url_encode(kActivationTemplate),
             nullptr, Replay::Safe);
    if (answer.has_error()) return unexpected(std::move(answer).error());
    return EmailTemplate{std::string(kActivationTemplate), text_of(*answer, "subject"), text_of(*answer, "body")};
}

Status SmartvaultPortal::set_invitation_template(const EmailTemplate& text) {
    // documented: templates are read and updated, never created; update with POST
    const json body = {{"subject", text.subject}, {"body", text.body}};
    auto answer =
        call("POST", "/nodes/email-template/" + url_encode(settings_.account) + "/" + url_encode(kActivationTemplate),
             &body, Replay::Safe);
    if (answer.has_error()) return unexpected(std::move(answer).error());
    return ok();
}

}  // namespace taxsync::portal::smartvault
