#pragma once
// The firm's rules for turning a tax client into portal objects: entity name, role share,
// contact groups, folders with access, and the invitation text.

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

struct MappingRules {
    Template entity_name;
    std::string role = "Contact - Entity Collaborator";
    Template invitation_message;
    std::string firm_name;
    std::vector<GroupRule> groups;
    std::vector<FolderRule> folders;
    bool invite = true;                  // give contacts portal access and invite them
    std::size_t message_limit = 0;       // longest invitation message the portal takes (0: no limit)

    /// Changes whenever a rule changes, so clients are planned again under the new rules.
    [[nodiscard]] std::string fingerprint() const;
};

/// The rules a fresh install starts with: entity named after the client, Entity Collaborator
/// role, folders "{tax_year}/Tax Returns" (read) and "{tax_year}/Source Documents" (upload).
MappingRules default_rules();

bool matches(const GroupRule& rule, const TaxClient& client);

}  // namespace taxsync::mapping
