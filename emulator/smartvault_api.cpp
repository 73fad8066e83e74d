#include "emulator/smartvault_api.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <array>

#include "core/base64.hpp"
#include "core/digest.hpp"
#include "core/text.hpp"

namespace taxsync::emulator {
namespace {

using nlohmann::json;

constexpr std::string_view kFirmEntity = "SmartVault.Accounting.Firm";
constexpr std::string_view kFirmClient = "SmartVault.Accounting.FirmClient";
constexpr std::string_view kClientDefinition = "SmartVault.Accounting.Client";
constexpr std::string_view kClientContacts = "Client Contacts";
constexpr std::string_view kSelfSignedPrefix = "SLF00";
constexpr std::size_t kMinClientIdLength = 4;
constexpr std::int64_t kMaxPerPage = 1000;
constexpr std::array kVaultGroups = {"Users",           "Vault Manager",  "Vault Full Access", "Vault Full Inbox",
                                     "Vault Read Only", "Client Contacts"};
constexpr std::array kAccessLetters = {"R", "RW", "RWC", "RWCD"};

/// Thrown by validation inside this file and turned into a failure envelope by apply().
struct Failure {
    unsigned status;
    std::string text;
};

[[noreturn]] void refuse(std::string text, unsigned status = 200) { throw Failure{status, std::move(text)}; }

Reply envelope(const json& message) {
    return json_reply(200, json{{"error", {{"success", true}}}, {"message", message}});
}

json parse_object(const std::string& body) {
    json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded() || !parsed.is_object()) refuse("the request body is not a JSON object", 400);
    return parsed;
}

std::string required_text(const json& object, const char* field, std::string_view where) {
    const auto it = object.find(field);
    if (it == object.end() || !it->is_string() || it->get<std::string>().empty()) {
        refuse(std::string(where) + ": " + field + " is required and must be a non-empty string");
    }
    return it->get<std::string>();
}

const json& required_array(const json& object, const char* field, std::string_view where) {
    const auto it = object.find(field);
    if (it == object.end() || !it->is_array()) refuse(std::string(where) + ": " + field + " must be an array");
    return *it;
}

/// The `smart_vault.accounting.client` object of a create or edit body, validated.
json client_from(const json& body) {
    const auto entity = body.find("entity");
    if (entity == body.end() || !entity->is_object()) refuse("the body has no entity object");
    const json meta = entity->value("meta_data", json::object());
    if (!meta.is_object() || meta.value("entity_definition", "") != kClientDefinition) {
        refuse("entity.meta_data.entity_definition must be SmartVault.Accounting.Client");
    }
    const json* client = nullptr;
    try {
        client = &entity->at("smart_vault").at("accounting").at("client");
    } catch (const json::exception&) {
        refuse("the body has no entity.smart_vault.accounting.client object");
    }
    if (!client->is_object()) refuse("entity.smart_vault.accounting.client must be an object");
    const std::string type = required_text(*client, "type_qualifier", "client");
    if (type != "Individual" && type != "Business") refuse("client: type_qualifier must be Individual or Business");
    const std::string id = required_text(*client, "client_id", "client");
    if (id.size() < kMinClientIdLength) refuse("client: client_id must have at least 4 characters");
    if (id.find('/') != std::string::npos) refuse("client: client_id must not contain '/'");
    if (client->contains("name") && !(*client)["name"].is_string()) refuse("client: name must be a string");
    const json& persons = client->contains("persons") ? required_array(*client, "persons", "client") : json::array();
    for (const json& person : persons) {
        if (!person.is_object()) refuse("client: every person must be an object");
        const json& names = required_array(person, "names", "person");
        if (names.empty() || !names[0].is_object()) refuse("person: names must hold one name object");
        required_text(names[0], "FirstName", "person name");
        required_text(names[0], "LastName", "person name");
        if (person.contains("email_addresses")) {
            for (const json& email : required_array(person, "email_addresses", "person")) {
                const std::string address = email.is_object() ? email.value("address", "") : "";
                if (!is_plausible_email(address)) refuse("person: email address '" + address + "' is not valid");
            }
        }
    }
    if (client->contains("aliases")) {
        for (const json& alias : required_array(*client, "aliases", "client")) {
            if (!alias.is_object()) refuse("client: every alias must be an object");
            required_text(alias, "Domain", "alias");
            required_text(alias, "Type", "alias");
            required_text(alias, "Value", "alias");
        }
    }
    return *client;
}

std::vector<std::string> alias_keys(const json& client) {
    std::vector<std::string> keys;
    for (const json& alias : client.value("aliases", json::array())) {
        keys.push_back(alias["Domain"].get<std::string>() + "/" + alias["Type"].get<std::string>() + "/" +
                       alias["Value"].get<std::string>());
    }
    return keys;
}

std::uint32_t read_length(std::string_view bytes, std::size_t at) {
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < 4; ++i) value = (value << 8U) | static_cast<unsigned char>(bytes[at + i]);
    return value;
}

struct SelfSignedToken {
    std::string client_id;
    std::string nonce;
    std::string signed_part;
    std::string signature;
};

/// "SLF00" + length + client id + length + nonce + signature; each length a 4-byte big-endian
/// count of the UTF-8 bytes that follow (the encoding of the lengths is assumed by the contract).
std::optional<SelfSignedToken> parse_self_signed(std::string_view text) {
    const auto bytes = base64_decode(text);
    if (!bytes || bytes->size() < kSelfSignedPrefix.size() + 8 || !bytes->starts_with(kSelfSignedPrefix)) {
        return std::nullopt;
    }
    std::size_t at = kSelfSignedPrefix.size();
    const std::uint32_t id_length = read_length(*bytes, at);
    at += 4;
    if (id_length > bytes->size() - at - 4) return std::nullopt;
    SelfSignedToken token;
    token.client_id = bytes->substr(at, id_length);
    at += id_length;
    const std::uint32_t nonce_length = read_length(*bytes, at);
    at += 4;
    if (nonce_length >= bytes->size() - at) return std::nullopt;
    token.nonce = bytes->substr(at, nonce_length);
    at += nonce_length;
    token.signed_part = bytes->substr(0, at);
    token.signature = bytes->substr(at);
    return token;
}

std::string nonce_text() {
    // 22 characters of [A-Za-z0-9_-], like the live service's nonces
    static constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    for (unsigned char byte : random_bytes(22)) out.push_back(alphabet[byte % alphabet.size()]);
    return out;
}

bool is_vault_group(std::string_view group) {
    for (const char* known : kVaultGroups) {
        if (group == known) return true;
    }
    return false;
}

}  // namespace

void PublicKey::Free::operator()(evp_pkey_st* key) const { EVP_PKEY_free(key); }

Expected<PublicKey> PublicKey::from_pem(std::string_view pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    EVP_PKEY* key = bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr;
    if (key == nullptr) return fail(ErrorKind::InvalidInput, "not a PEM public key (expected BEGIN PUBLIC KEY)");
    if (EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
        EVP_PKEY_free(key);
        return fail(ErrorKind::InvalidInput, "the public key is not an RSA key");
    }
    PublicKey out;
    out.key_ = std::shared_ptr<evp_pkey_st>(key, Free{});
    return out;
}

bool PublicKey::verifies(std::string_view data, std::string_view signature) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    if (!context || EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1) return false;
    return EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                            reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
}

std::optional<std::pair<std::string, std::string>> basic_credentials(std::string_view header) {
    constexpr std::string_view scheme = "Basic ";
    if (header.size() <= scheme.size() || !iequals_ascii(header.substr(0, scheme.size()), scheme)) return std::nullopt;
    const auto decoded = base64_decode(trim(header.substr(scheme.size())));
    if (!decoded) return std::nullopt;
    const auto colon = decoded->find(':');
    if (colon == std::string::npos) return std::nullopt;
    return std::make_pair(decoded->substr(0, colon), decoded->substr(colon + 1));
}

SmartvaultApi::SmartvaultApi(PortalStore& mail, SmartvaultStore& store, const Clock& clock,
                             SmartvaultCredentials credentials, PublicKey key)
    : mail_(mail), store_(store), clock_(clock), credentials_(std::move(credentials)), key_(std::move(key)) {}

std::string SmartvaultApi::new_token() { return to_hex(random_bytes(24)); }

std::variant<Reply, SmartvaultCall> SmartvaultApi::admit(SmartvaultRequest request) {
    const auto& segments = request.segments;
    if (segments.size() == 4 && segments[0] == "auto" && segments[1] == "auth" && segments[3] == "1") {
        return SmartvaultCall{std::move(request), ""};
    }
    // Every other call carries Basic base64(email:delegation token).
    const auto credentials = request.authorization ? basic_credentials(*request.authorization) : std::nullopt;
    const auto subject = credentials ? store_.token_subject(credentials->second, TokenKind::Delegation) : std::nullopt;
    if (!subject || !iequals_ascii(*subject, credentials->first)) {
        return json_reply(400, json{{"error",
                                     {{"success", false},
                                      {"error_text", "invalid_token"},
                                      {"instance_guid", "auth-" + std::to_string(next_instance_++)}}},
                                    {"message", nullptr}});
    }
    return SmartvaultCall{std::move(request), *subject};
}

Reply SmartvaultApi::apply(const SmartvaultCall& call) {
    try {
        sqlite::Transaction transaction(store_.database());
        Reply reply = dispatch(call);
        transaction.commit();
        return reply;
    } catch (const Failure& failure) {
        return json_reply(failure.status, json{{"error",
                                                {{"success", false},
                                                 {"error_text", failure.text},
                                                 {"instance_guid", "req-" + std::to_string(next_instance_++)}}},
                                               {"message", nullptr}});
    } catch (const std::exception& error) {
        return json_reply(
            500, json{{"error", {{"success", false}, {"error_text", std::string("emulator failure: ") + error.what()}}},
                      {"message", nullptr}});
    }
}

Reply SmartvaultApi::dispatch(const SmartvaultCall& call) {
    const auto& s = call.request.segments;
    const std::string& method = call.request.method;
    if (s.size() == 4 && s[0] == "auto") {
        if (method != "POST") refuse("use POST", 405);
        if (s[2] == "nonce") return issue_nonce(call.request);
        if (s[2] == "ctoken") return issue_client_token(call.request);
        if (s[2] == "dtoken") return issue_delegation_token(call.request);
        refuse("not found", 404);
    }
    if (s.size() < 3 || s[0] != "nodes") refuse("not found", 404);
    if (s[1] == "entity") {
        // /nodes/entity/SmartVault.Accounting.Firm/{account}/SmartVault.Accounting.FirmClient[/{client_id}]
        if (s.size() < 5 || s[2] != kFirmEntity || s[4] != kFirmClient) refuse("not found", 404);
        if (s[3] != store_.account()) refuse("no account '" + s[3] + "'", 404);
        if (s.size() == 5) return clients(call);
        if (s.size() == 6) return client(call, s[5]);
        refuse("not found", 404);
    }
    if (s[2] != store_.account()) refuse("no account named '" + s[2] + "'", 404);
    if (s[1] == "grp") return group(call);
    if (s[1] == "pth") return path(call);
    if (s[1] == "templates") return client_template(call);
    if (s[1] == "email-template") return email_template(call);
    refuse("not found", 404);
}

// ---- authentication

Reply SmartvaultApi::issue_nonce(const SmartvaultRequest& request) {
    // documented: POST /auto/auth/nonce/1 {"client_id"} -> message.code
    const json body = parse_object(request.body);
    const std::string client_id = body.value("client_id", "");
    if (client_id.empty()) refuse("client_id is required");
    if (client_id != credentials_.app_id) refuse("unknown client_id '" + client_id + "'");
    const std::string nonce = nonce_text();
    store_.insert_nonce(nonce, client_id);
    return envelope(json{{"code", nonce}});
}

Reply SmartvaultApi::issue_client_token(const SmartvaultRequest& request) {
    // documented: POST /auto/auth/ctoken/1 {"client_id","token"} -> message.token, message.expires_in
    const json body = parse_object(request.body);
    const std::string client_id = body.value("client_id", "");
    if (client_id != credentials_.app_id) refuse("unknown client_id '" + client_id + "'");
    const auto token = parse_self_signed(body.value("token", ""));
    if (!token) refuse("invalid_client: the self-signed token is malformed", 401);
    if (token->client_id != client_id) refuse("invalid_client: the self-signed token names another client id", 401);
    if (!key_.verifies(token->signed_part, token->signature)) {
        refuse("invalid_client: the self-signed token's signature does not verify with the app's public key", 401);
    }
    if (!store_.take_nonce(token->nonce, client_id)) refuse("invalid_client: unknown or already used nonce", 401);
    const std::string issued = new_token();
    store_.insert_token(issued, TokenKind::Client, client_id, clock_.now() + credentials_.client_token_ttl);
    return envelope(json{{"token", issued}, {"expires_in", credentials_.client_token_ttl.count()}});
}

Reply SmartvaultApi::issue_delegation_token(const SmartvaultRequest& request) {
    // assumed: POST /auto/auth/dtoken/1 {"user_email"} with Basic base64(app id:client token)
    const auto credentials = request.authorization ? basic_credentials(*request.authorization) : std::nullopt;
    const auto app = credentials ? store_.token_subject(credentials->second, TokenKind::Client) : std::nullopt;
    if (!app || *app != credentials->first) refuse("invalid_token", 400);
    const json body = parse_object(request.body);
    const std::string email = body.value("user_email", "");
    if (!is_plausible_email(email)) refuse("user_email must be the email of a user of the account");
    const std::string issued = new_token();
    store_.insert_token(issued, TokenKind::Delegation, to_lower_ascii(email),
                        clock_.now() + credentials_.delegation_token_ttl);
    return envelope(json{{"token", issued}, {"expires_in", credentials_.delegation_token_ttl.count()}});
}

// ---- firm clients

Reply SmartvaultApi::clients(const SmartvaultCall& call) {
    const auto& request = call.request;
    if (request.method == "PUT") {
        json client = client_from(parse_object(request.body));
        const std::string id = client["client_id"].get<std::string>();
        if (store_.client(id)) refuse("a client with client ID '" + id + "' already exists");
        const auto keys = alias_keys(client);
        for (const auto& key : keys) {
            if (auto owner = store_.client_with_alias(key)) {
                refuse("the alias '" + key + "' already exists on client '" + *owner + "'");
            }
        }
        return envelope(store_.insert_client(client, keys));
    }
    if (request.method != "GET") refuse("use GET or PUT", 405);
    if (request.query.get("children").value_or("0") != "1") {
        return envelope(json{{"name", kFirmClient}, {"total_children", store_.client_count()}});
    }
    std::int64_t page = 0;
    std::int64_t per_page = 50;
    try {
        if (auto text = request.query.get("page")) page = std::stoll(*text);
        if (auto text = request.query.get("per_page")) per_page = std::stoll(*text);
    } catch (const std::exception&) {
        refuse("page and per_page must be numbers", 400);
    }
    if (page < 0 || per_page < 1 || per_page > kMaxPerPage) refuse("page from 0; per_page from 1 to 1000", 400);
    return envelope(json{{"name", kFirmClient},
                         {"total_children", store_.client_count()},
                         {"children", store_.clients(page, per_page)}});
}

Reply SmartvaultApi::client(const SmartvaultCall& call, const std::string& client_id) {
    const auto existing = store_.client(client_id);
    if (!existing) refuse("no client with client ID '" + client_id + "'", 404);
    if (call.request.method == "GET") return envelope(*existing);
    if (call.request.method != "POST") refuse("use GET or POST", 405);
    json client = client_from(parse_object(call.request.body));
    if (client["client_id"] != client_id) refuse("the client ID is immutable once created");
    const auto keys = alias_keys(client);
    for (const auto& key : keys) {
        if (auto owner = store_.client_with_alias(key); owner && *owner != client_id) {
            refuse("the alias '" + key + "' already exists on client '" + *owner + "'");
        }
    }
    return envelope(store_.update_client(client_id, client, keys));
}

// ---- groups: /nodes/grp/{account}/{vault}/groups/{group}[/{email}]

Reply SmartvaultApi::group(const SmartvaultCall& call) {
    const auto& s = call.request.segments;
    if ((s.size() != 6 && s.size() != 7) || s[4] != "groups") refuse("not found", 404);
    const std::string& vault = s[3];
    const std::string& group = s[5];
    if (!store_.vault_exists(vault)) refuse("no vault '" + vault + "'", 404);
    if (!is_vault_group(group)) refuse("no group '" + group + "' on a vault (group names are case-sensitive)", 404);
    if (s.size() == 6) {
        if (call.request.method != "GET") refuse("use GET", 405);
        return envelope(json{{"name", group}, {"members", store_.members(vault, group)}});
    }
    const std::string email = to_lower_ascii(s[6]);
    if (!is_plausible_email(email)) refuse("'" + s[6] + "' is not an email address");
    const auto activation = store_.email_template("User Activation");
    const auto render = [&](std::string text) {
        for (const auto& [placeholder, value] :
             {std::pair<std::string, std::string>{"%FROMNAME%", call.user_email},
              std::pair<std::string, std::string>{"%SUBJECTTEXT%", "the " + vault + " vault"}}) {
            for (auto at = text.find(placeholder); at != std::string::npos; at = text.find(placeholder, at)) {
                text.replace(at, placeholder.size(), value);
                at += value.size();
            }
        }
        return text;
    };
    if (call.request.method == "PUT") {
        const bool added = store_.add_member(vault, group, email);
        if (added && group == kClientContacts) {
            // A new login gets the User Activation email: the invitation. A known one is told of the access.
            if (!store_.has_login(email)) {
                store_.create_login(email);
                mail_.send_mail(email, email, vault, MailKind::Invitation, render(activation->at("subject")));
            } else {
                mail_.send_mail(email, email, vault, MailKind::PermissionGranted, "access to the " + vault + " vault");
            }
        }
        return envelope(json{{"email", email}, {"group", group}, {"added", added}});
    }
    if (call.request.method == "POST" && call.request.query.get("resend") == std::optional<std::string>("1")) {
        if (!store_.is_member(vault, group, email)) refuse(email + " is not a member of " + group);
        for (const json& member : store_.members(vault, group)) {
            if (member["email"] == email && member["activated"].get<bool>()) refuse(email + " has already activated");
        }
        mail_.send_mail(email, email, vault, MailKind::Invitation, render(activation->at("subject")));
        return envelope(json{{"email", email}, {"group", group}, {"resent", true}});
    }
    refuse("use PUT, or POST with resend=1", 405);
}

// ---- folders: /nodes/pth/{account}/{vault}/{folder...}

Reply SmartvaultApi::path(const SmartvaultCall& call) {
    const auto& s = call.request.segments;
    if (s.size() < 4) refuse("not found", 404);
    const std::string& vault = s[3];
    if (!store_.vault_exists(vault)) refuse("no vault '" + vault + "'", 404);
    std::string full = s[2] + "/" + vault;
    for (std::size_t i = 4; i < s.size(); ++i) full += "/" + s[i];
    const bool is_folder = s.size() > 4;
    const bool acl = call.request.query.get("acl") == std::optional<std::string>("1");
    if (acl) {
        if (!is_folder || !store_.folder_exists(full)) refuse("no folder '" + full + "'", 404);
        if (call.request.method == "GET") {
            json entries = json::array();
            for (const char* group : kVaultGroups) {
                if (auto access = store_.folder_access(full, group)) {
                    entries.push_back(json{{"group", group}, {"access", *access}});
                }
            }
            return envelope(json{{"path", "/nodes/pth/" + full}, {"acl", entries}});
        }
        if (call.request.method != "PUT") refuse("use GET or PUT", 405);
        const json body = parse_object(call.request.body);
        const std::string group = required_text(body, "group", "acl");
        const std::string access = required_text(body, "access", "acl");
        if (!is_vault_group(group)) refuse("acl: no group '" + group + "' on a vault");
        bool known = false;
        for (const char* letters : kAccessLetters) known = known || access == letters;
        if (!known) refuse("acl: access must be R, RW, RWC or RWCD");
        store_.set_folder_access(full, group, access);
        return envelope(json{{"path", "/nodes/pth/" + full}, {"group", group}, {"access", access}});
    }
    if (call.request.method == "GET") {
        if (is_folder && !store_.folder_exists(full)) refuse("no folder '" + full + "'", 404);
        json children = json::array();
        if (call.request.query.get("children").value_or("0") == "1") {
            for (const auto& name : store_.child_folders(full)) {
                children.push_back(json{{"name", name}, {"uri", "/nodes/pth/" + full + "/" + name}});
            }
        }
        return envelope(json{{"name", s.back()}, {"uri", "/nodes/pth/" + full}, {"children", children}});
    }
    if (call.request.method != "PUT" || !is_folder) refuse("use GET, or PUT on a folder path", 405);
    std::string parent = full.substr(0, full.rfind('/'));
    if (parent != s[2] + "/" + vault && !store_.folder_exists(parent)) refuse("no parent folder '" + parent + "'", 404);
    const bool created = !store_.folder_exists(full);
    store_.insert_folder(vault, full);
    return envelope(json{{"name", s.back()}, {"uri", "/nodes/pth/" + full}, {"created", created}});
}

// ---- templates

Reply SmartvaultApi::client_template(const SmartvaultCall& call) {
    const auto& s = call.request.segments;
    if (call.request.method != "GET") refuse("use GET", 405);
    // documented: paths are case-sensitive; a wrong casing gets an error object
    if (s.size() != 5 || s[3] != "My Templates" || s[4] != kClientDefinition) {
        refuse("no template at this path (template paths are case-sensitive)");
    }
    json folders = json::array();
    for (const TemplateFolder& folder : default_client_template()) {
        json access = json::array();
        for (const auto& [group, letters] : folder.access)
            access.push_back(json{{"group", group}, {"access", letters}});
        folders.push_back(json{{"name", folder.name}, {"access", access}});
    }
    return envelope(json{{"name", kClientDefinition}, {"folders", folders}});
}

Reply SmartvaultApi::email_template(const SmartvaultCall& call) {
    const auto& s = call.request.segments;
    if (s.size() != 4) refuse("not found", 404);
    const auto existing = store_.email_template(s[3]);
    // documented: names are case-sensitive; templates can be read and updated, not created
    if (!existing) refuse("no email template named '" + s[3] + "' (names are case-sensitive)");
    if (call.request.method == "GET") return envelope(*existing);
    if (call.request.method != "POST") refuse("email templates can only be read (GET) and updated (POST)", 405);
    const json body = parse_object(call.request.body);
    std::optional<std::string> subject;
    std::optional<std::string> text;
    if (body.contains("subject")) {
        if (!body["subject"].is_string() || body["subject"].get<std::string>().empty()) {
            refuse("subject must be a non-empty string");
        }
        subject = body["subject"].get<std::string>();
    }
    if (body.contains("body")) {
        if (!body["body"].is_string() || body["body"].get<std::string>().empty())
            refuse("body must be a non-empty string");
        text = body["body"].get<std::string>();
    }
    if (!subject && !text) refuse("give subject, body or both");
    store_.update_email_template(s[3], subject, text);
    return envelope(*store_.email_template(s[3]));
}

}  // namespace taxsync::emulator
