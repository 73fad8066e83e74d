#pragma once
// What the portal should hold for one client, derived from the export and the rules alone.

#include <optional>
#include <string>
#include <vector>

#include "core/tax_client.hpp"
#include "mapping/rules.hpp"

namespace taxsync::mapping {

struct DesiredContact {
    std::string email;  // normalized; one contact per distinct email
    std::string first_name;
    std::string last_name;
    std::vector<PersonRole> roles;  // taxpayer, spouse, or both when they share the address
    std::string invitation_message;
};

struct DesiredFolder {
    std::string path;
    Access access = Access::Read;
};

struct DesiredFileRecipient {
    std::string email;
    std::string message;  // rendered for this contact
};

struct DesiredFileRequest {
    std::string tax_year;  // sent once per contact and tax year
    std::string subject;
    std::string description;
    std::vector<DesiredFileRecipient> recipients;
    std::string attach_folder;  // empty: nothing to attach
    std::string attach_file;
};

struct DesiredClient {
    ConnectorName connector;
    ClientId client;
    std::string external_key;  // "<connector>:<client id>", stored in the portal's key field
    std::string entity_name;
    std::string role;
    std::vector<DesiredContact> contacts;
    std::vector<std::string> groups;
    std::vector<DesiredFolder> folders;
    bool invite = true;
    std::vector<std::string> notes;  // why something the rules ask for was left out
    std::vector<std::string> overrides;  // labels of the [[override]] tables that applied, in order
    std::optional<DesiredFileRequest> file_request;
};

std::string external_key(const ConnectorName& connector, const ClientId& client);

DesiredClient desire(const TaxClient& client, const MappingRules& rules);

}  // namespace taxsync::mapping
