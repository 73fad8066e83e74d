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

// The rules as they stand for one client once its overrides are applied, in file order.
struct Effective {
    std::string role;
    bool invite = true;
    const Template* invitation_message = nullptr;
    std::vector<const Template*> group_names;
    std::vector<FolderRule> folders;
};

Effective effective_rules(const TaxClient& client, const MappingRules& rules, DesiredClient& desired) {
    Effective out;
    out.role = rules.role;
    out.invite = rules.invite;
    out.invitation_message = &rules.invitation_message;
    for (const GroupRule& rule : rules.groups) {
        if (matches(rule, client)) out.group_names.push_back(&rule.name);
    }
    out.folders = rules.folders;
    for (const Override& rule : rules.overrides) {
        if (!matches(rule, client)) continue;
        if (rule.role) out.role = *rule.role;
        if (rule.invite) out.invite = *rule.invite;
        if (rule.invitation_message) out.invitation_message = &*rule.invitation_message;
        if (rule.groups) {
            out.group_names.clear();
            for (const Template& name : *rule.groups) out.group_names.push_back(&name);
        }
        for (const Template& name : rule.extra_groups) out.group_names.push_back(&name);
        if (rule.folders) out.folders = *rule.folders;
        out.folders.insert(out.folders.end(), rule.extra_folders.begin(), rule.extra_folders.end());
        desired.overrides.push_back(rule.label);
        desired.notes.push_back("override " + rule.label + " applies");
    }
    return out;
}

// Splits a rendered path into trimmed parts; nothing when a part is empty.
std::optional<std::vector<std::string>> path_segments(const std::string& rendered) {
    std::vector<std::string> segments;
    for (const std::string& segment : split(rendered, '/')) {
        const std::string clean(trim(segment));
        if (clean.empty()) return std::nullopt;
        segments.push_back(clean);
    }
    if (segments.empty()) return std::nullopt;
    return segments;
}

void desire_file_request(const TaxClient& client, const MappingRules& rules, DesiredClient& desired) {
    const DocumentRequest& request = rules.document_request;
    if (!request.enabled) return;
    if (client.tax_year.empty()) {
        desired.notes.push_back("document request skipped: the export gives no tax year for this client");
        return;
    }
    if (!desired.invite) {
        desired.notes.push_back(
            "document request skipped: this client's contacts get no portal access (invite = false)");
        return;
    }
    if (!iequals_ascii(desired.role, kCollaboratorRole)) {
        desired.notes.push_back(
            "document request skipped: the portal sends file requests only to contacts with the "
            "role \"" +
            std::string(kCollaboratorRole) + "\", and this client's role is \"" + desired.role + "\"");
        return;
    }
    if (desired.contacts.empty()) return;  // nobody to ask

    const auto field = [&](std::string_view name) -> std::string {
        if (name == "entity_name") return desired.entity_name;
        if (name == "firm_name") return rules.firm_name;
        return client_field(client, name);
    };
    DesiredFileRequest wanted;
    wanted.tax_year = client.tax_year;
    wanted.subject = std::string(trim(request.subject.render(field)));
    wanted.description = std::string(trim(request.description.render(field)));
    for (const DesiredContact& contact : desired.contacts) {
        const auto message_field = [&](std::string_view name) -> std::string {
            if (name == "contact_first_name") return contact.first_name;
            if (name == "contact_last_name") return contact.last_name;
            return field(name);
        };
        wanted.recipients.push_back({contact.email, std::string(trim(request.message.render(message_field)))});
    }
    if (request.attach) {
        auto segments = path_segments(request.attach->render(field));
        if (!segments || segments->size() < 2) {
            desired.notes.push_back("document request: attachment '" + request.attach->source() +
                                    "' left out: a part of its path is empty for this client");
        } else {
            wanted.attach_file = segments->back();
            segments->pop_back();
            wanted.attach_folder = join(*segments, "/");
        }
    }
    desired.file_request = std::move(wanted);
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
    const Effective effective = effective_rules(client, rules, desired);
    desired.role = effective.role;
    desired.invite = effective.invite;
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
        contact.invitation_message = shorten(effective.invitation_message->render(message_field), rules.message_limit);
        desired.contacts.push_back(std::move(contact));
    }

    for (const Template* group : effective.group_names) {
        const std::string name(trim(group->render(field)));
        if (name.empty()) {
            desired.notes.push_back("group '" + group->source() + "' skipped: it renders empty for this client");
        } else if (std::find(desired.groups.begin(), desired.groups.end(), name) == desired.groups.end()) {
            desired.groups.push_back(name);
        }
    }

    for (const FolderRule& rule : effective.folders) {
        const auto segments = path_segments(rule.path.render(field));
        if (!segments) {
            desired.notes.push_back("folder '" + rule.path.source() + "' skipped: a part of its path is empty for "
                                    "this client (is the tax year missing?)");
            continue;
        }
        const std::string path = join(*segments, "/");
        // A later rule for the same path (an override's extra folder) sets its access.
        const auto same = std::find_if(desired.folders.begin(), desired.folders.end(),
                                       [&](const DesiredFolder& folder) { return folder.path == path; });
        if (same != desired.folders.end()) {
            same->access = rule.access;
        } else {
            desired.folders.push_back({path, rule.access});
        }
    }
    desire_file_request(client, rules, desired);
    return desired;
}

}  // namespace taxsync::mapping
