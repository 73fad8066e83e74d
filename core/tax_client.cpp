#include "core/tax_client.hpp"

#include <nlohmann/json.hpp>

#include "core/digest.hpp"

namespace taxsync {

std::string_view to_string(PersonRole role) { return role == PersonRole::Taxpayer ? "taxpayer" : "spouse"; }
std::string_view to_string(EntityKind kind) { return kind == EntityKind::Individual ? "individual" : "business"; }
std::string_view to_string(EmailStatus status) {
    switch (status) {
        case EmailStatus::Usable: return "usable";
        case EmailStatus::Missing: return "missing";
        case EmailStatus::Invalid: return "invalid";
    }
    return "missing";
}

std::string Person::display_name() const {
    std::string name = first_name;
    if (!last_name.empty()) name += (name.empty() ? "" : " ") + last_name;
    return name;
}

const Person* TaxClient::person(PersonRole role) const {
    for (const Person& p : people) {
        if (p.role == role) return &p;
    }
    return nullptr;
}

std::string TaxClient::display_name() const {
    if (kind == EntityKind::Business && !business_name.empty()) return business_name;
    const Person* taxpayer = person(PersonRole::Taxpayer);
    if (taxpayer == nullptr) return business_name.empty() ? id.value() : business_name;
    std::string name = taxpayer->last_name;
    std::string firsts = taxpayer->first_name;
    const Person* spouse = person(PersonRole::Spouse);
    if (spouse != nullptr && !spouse->first_name.empty()) {
        if (spouse->last_name.empty() || spouse->last_name == taxpayer->last_name) {
            firsts += " & " + spouse->first_name;
        } else {
            return taxpayer->first_name + " " + taxpayer->last_name + " & " + spouse->first_name + " " + spouse->last_name;
        }
    }
    if (name.empty()) return firsts;
    return firsts.empty() ? name : name + ", " + firsts;
}

namespace {

PersonRole role_from(std::string_view text) { return text == "spouse" ? PersonRole::Spouse : PersonRole::Taxpayer; }
EntityKind kind_from(std::string_view text) { return text == "business" ? EntityKind::Business : EntityKind::Individual; }
EmailStatus email_status_from(std::string_view text) {
    if (text == "usable") return EmailStatus::Usable;
    if (text == "invalid") return EmailStatus::Invalid;
    return EmailStatus::Missing;
}

nlohmann::json person_json(const Person& p) {
    nlohmann::json out = {{"role", to_string(p.role)},          {"first_name", p.first_name},
                          {"middle_name", p.middle_name},       {"last_name", p.last_name},
                          {"email", p.email},                   {"email_status", to_string(p.email_status)},
                          {"phone", p.phone}};
    if (p.tax_id) out["tax_id"] = {{"keyed_hash", p.tax_id->keyed_hash}, {"last4", p.tax_id->last4}};
    return out;
}

nlohmann::json content_json(const TaxClient& client) {
    nlohmann::json people = nlohmann::json::array();
    for (const Person& p : client.people) people.push_back(person_json(p));
    nlohmann::json out = {{"connector", client.connector.value()},
                          {"id", client.id.value()},
                          {"kind", to_string(client.kind)},
                          {"business_name", client.business_name},
                          {"people", std::move(people)},
                          {"tax_year", client.tax_year},
                          {"return_type", client.return_type},
                          {"office", client.office},
                          {"preparer", client.preparer}};
    if (client.entity_tax_id) {
        out["entity_tax_id"] = {{"keyed_hash", client.entity_tax_id->keyed_hash}, {"last4", client.entity_tax_id->last4}};
    }
    return out;
}

}  // namespace

std::string TaxClient::content_hash() const { return sha256_hex(content_json(*this).dump()); }

void to_json(nlohmann::json& out, const TaxClient& client) {
    out = content_json(client);
    out["source"] = {{"file", client.source.file}, {"line", client.source.line}};
}

void from_json(const nlohmann::json& in, TaxClient& client) {
    client.connector = ConnectorName(in.at("connector").get<std::string>());
    client.id = ClientId(in.at("id").get<std::string>());
    client.kind = kind_from(in.value("kind", "individual"));
    client.business_name = in.value("business_name", "");
    client.tax_year = in.value("tax_year", "");
    client.return_type = in.value("return_type", "");
    client.office = in.value("office", "");
    client.preparer = in.value("preparer", "");
    client.entity_tax_id.reset();
    if (in.contains("entity_tax_id")) {
        client.entity_tax_id =
            TaxIdFingerprint{in["entity_tax_id"].value("keyed_hash", ""), in["entity_tax_id"].value("last4", "")};
    }
    client.people.clear();
    for (const auto& item : in.value("people", nlohmann::json::array())) {
        Person p;
        p.role = role_from(item.value("role", "taxpayer"));
        p.first_name = item.value("first_name", "");
        p.middle_name = item.value("middle_name", "");
        p.last_name = item.value("last_name", "");
        p.email = item.value("email", "");
        p.email_status = email_status_from(item.value("email_status", "missing"));
        p.phone = item.value("phone", "");
        if (item.contains("tax_id")) {
            p.tax_id = TaxIdFingerprint{item["tax_id"].value("keyed_hash", ""), item["tax_id"].value("last4", "")};
        }
        client.people.push_back(std::move(p));
    }
    if (in.contains("source")) {
        client.source.file = in["source"].value("file", "");
        client.source.line = in["source"].value("line", std::size_t{0});
    }
}

}  // namespace taxsync
