#pragma once
// SmartVault's REST API, as fixed by portal-dialects/smartvault.md. Every endpoint is written once,
// in smartvault_portal.cpp, marked documented or assumed.
//
// How the engine's picture maps onto SmartVault:
// - an entity is a firm client, identified by its client id (immutable); taxsync's external key is
//   the client's alias {Domain "taxsync", Type "identifier", Value "<connector>:<client id>"};
// - a contact is a person on a client (taxpayer and spouse are two persons on one client); its id
//   is "<client id>#<person index>" of the client it was first added to;
// - access to a client is membership of its vault's Client Contacts group, and the first such
//   membership of an email sends SmartVault's User Activation email: the invitation;
// - folder access is per group (Client Contacts), not per person; there are no firm-wide contact
//   groups and no roles on a client; clients are archived, never deleted.

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
#include "portal/smartvault/signing.hpp"

namespace taxsync::portal::smartvault {

inline constexpr std::string_view kDefaultBaseUrl = "https://rest.smartvault.com";

struct Settings {
    std::string base_url{kDefaultBaseUrl};
    std::string account;  // the firm's account name, also its id in entity paths
    std::string app_id;   // the autonomous API client's id
    std::string private_key_pem;
    std::string admin_email;  // the firm admin the delegation token acts for
    std::chrono::seconds renew_before{300};
    double requests_per_second = 2.0;  // SmartVault publishes no limit; pace ourselves. 0: no pacing
    /// Give contacts access ([mapping] invite). Access is Client Contacts membership, which sends
    /// the invitation, so without it persons are recorded on their clients and nothing more.
    bool grant_access = true;
    RetryPolicy retry;
    std::uint64_t jitter_seed = 0;
};

/// The SmartVault client id for an external key "<connector>:<client id>": the tax package's id,
/// which SmartVault's own tax integrations also use; one shorter than SmartVault's 4 characters
/// gets a "TS-" prefix.
std::string client_id_for(std::string_view external_key);

/// The sign-in to one SmartVault account, shared by the adapters of the workers that apply in
/// parallel: one client token and one delegation token for all of them, renewed by whichever
/// worker needs them first while the others wait.
class Session {
private:
    friend class SmartvaultPortal;
    struct Token {
        std::string value;
        SteadyTime renew_at{};         // a little before it expires
        std::uint64_t generation = 0;  // which sign-in gave it (delegation tokens)
    };
    std::mutex mutex_;
    std::optional<Token> client_token_;
    std::optional<Token> delegation_token_;
    std::uint64_t sign_ins_ = 0;
};

class SmartvaultPortal final : public Portal {
public:
    /// Fails when the private key cannot be used. `session`: shared with the other adapters of the
    /// same account; a new one when not given.
    static Expected<std::unique_ptr<SmartvaultPortal>> create(
        Settings settings, HttpClient& http, Clock& clock, const Logger& log,
        std::shared_ptr<Session> session = std::make_shared<Session>());
    SmartvaultPortal(Settings settings, PrivateKey key, HttpClient& http, Clock& clock, const Logger& log,
                     std::shared_ptr<Session> session = std::make_shared<Session>());

    [[nodiscard]] std::string_view dialect() const override { return "smartvault"; }
    [[nodiscard]] const Capabilities& capabilities() const override { return capabilities_; }
    Status connect() override;

    Expected<std::optional<Entity>> find_entity(std::string_view external_key) override;
    Expected<CreateResult<Entity>> create_entity(const NewEntity& entity, std::string_view idempotency_key) override;
    Status rename_entity(const EntityId& entity, std::string_view name) override;

    Expected<std::optional<Contact>> find_contact(std::string_view email) override;
    Expected<CreateResult<Contact>> create_contact(const NewContact& contact,
                                                   std::string_view idempotency_key) override;
    Status update_contact(const ContactId& contact, const ContactChanges& changes) override;
    Status invite_contact(const ContactId& contact, std::string_view message,
                          std::string_view idempotency_key) override;

    Status share_entity(const EntityId& entity, const ContactId& contact, std::string_view role) override;
    Expected<GroupId> ensure_group(std::string_view name) override;
    Status add_to_group(const GroupId& group, const ContactId& contact) override;
    Expected<FolderId> ensure_folder(const EntityId& entity, std::string_view path) override;
    Status set_folder_access(const FolderId& folder, const ContactId& contact, FolderAccess access) override;

    Expected<EmailTemplate> invitation_template() override;
    Status set_invitation_template(const EmailTemplate& text) override;

private:
    struct Person {
        std::string client_id;
        std::size_t index = 0;
        std::string email;
        std::string first_name;
        std::string last_name;
    };

    /// One API call: pacing, the delegation token (renewed before expiry, and once on 400
    /// invalid_token), retries, and the envelope; returns `message`.
    Expected<nlohmann::json> call(std::string_view method, const std::string& path, const nlohmann::json* body,
                                  Replay replay);
    /// One auth call (no delegation token); returns `message`.
    Expected<nlohmann::json> auth_call(const std::string& path, const nlohmann::json& body,
                                       const std::optional<std::string>& basic);
    /// A delegation token that is not due for renewal and is not the one the portal refused
    /// (`refused`: its generation); signs in first when there is none.
    Expected<Session::Token> usable_token(std::optional<std::uint64_t> refused = std::nullopt);
    /// Signs in: a client token when the session has none that is still good, then a delegation
    /// token. Called with the session's lock held.
    Status renew_tokens();
    void pace();

    std::string clients_path() const;
    Expected<std::optional<nlohmann::json>> get_client(const std::string& client_id);
    Expected<std::vector<nlohmann::json>> list_clients();
    Status save_client(const std::string& client_id, const nlohmann::json& client);
    Expected<std::string> vault_of(const std::string& client_id);
    Expected<Person> person_of(const ContactId& contact);
    Expected<bool> add_client_contact(const std::string& vault, const std::string& email);
    Expected<nlohmann::json> client_contacts(const std::string& vault);

    Settings settings_;
    PrivateKey key_;
    HttpClient& http_;
    Clock& clock_;
    const Logger& log_;
    Backoff backoff_;
    Capabilities capabilities_;
    std::shared_ptr<Session> session_;
    std::optional<SteadyTime> last_request_;
    std::map<std::string, std::string, std::less<>> vaults_;  // client id -> vault path under /nodes/pth
};

}  // namespace taxsync::portal::smartvault
