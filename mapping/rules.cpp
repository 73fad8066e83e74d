#include "mapping/rules.hpp"

#include "core/digest.hpp"
#include "core/text.hpp"

namespace taxsync::mapping {
namespace {

// Every condition holds when the client's field equals one of its values, without regard to case.
bool all_hold(const std::vector<Condition>& conditions, const TaxClient& client) {
    for (const Condition& condition : conditions) {
        const std::string value = client_field(client, condition.field);
        bool any = false;
        for (const std::string& wanted : condition.any_of) any = any || iequals_ascii(value, wanted);
        if (!any) return false;
    }
    return true;
}

}  // namespace

std::string_view to_string(Access access) { return access == Access::Read ? "read" : "upload"; }

const std::set<std::string, std::less<>>& client_fields() {
    static const std::set<std::string, std::less<>> fields = {
        "client_id",  "connector",  "display_name", "business_name", "first_name", "last_name",
        "spouse_first_name", "spouse_last_name", "tax_year", "return_type", "office", "preparer", "entity_kind"};
    return fields;
}

const std::set<std::string, std::less<>>& message_fields() {
    static const std::set<std::string, std::less<>> fields = [] {
        auto all = client_fields();
        all.insert({"contact_first_name", "contact_last_name", "entity_name", "firm_name"});
        return all;
    }();
    return fields;
}

const std::set<std::string, std::less<>>& condition_fields() {
    static const std::set<std::string, std::less<>> fields = {"entity_kind", "return_type", "office",
                                                              "preparer",    "tax_year",    "connector"};
    return fields;
}

const std::set<std::string, std::less<>>& request_fields() {
    static const std::set<std::string, std::less<>> fields = [] {
        auto all = client_fields();
        all.insert({"entity_name", "firm_name"});
        return all;
    }();
    return fields;
}

const std::set<std::string, std::less<>>& override_match_fields() {
    static const std::set<std::string, std::less<>> fields = {"client_id", "connector",   "office",
                                                              "preparer",  "return_type", "entity_kind"};
    return fields;
}

std::string client_field(const TaxClient& client, std::string_view field) {
    const Person* taxpayer = client.person(PersonRole::Taxpayer);
    const Person* spouse = client.person(PersonRole::Spouse);
    if (field == "client_id") return client.id.value();
    if (field == "connector") return client.connector.value();
    if (field == "display_name") return client.display_name();
    if (field == "business_name") return client.business_name;
    if (field == "first_name") return taxpayer != nullptr ? taxpayer->first_name : "";
    if (field == "last_name") return taxpayer != nullptr ? taxpayer->last_name : "";
    if (field == "spouse_first_name") return spouse != nullptr ? spouse->first_name : "";
    if (field == "spouse_last_name") return spouse != nullptr ? spouse->last_name : "";
    if (field == "tax_year") return client.tax_year;
    if (field == "return_type") return client.return_type;
    if (field == "office") return client.office;
    if (field == "preparer") return client.preparer;
    if (field == "entity_kind") return std::string(to_string(client.kind));
    return {};
}

std::string MappingRules::fingerprint() const {
    std::string text = entity_name.source() + '\x1f' + role + '\x1f' + invitation_message.source() + '\x1f' +
                       firm_name + '\x1f' + (invite ? "invite" : "no-invite") + '\x1f' + std::to_string(message_limit);
    for (const GroupRule& group : groups) {
        text += "\x1eg" + group.name.source();
        for (const Condition& condition : group.when) text += "\x1d" + condition.field + "=" + join(condition.any_of, "|");
    }
    for (const FolderRule& folder : folders) text += "\x1e" "f" + folder.path.source() + ":" + std::string(to_string(folder.access));
    const auto folder_text = [](const std::vector<FolderRule>& list) {
        std::string out;
        for (const FolderRule& folder : list)
            out += "\x1c" + folder.path.source() + ":" + std::string(to_string(folder.access));
        return out;
    };
    const auto names_text = [](const std::vector<Template>& list) {
        std::string out;
        for (const Template& name : list) out += "\x1c" + name.source();
        return out;
    };
    // Separators: \x1e between rules, \x1d between the parts of one, \x1c between list items.
    const std::string rule_mark = "\x1e";
    const std::string part = "\x1d";
    for (const Override& rule : overrides) {
        text += rule_mark + "override " + rule.label;
        for (const Condition& condition : rule.match) text += part + condition.field + "=" + join(condition.any_of, "|");
        text += part + "role=" + (rule.role ? "1" + *rule.role : "0");
        text += part + "folders=" + (rule.folders ? "1" + folder_text(*rule.folders) : "0");
        text += part + "extra_folders=" + folder_text(rule.extra_folders);
        text += part + "groups=" + (rule.groups ? "1" + names_text(*rule.groups) : "0");
        text += part + "extra_groups=" + names_text(rule.extra_groups);
        text += part + "invite=" + (rule.invite ? (*rule.invite ? "yes" : "no") : "unset");
        text += part + "message=" + (rule.invitation_message ? "1" + rule.invitation_message->source() : "0");
    }
    // Enabling the request plans every client again, so existing clients get theirs too.
    const DocumentRequest& request = document_request;
    if (request.enabled) {
        text += rule_mark + "document_request" + part + request.subject.source() + part + request.description.source() +
                part + request.message.source() + part + (request.attach ? "1" + request.attach->source() : "0");
    }
    return sha256_hex(text);
}

MappingRules default_rules() {
    MappingRules rules;
    rules.entity_name = Template::parse("{display_name}", client_fields()).value();
    rules.invitation_message =
        Template::parse("Hello {contact_first_name}, {firm_name} has opened a secure portal for {entity_name}. "
                        "Use it to send us your documents and to collect your return.",
                        message_fields())
            .value();
    rules.folders.push_back({Template::parse("{tax_year}/Tax Returns", client_fields()).value(), Access::Read});
    rules.folders.push_back({Template::parse("{tax_year}/Source Documents", client_fields()).value(), Access::Upload});
    rules.document_request.subject =
        Template::parse("Documents for your {tax_year} tax return", request_fields()).value();
    rules.document_request.description =
        Template::parse("Please upload the documents we need to prepare your {tax_year} return.", request_fields())
            .value();
    rules.document_request.message =
        Template::parse(
            "Hello {contact_first_name}, {firm_name} asks for the documents for your {tax_year} tax "
            "return. Please upload them to the portal.",
            message_fields())
            .value();
    return rules;
}

bool matches(const GroupRule& rule, const TaxClient& client) { return all_hold(rule.when, client); }

bool matches(const Override& override_rule, const TaxClient& client) { return all_hold(override_rule.match, client); }

}  // namespace taxsync::mapping
