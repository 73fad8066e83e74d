#include "mapping/desired.hpp"

#include <algorithm>

#include "core/text.hpp"

namespace taxsync::mapping {
namespace {

// Cuts at the last space before `limit` bytes, never inside a UTF-8 sequence.
std::string shorten(std::string text, std::size_t limit) {
    if (limit == 0 || text.size() <= limit) return text;
    std::size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U) --cut;
    const auto space = text.rfind(' ', cut);
    if (space != std::string::npos && space > limit / 2) cut = space;
    text.resize(cut);
    return text;
}

}  // namespace

std::string external_key(const ConnectorName& connector, const ClientId& client) {
    return connector.value() + ":" + client.value();
}

DesiredClient desire(const TaxClient& client, const MappingRules& rules) {
    DesiredClient desired;
    desired.connector = client.connector;
    desired.client = client.id;
    desired.external_key = external_key(client.connector, client.id);
    desired.role = rules.role;
    desired.invite = rules.invite;
    const auto field = [&](std::string_view name) { return client_field(client, name); };

    desired.entity_name = std::string(trim(rules.entity_name.render(field)));
    if (desired.entity_name.empty()) desired.entity_name = client.display_name();
    if (desired.entity_name.empty()) desired.entity_name = client.id.value();

    for (const Person& person : client.people) {
        if (person.email_status != EmailStatus::Usable) continue;
        auto same = std::find_if(desired.contacts.begin(), desired.contacts.end(),
                                 [&](const DesiredContact& c) { return c.email == person.email; });
        if (same != desired.contacts.end()) {
            same->roles.push_back(person.role);  // spouses sharing one address: one contact
            continue;
        }
        DesiredContact contact{person.email, person.first_name, person.last_name, {person.role}, ""};
        const auto message_field = [&](std::string_view name) -> std::string {
            if (name == "contact_first_name") return contact.first_name;
            if (name == "contact_last_name") return contact.last_name;
            if (name == "entity_name") return desired.entity_name;
            if (name == "firm_name") return rules.firm_name;
            return client_field(client, name);
        };
        contact.invitation_message = shorten(rules.invitation_message.render(message_field), rules.message_limit);
        desired.contacts.push_back(std::move(contact));
    }

    for (const GroupRule& rule : rules.groups) {
        if (!matches(rule, client)) continue;
        const std::string name(trim(rule.name.render(field)));
        if (name.empty()) {
            desired.notes.push_back("group '" + rule.name.source() + "' skipped: it renders empty for this client");
        } else if (std::find(desired.groups.begin(), desired.groups.end(), name) == desired.groups.end()) {
            desired.groups.push_back(name);
        }
    }

    for (const FolderRule& rule : rules.folders) {
        std::vector<std::string> segments;
        bool complete = true;
        for (const std::string& segment : split(rule.path.render(field), '/')) {
            const std::string clean(trim(segment));
            if (clean.empty()) {
                complete = false;
                break;
            }
            segments.push_back(clean);
        }
        if (!complete || segments.empty()) {
            desired.notes.push_back("folder '" + rule.path.source() + "' skipped: a part of its path is empty for "
                                    "this client (is the tax year missing?)");
            continue;
        }
        desired.folders.push_back({join(segments, "/"), rule.access});
    }
    return desired;
}

}  // namespace taxsync::mapping
