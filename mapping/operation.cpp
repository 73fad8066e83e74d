#include "mapping/operation.hpp"

#include <nlohmann/json.hpp>

namespace taxsync::mapping {
namespace {

using nlohmann::json;

template <class... Visitors>
struct Overloaded : Visitors... {
    using Visitors::operator()...;
};
template <class... Visitors>
Overloaded(Visitors...) -> Overloaded<Visitors...>;

std::string quoted(const std::string& text) { return "\"" + text + "\""; }

}  // namespace

std::string kind_of(const Action& action) {
    return std::visit(Overloaded{
                          [](const CreateEntity&) { return "create_entity"; },
                          [](const RenameEntity&) { return "rename_entity"; },
                          [](const CreateFolder&) { return "create_folder"; },
                          [](const CreateContact&) { return "create_contact"; },
                          [](const UpdateContact&) { return "update_contact"; },
                          [](const ShareEntity&) { return "share_entity"; },
                          [](const AddToGroup&) { return "add_to_group"; },
                          [](const SetFolderAccess&) { return "set_folder_access"; },
                          [](const RevokeAccess&) { return "revoke_access"; },
                          [](const DeactivateContact&) { return "deactivate_contact"; },
                          [](const InviteContact&) { return "invite_contact"; },
                          [](const RequestFiles&) { return "request_files"; },
                      },
                      action);
}

std::string describe(const Action& action) {
    return std::visit(
        Overloaded{
            [](const CreateEntity& a) { return "create entity " + quoted(a.name) + " with key " + a.external_key; },
            [](const RenameEntity& a) { return "rename entity to " + quoted(a.name); },
            [](const CreateFolder& a) { return "create folder " + quoted(a.path); },
            [](const CreateContact& a) {
                return "create contact " + a.email + " (" + a.first_name + " " + a.last_name + ")" +
                       (a.invite ? " and send the invitation" : " without portal access");
            },
            [](const UpdateContact& a) {
                return a.old_email == a.email ? "update contact " + a.email + " to " + a.first_name + " " + a.last_name
                                              : "change contact email " + a.old_email + " -> " + a.email;
            },
            [](const ShareEntity& a) { return "share the entity with " + a.email + " as " + quoted(a.role); },
            [](const AddToGroup& a) { return "add " + a.email + " to group " + quoted(a.group); },
            [](const SetFolderAccess& a) {
                return "give " + a.email + " " + std::string(to_string(a.access)) + " access to " + quoted(a.path);
            },
            [](const RevokeAccess& a) {
                if (a.kind == "role") return "take back the entity share of " + a.email + " (" + quoted(a.target) + ")";
                if (a.kind == "group") return "remove " + a.email + " from group " + quoted(a.target);
                return "take back " + a.email + "'s access to " + quoted(a.target);
            },
            [](const DeactivateContact& a) { return "turn off the portal login of " + a.email + " (no client left)"; },
            [](const InviteContact& a) {
                return (a.reminder ? "send " + a.email + " the invitation again" : "send " + a.email + " the invitation");
            },
            [](const RequestFiles& a) {
                std::string emails;
                for (const FileRequestRecipient& recipient : a.recipients) {
                    emails += (emails.empty() ? "" : ", ") + recipient.email;
                }
                return "request documents for tax year " + a.tax_year + " from " + emails + ": " + quoted(a.subject) +
                       (a.attach_file.empty() ? ""
                                              : " attaching " + quoted(a.attach_folder + "/" + a.attach_file) +
                                                    " if the portal holds it");
            },
        },
        action);
}

bool sends_invitation(const Action& action) {
    const auto* create = std::get_if<CreateContact>(&action);
    return (create != nullptr && create->invite) || std::holds_alternative<InviteContact>(action);
}

std::optional<std::string> contact_email(const Action& action) {
    if (const auto* a = std::get_if<CreateContact>(&action)) return a->email;
    if (const auto* a = std::get_if<UpdateContact>(&action)) return a->email;
    if (const auto* a = std::get_if<InviteContact>(&action)) return a->email;
    if (const auto* a = std::get_if<DeactivateContact>(&action)) return a->email;
    return std::nullopt;
}

bool removes_access(const Action& action) {
    return std::holds_alternative<RevokeAccess>(action) || std::holds_alternative<DeactivateContact>(action);
}

std::string to_json_text(const Action& action) {
    const json out = std::visit(
        Overloaded{
            [](const CreateEntity& a) { return json{{"external_key", a.external_key}, {"name", a.name}}; },
            [](const RenameEntity& a) { return json{{"name", a.name}}; },
            [](const CreateFolder& a) { return json{{"path", a.path}}; },
            [](const CreateContact& a) {
                return json{{"email", a.email},   {"first_name", a.first_name}, {"last_name", a.last_name},
                            {"invite", a.invite}, {"invitation_message", a.invitation_message}};
            },
            [](const UpdateContact& a) {
                return json{{"old_email", a.old_email},
                            {"email", a.email},
                            {"first_name", a.first_name},
                            {"last_name", a.last_name}};
            },
            [](const ShareEntity& a) { return json{{"email", a.email}, {"role", a.role}}; },
            [](const AddToGroup& a) { return json{{"email", a.email}, {"group", a.group}}; },
            [](const SetFolderAccess& a) {
                return json{{"email", a.email}, {"path", a.path}, {"access", to_string(a.access)}};
            },
            [](const RevokeAccess& a) { return json{{"email", a.email}, {"kind", a.kind}, {"target", a.target}}; },
            [](const DeactivateContact& a) { return json{{"email", a.email}}; },
            [](const InviteContact& a) {
                return json{{"email", a.email}, {"invitation_message", a.invitation_message}, {"reminder", a.reminder}};
            },
            [](const RequestFiles& a) {
                json recipients = json::array();
                for (const FileRequestRecipient& recipient : a.recipients) {
                    recipients.push_back({{"email", recipient.email}, {"message", recipient.message}});
                }
                return json{{"tax_year", a.tax_year},           {"subject", a.subject},
                            {"description", a.description},     {"recipients", std::move(recipients)},
                            {"attach_folder", a.attach_folder}, {"attach_file", a.attach_file}};
            },
        },
        action);
    return out.dump();
}

Expected<Action> action_from_json(std::string_view kind, std::string_view json_text) {
    const json in = json::parse(json_text, nullptr, false);
    if (!in.is_object()) return fail(ErrorKind::Internal, "outbox payload is not a JSON object");
    const auto text = [&](const char* name) { return in.value(name, std::string()); };
    if (kind == "create_entity") return Action{CreateEntity{text("external_key"), text("name")}};
    if (kind == "rename_entity") return Action{RenameEntity{text("name")}};
    if (kind == "create_folder") return Action{CreateFolder{text("path")}};
    if (kind == "create_contact") {
        return Action{CreateContact{text("email"), text("first_name"), text("last_name"), in.value("invite", true),
                                    text("invitation_message")}};
    }
    if (kind == "update_contact") {
        return Action{UpdateContact{text("old_email"), text("email"), text("first_name"), text("last_name")}};
    }
    if (kind == "share_entity") return Action{ShareEntity{text("email"), text("role")}};
    if (kind == "add_to_group") return Action{AddToGroup{text("email"), text("group")}};
    if (kind == "set_folder_access") {
        return Action{SetFolderAccess{text("email"), text("path"), text("access") == "upload" ? Access::Upload : Access::Read}};
    }
    if (kind == "revoke_access") return Action{RevokeAccess{text("email"), text("kind"), text("target")}};
    if (kind == "deactivate_contact") return Action{DeactivateContact{text("email")}};
    if (kind == "invite_contact") {
        return Action{InviteContact{text("email"), text("invitation_message"), in.value("reminder", false)}};
    }
    if (kind == "request_files") {
        RequestFiles request{text("tax_year"),      text("subject"),    text("description"), {},
                             text("attach_folder"), text("attach_file")};
        const json recipients = in.value("recipients", json::array());
        if (!recipients.is_array()) return fail(ErrorKind::Internal, "request_files: recipients is not a list");
        for (const json& recipient : recipients) {
            if (!recipient.is_object()) return fail(ErrorKind::Internal, "request_files: a recipient is not an object");
            request.recipients.push_back(
                {recipient.value("email", std::string()), recipient.value("message", std::string())});
        }
        return Action{std::move(request)};
    }
    return fail(ErrorKind::Internal, "unknown outbox operation kind '" + std::string(kind) + "'");
}

}  // namespace taxsync::mapping
