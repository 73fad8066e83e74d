#pragma once
// The emulated portal's data in SQLite: entities, users (contacts and staff), contact groups,
// roles, entity role assignments, folders and their permissions, file-request activities, the
// mailbox and bearer tokens. Every searchable field is a column with an index; lists page with
// LIMIT/OFFSET in creation order. Validation and HTTP live one layer up (caseware_api).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "emulator/ids.hpp"
#include "emulator/search.hpp"
#include "store/sqlite.hpp"

namespace taxsync::emulator {

inline constexpr std::string_view kEntityAccessRole = "Contact - Entity Access";
inline constexpr std::string_view kEntityCollaboratorRole = "Contact - Entity Collaborator";

enum class Collection { Entities, Users, Groups, Roles };

/// The top-level primitive fields `search=` may name, per collection.
std::span<const SearchableField> searchable_fields(Collection collection);

struct Page {
    std::int64_t number = 1;  // from 1
    std::int64_t size = 100;

    /// One page holding every row (for answers that show a whole list, and for the state dump).
    static Page everything() { return {1, std::int64_t{1} << 40}; }
};

struct NewUser {
    std::string first_name;
    std::optional<std::string> middle_name;
    std::string last_name;
    std::optional<std::string> email;
    std::string owner_type;
    bool can_login = false;
    std::optional<std::string> entity_id;
};

/// Fields a PATCH may change; absent means unchanged. `inactive_date` distinguishes "absent"
/// (outer nullopt) from "set to null" (re-enable).
struct UserChanges {
    std::optional<std::string> first_name;
    std::optional<std::optional<std::string>> middle_name;
    std::optional<std::string> last_name;
    std::optional<std::string> email;
    std::optional<std::string> owner_type;
    std::optional<bool> can_login;
    std::optional<std::optional<std::string>> inactive_date;
    std::optional<std::string> entity_id;
};

struct NewActivity {
    std::string type;
    std::string entity_id;
    std::vector<std::string> recipients;
    std::string subject;
    std::optional<std::string> description;
    std::optional<std::string> message;
    std::vector<std::string> attachments;
};

enum class MailKind { Invitation, FileRequest, PermissionGranted };

class PortalStore {
public:
    /// Creates the schema (WAL, indexes) and the predefined roles. `id_seed` feeds the CWGuid
    /// generator; its counter lives in the database so a restart does not repeat ids.
    PortalStore(sqlite::Database& db, const Clock& clock, std::uint64_t id_seed);

    [[nodiscard]] sqlite::Database& database() { return db_; }
    std::string new_guid();

    /// Removes everything except roles and issued tokens.
    void wipe_all_but_roles();

    /// One page of a collection, optionally filtered by one search condition, in creation order.
    nlohmann::json list(Collection collection, const std::optional<SqlCondition>& condition, Page page);

    // Entities
    std::optional<nlohmann::json> entity(std::string_view guid);
    std::optional<std::string> entity_with_number(std::string_view entity_no);
    nlohmann::json insert_entity(std::string_view name, std::string_view entity_no, std::string_view entity_type);
    nlohmann::json update_entity(std::string_view guid, const std::optional<std::string>& name,
                                 const std::optional<std::string>& entity_no,
                                 const std::optional<std::string>& entity_type);

    // Users
    std::optional<nlohmann::json> user(std::string_view guid);
    /// Case-insensitive, like the uniqueness rule.
    std::optional<std::string> user_with_email(std::string_view email);
    nlohmann::json insert_user(const NewUser& user);
    nlohmann::json update_user(std::string_view guid, const UserChanges& changes);
    void activate_user(std::string_view guid);

    // Contact groups
    std::optional<nlohmann::json> group(std::string_view guid);
    std::optional<std::string> group_named(std::string_view name);
    nlohmann::json insert_group(std::string_view name, std::string_view description, std::string_view group_type);
    void add_group_member(std::string_view group_guid, std::string_view user_guid);
    void remove_group_member(std::string_view group_guid, std::string_view user_guid);
    std::vector<std::string> group_members(std::string_view group_guid);

    // Roles and entity role assignments
    std::optional<nlohmann::json> role(std::string_view guid);
    std::string role_id_named(std::string_view name);
    nlohmann::json role_assignments(std::string_view entity_guid, Page page = Page::everything());
    void assign_role(std::string_view entity_guid, std::string_view role_guid, std::string_view person_guid);
    void unassign_role(std::string_view entity_guid, std::string_view role_guid, std::string_view person_guid);
    bool has_role(std::string_view entity_guid, std::string_view role_guid, std::string_view person_guid);

    // Folders and permissions
    std::optional<nlohmann::json> folder(std::string_view guid);
    bool folder_name_taken(std::string_view entity_guid, const std::optional<std::string>& parent_guid,
                           std::string_view name);
    nlohmann::json insert_folder(std::string_view entity_guid, const std::optional<std::string>& parent_guid,
                                 std::string_view name);
    nlohmann::json folders(std::string_view entity_guid, Page page);
    nlohmann::json folder_permissions(std::string_view folder_guid, Page page = Page::everything());
    void set_folder_permission(std::string_view folder_guid, std::string_view person_guid, std::string_view access);

    // Activities
    nlohmann::json insert_activity(const NewActivity& activity);

    // Mailbox
    void send_mail(std::string_view to, std::string_view user_guid, const std::optional<std::string>& entity_guid,
                   MailKind kind, std::string_view message);
    nlohmann::json mailbox();

    // Tokens
    void insert_token(std::string_view token, std::string_view client_id, SystemTime expires_at);
    struct TokenInfo {
        std::string client_id;
        SystemTime expires_at;
    };
    std::optional<TokenInfo> token(std::string_view token);
    void expire_all_tokens();

    /// Everything, for /_emulator/state.
    nlohmann::json state();

private:
    void create_schema();
    void seed_roles();

    sqlite::Database& db_;
    const Clock& clock_;
    GuidGenerator guids_;
    std::uint64_t next_counter_ = 0;
};

}  // namespace taxsync::emulator
