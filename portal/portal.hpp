#pragma once
// What the engine asks of a client portal. Each dialect (portal/<dialect>/) turns these calls into
// its own HTTP requests. Creates are safe to call again after a crash or a lost answer: a dialect
// looks the object up before it creates it again, and reports how the object came to exist.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/strong_id.hpp"

namespace taxsync::portal {

enum class FolderAccess { None, Read, Upload };
std::string_view to_string(FolderAccess access);
std::optional<FolderAccess> folder_access_from(std::string_view text);

struct Entity {
    EntityId id;
    std::string external_key;
    std::string name;
};

struct Contact {
    ContactId id;
    std::string email;
    std::string first_name;
    std::string last_name;
    bool can_login = false;
    bool activated = false;
};

struct NewEntity {
    std::string external_key;  // "<connector>:<client id>"
    std::string name;
};

struct NewContact {
    std::string email;
    std::string first_name;
    std::string last_name;
    EntityId home_entity;
    bool invite = true;               // give portal access and send the invitation
    std::string invitation_message;
};

struct ContactChanges {
    std::string email;
    std::string first_name;
    std::string last_name;
};

enum class CreateOutcome {
    Created,          // our request created it
    Recovered,        // our request's answer was lost; the object was found afterwards, so it was ours
    AlreadyExisted,   // the portal said it exists (409): someone else made it
};
std::string_view to_string(CreateOutcome outcome);

template <class T>
struct CreateResult {
    T object;
    CreateOutcome outcome = CreateOutcome::Created;
};

/// What a dialect can and cannot do, so the planner and `taxsync plan` can say so plainly.
struct Capabilities {
    bool invitation_on_create = true;      // creating a contact with invite=true sends the invitation
    bool honours_idempotency_keys = false; // a lost answer may be retried blindly with the same key
    bool revokes_access = false;           // shares, group memberships and folder access can be taken back
    bool deactivates_contacts = false;     // a contact's login can be turned off
    bool reads_access_back = false;        // entity shares and folder access can be read (taxsync verify)
    bool file_requests = false;            // request_files() is implemented
    bool contact_groups = true;            // firm-wide contact groups (ensure_group, add_to_group)
    bool per_contact_folder_access = true; // false: access is set per group, alike for all of a client's contacts
    bool entity_roles = true;              // false: share_entity gives the portal's one client access; the role is ignored
    bool invitation_message = true;        // false: the portal sends its own email template, not our message
    bool contact_email_change = true;      // false: changing an email updates the record, not the person's login
    bool delete_entities = true;           // false: clients cannot be deleted, removal means archive
};

/// One role share on an entity, as the portal holds it.
struct Share {
    std::string role;  // the role's name
    ContactId contact;
};

/// A request for documents to contacts of one entity; the portal emails each recipient.
struct FileRequest {
    EntityId entity;
    std::vector<ContactId> recipients;  // each must hold the Entity Collaborator role on the entity
    std::string subject;
    std::string description;
    std::string message;
    std::string attach_folder;  // '/'-separated path under the entity; empty: nothing to attach
    std::string attach_file;    // the file's name in that folder, attached only when it exists
};

struct FileRequestResult {
    std::string id;         // the portal's id of the request
    bool attached = false;  // the file to attach was found and attached
    std::string note;       // why an attachment asked for was not attached
};

/// One plain sentence per thing the dialect cannot do, for `taxsync plan` and the logs.
std::vector<std::string> limitations(const Capabilities& capabilities);

/// An email template of the portal's own (SmartVault's User Activation), read and updated as a whole.
struct EmailTemplate {
    std::string name;
    std::string subject;
    std::string body;
};

class Portal {
public:
    virtual ~Portal() = default;
    [[nodiscard]] virtual std::string_view dialect() const = 0;
    [[nodiscard]] virtual const Capabilities& capabilities() const = 0;

    /// Authenticates; fails with Unauthorized when the credentials are refused.
    virtual Status connect() = 0;

    virtual Expected<std::optional<Entity>> find_entity(std::string_view external_key) = 0;
    virtual Expected<CreateResult<Entity>> create_entity(const NewEntity& entity, std::string_view idempotency_key) = 0;
    virtual Status rename_entity(const EntityId& entity, std::string_view name) = 0;

    virtual Expected<std::optional<Contact>> find_contact(std::string_view email) = 0;
    virtual Expected<CreateResult<Contact>> create_contact(const NewContact& contact,
                                                           std::string_view idempotency_key) = 0;
    virtual Status update_contact(const ContactId& contact, const ContactChanges& changes) = 0;
    /// Gives an existing contact portal access and sends the invitation. Never resent blindly: when
    /// the answer is lost and the dialect cannot prove what happened, the error is Ambiguous.
    virtual Status invite_contact(const ContactId& contact, std::string_view message,
                                  std::string_view idempotency_key) = 0;

    virtual Status share_entity(const EntityId& entity, const ContactId& contact, std::string_view role) = 0;
    virtual Expected<GroupId> ensure_group(std::string_view name) = 0;
    virtual Status add_to_group(const GroupId& group, const ContactId& contact) = 0;
    /// Creates the missing folders of a '/'-separated path under the entity; returns the last one.
    virtual Expected<FolderId> ensure_folder(const EntityId& entity, std::string_view path) = 0;
    virtual Status set_folder_access(const FolderId& folder, const ContactId& contact, FolderAccess access) = 0;

    // Taking access back (removal policy revoke or archive). A dialect that cannot says so in its
    // Capabilities, and these calls then fail with Rejected.
    /// Removes the role share; removing one that is not there is not an error.
    virtual Status unshare_entity(const EntityId& entity, const ContactId& contact, std::string_view role);
    virtual Status remove_from_group(const GroupId& group, const ContactId& contact);
    /// Turns off the contact's login; the contact and its history stay.
    virtual Status deactivate_contact(const ContactId& contact);

    // Reading access back (`taxsync verify`).
    virtual Expected<std::vector<Share>> entity_shares(const EntityId& entity);
    /// Each person's access to the folder; people without an entry have none.
    virtual Expected<std::map<ContactId, FolderAccess>> folder_access(const FolderId& folder);
    /// Sends a file request. Never resent blindly: a lost answer the dialect cannot settle is Ambiguous.
    virtual Expected<FileRequestResult> request_files(const FileRequest& request, std::string_view idempotency_key);
    /// The portal's invitation email template, where the portal has one (read and update only).
    virtual Expected<EmailTemplate> invitation_template();
    virtual Status set_invitation_template(const EmailTemplate& text);
};

}  // namespace taxsync::portal
