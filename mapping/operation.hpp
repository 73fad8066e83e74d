#pragma once
// One step the portal must take for one client. Operations name contacts by email and folders
// by path; the engine resolves them to portal ids when it executes them.

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/expected.hpp"
#include "core/strong_id.hpp"
#include "mapping/rules.hpp"

namespace taxsync::mapping {

struct CreateEntity {
    std::string external_key;
    std::string name;
};
struct RenameEntity {
    std::string name;
};
struct CreateFolder {
    std::string path;
};
struct CreateContact {
    std::string email;
    std::string first_name;
    std::string last_name;
    bool invite = true;
    std::string invitation_message;
};
struct UpdateContact {
    std::string old_email;
    std::string email;
    std::string first_name;
    std::string last_name;
};
struct ShareEntity {
    std::string email;
    std::string role;
};
struct AddToGroup {
    std::string email;
    std::string group;
};
struct SetFolderAccess {
    std::string email;
    std::string path;
    Access access = Access::Read;
};

/// Takes back one grant taxsync made: a role share, a group membership or folder access.
struct RevokeAccess {
    std::string email;
    std::string kind;  // role | group | folder
    std::string target;
};
/// Turns off the portal login of a contact who is left with no client (removal policy "archive").
struct DeactivateContact {
    std::string email;
};
/// Sends the invitation email to an existing contact: a re-invitation, or a first one for a
/// contact created without portal access.
struct InviteContact {
    std::string email;
    std::string invitation_message;
    bool reminder = false;  // true: the contact was invited before and has not activated
};

struct FileRequestRecipient {
    std::string email;
    std::string message;
};
/// A file request for one tax year to the contacts that have not had one for it yet.
struct RequestFiles {
    std::string tax_year;
    std::string subject;
    std::string description;
    std::vector<FileRequestRecipient> recipients;
    std::string attach_folder;  // with attach_file: a file to attach when the portal holds it
    std::string attach_file;
};

using Action = std::variant<CreateEntity, RenameEntity, CreateFolder, CreateContact, UpdateContact, ShareEntity,
                            AddToGroup, SetFolderAccess, RevokeAccess, DeactivateContact, InviteContact, RequestFiles>;

struct Operation {
    ConnectorName connector;
    ClientId client;
    Action action;
};

/// Stable name of the action, as stored in the outbox: create_entity, create_contact, ...
std::string kind_of(const Action& action);
/// One line an administrator understands: `create contact ann@example.com (Ann Lee) and send the invitation`.
std::string describe(const Action& action);
/// True for the steps that send an invitation email.
bool sends_invitation(const Action& action);
/// The contact address a contact step (create, update, invite, deactivate) is about; none for others.
std::optional<std::string> contact_email(const Action& action);
/// True for the steps that take access away (revocations, deactivations).
bool removes_access(const Action& action);

std::string to_json_text(const Action& action);
Expected<Action> action_from_json(std::string_view kind, std::string_view json_text);

}  // namespace taxsync::mapping
