#pragma once
// The emulated SmartVault account in SQLite: firm clients (the client object as JSON, its aliases
// unique), vault group members, folders with per-group access, the User Activation email template,
// nonces and tokens. The mailbox is PortalStore's, shared with the CaseWare dialect. Validation and
// HTTP live one layer up (smartvault_api).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "store/sqlite.hpp"

namespace taxsync::emulator {

/// A folder of the firm's default client template and the access its groups get.
struct TemplateFolder {
    std::string name;
    std::vector<std::pair<std::string, std::string>> access;  // group type -> "R", "RW", "RWC", "RWCD"
};

/// The default client template every new client's vault is made from.
const std::vector<TemplateFolder>& default_client_template();

enum class TokenKind { Client, Delegation };

class SmartvaultStore {
public:
    SmartvaultStore(sqlite::Database& db, const Clock& clock, std::string account);

    [[nodiscard]] const std::string& account() const { return account_; }
    [[nodiscard]] sqlite::Database& database() { return db_; }
    void wipe();

    // Firm clients. `client` is the smart_vault.accounting.client object.
    std::optional<nlohmann::json> client(std::string_view client_id);
    std::optional<std::string> client_with_alias(std::string_view alias_key);
    /// Inserts the client, its aliases and its vault with the template's folders and access.
    nlohmann::json insert_client(const nlohmann::json& client, const std::vector<std::string>& alias_keys);
    nlohmann::json update_client(std::string_view client_id, const nlohmann::json& client,
                                 const std::vector<std::string>& alias_keys);
    std::int64_t client_count();
    nlohmann::json clients(std::int64_t page, std::int64_t per_page);

    // Vault groups
    [[nodiscard]] bool vault_exists(std::string_view vault);
    /// True when the member was added, false when it was already there.
    bool add_member(std::string_view vault, std::string_view group, std::string_view email);
    nlohmann::json members(std::string_view vault, std::string_view group);
    [[nodiscard]] bool is_member(std::string_view vault, std::string_view group, std::string_view email);
    /// A login exists for the email (invited before, anywhere in the account).
    [[nodiscard]] bool has_login(std::string_view email);
    void create_login(std::string_view email);
    void activate_login(std::string_view email);

    // Folders: full paths "<account>/<vault>/<folder>/<sub>"
    [[nodiscard]] bool folder_exists(std::string_view path);
    void insert_folder(std::string_view vault, std::string_view path);
    std::vector<std::string> child_folders(std::string_view parent_path);
    std::optional<std::string> folder_access(std::string_view path, std::string_view group);
    void set_folder_access(std::string_view path, std::string_view group, std::string_view access);

    // Email templates (read and update only)
    std::optional<nlohmann::json> email_template(std::string_view name);
    void update_email_template(std::string_view name, const std::optional<std::string>& subject,
                               const std::optional<std::string>& body);

    // Authentication
    void insert_nonce(std::string_view nonce, std::string_view client_id);
    /// Consumes the nonce; false when unknown, used, or issued to another client id.
    bool take_nonce(std::string_view nonce, std::string_view client_id);
    void insert_token(std::string_view token, TokenKind kind, std::string_view subject, SystemTime expires_at);
    /// The subject (app id or user email) of a live token of that kind.
    std::optional<std::string> token_subject(std::string_view token, TokenKind kind);
    void expire_all_tokens();

    nlohmann::json state();

private:
    void create_schema();
    void seed_templates();
    nlohmann::json client_json(sqlite::Statement& row);

    sqlite::Database& db_;
    const Clock& clock_;
    std::string account_;
};

}  // namespace taxsync::emulator
