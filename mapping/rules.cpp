#include "mapping/rules.hpp"

#include "core/digest.hpp"
#include "core/text.hpp"

namespace taxsync::mapping {

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
    return rules;
}

bool matches(const GroupRule& rule, const TaxClient& client) {
    for (const Condition& condition : rule.when) {
        const std::string value = client_field(client, condition.field);
        bool any = false;
        for (const std::string& wanted : condition.any_of) any = any || iequals_ascii(value, wanted);
        if (!any) return false;
    }
    return true;
}

}  // namespace taxsync::mapping
