#pragma once
// The firm's rules for turning a tax client into portal objects: entity name, role share,
// contact groups, folders with access, and the invitation text.

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/tax_client.hpp"
#include "mapping/template.hpp"

namespace taxsync::mapping {

enum class Access { Read, Upload };
std::string_view to_string(Access access);

/// Fields a client-level template may use ({client_id}, {display_name}, {tax_year}, ...).
const std::set<std::string, std::less<>>& client_fields();
/// Client fields plus those of the invitation: {contact_first_name}, {contact_last_name},
/// {entity_name}, {firm_name}.
const std::set<std::string, std::less<>>& message_fields();
/// Fields a group rule may test: entity_kind, return_type, office, preparer, tax_year, connector.
const std::set<std::string, std::less<>>& condition_fields();

/// Value of a client field; empty when the export did not say.
std::string client_field(const TaxClient& client, std::string_view field);

struct Condition {
    std::string field;
    std::vector<std::string> any_of;  // compared without regard to case
};

struct GroupRule {
    Template name;
    std::vector<Condition> when;  // all must hold; none means every client
};

struct FolderRule {
    Template path;  // '/'-separated, e.g. "{tax_year}/Tax Returns"
    Access access = Access::Read;
};

/// Fields of a document request's subject and description: client fields plus {entity_name} and
/// {firm_name} (the request may go to several contacts, so no contact names).
const std::set<std::string, std::less<>>& request_fields();

/// Fields an override's match may test: client_id plus the condition fields.
const std::set<std::string, std::less<>>& override_match_fields();

/// The role a contact needs on the entity before the portal lets it receive a file request.
inline constexpr std::string_view kCollaboratorRole = "Contact - Entity Collaborator";

/// Per-client changes to the rules: every condition of `match` must hold (each one any of its
/// values, without regard to case); what is set replaces or extends the rules for that client.
struct Override {
    std::string label;             // the name given in the config, or "[[override]] #N"
    std::vector<Condition> match;  // fields: client_id, connector, office, preparer, return_type, ...
    std::optional<std::string> role;
    std::optional<std::vector<FolderRule>> folders;  // replaces the folder list
    std::vector<FolderRule> extra_folders;
    std::optional<std::vector<Template>> groups;  // replaces the group names
    std::vector<Template> extra_groups;
    std::optional<bool> invite;
    std::optional<Template> invitation_message;
};

bool matches(const Override& override_rule, const TaxClient& client);

/// A file request sent once per tax year to the client's contacts, as CaseWare Cloud's file
/// requests do.
struct DocumentRequest {
    bool enabled = false;
    Template subject;                // request_fields()
    Template description;            // request_fields()
    Template message;                // message_fields(), rendered for each contact
    std::optional<Template> attach;  // "<folder path>/<file name>" of a file the portal may hold
};

struct MappingRules {
    Template entity_name;
    std::string role = "Contact - Entity Collaborator";
    Template invitation_message;
    std::string firm_name;
    std::vector<GroupRule> groups;
    std::vector<FolderRule> folders;
    bool invite = true;                  // give contacts portal access and invite them
    std::size_t message_limit = 0;       // longest invitation message the portal takes (0: no limit)
    std::vector<Override> overrides;     // in file order; a later one wins
    DocumentRequest document_request;

    /// Changes whenever a rule changes, so clients are planned again under the new rules.
    [[nodiscard]] std::string fingerprint() const;
};

/// The rules a fresh install starts with: entity named after the client, Entity Collaborator
/// role, folders "{tax_year}/Tax Returns" (read) and "{tax_year}/Source Documents" (upload).
MappingRules default_rules();

bool matches(const GroupRule& rule, const TaxClient& client);

}  // namespace taxsync::mapping
