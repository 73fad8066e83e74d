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

// The canonical text of content_json(client).dump() written directly, for the common case where
// no value needs escaping: a change check runs for every client of every export read, and
// building the JSON tree for it cost more than the rest of the comparison. Keys in the order
// nlohmann::json keeps them (sorted). Returns false, leaving `out` unspecified, when a value holds
// a byte JSON would escape or a non-ASCII one; the caller then uses the JSON tree.
class CanonicalText {
public:
    CanonicalText() { out_.reserve(kTypicalSize); }

    bool key(std::string_view name, std::string_view value) {
        for (const char c : value) {
            const auto byte = static_cast<unsigned char>(c);
            if (byte < 0x20 || byte >= 0x80 || c == '"' || c == '\\') return false;
        }
        separate();
        out_ += '"';
        out_ += name;
        out_ += "\":\"";
        out_ += value;
        out_ += '"';
        return true;
    }
    void open_object(std::string_view name) {
        separate();
        out_ += '"';
        out_ += name;
        out_ += "\":{";
        first_ = true;
    }
    void open_array(std::string_view name) {
        separate();
        out_ += '"';
        out_ += name;
        out_ += "\":[";
        first_ = true;
    }
    void open_element() {
        separate();
        out_ += '{';
        first_ = true;
    }
    void close(char bracket) {
        out_ += bracket;
        first_ = false;
    }
    bool tax_id(std::string_view name, const std::optional<TaxIdFingerprint>& id) {
        if (!id) return true;
        open_object(name);
        const bool plain = key("keyed_hash", id->keyed_hash) && key("last4", id->last4);
        close('}');
        return plain;
    }
    std::string& text() { return out_; }

private:
    void separate() {
        if (!first_) out_ += ',';
        first_ = false;
    }
    // Room for a client with a spouse, so the text is not copied as it grows.
    static constexpr std::size_t kTypicalSize = 768;
    std::string out_ = "{";
    bool first_ = true;
};

bool canonical_text(const TaxClient& client, std::string& text) {
    CanonicalText out;
    bool plain = out.key("business_name", client.business_name) && out.key("connector", client.connector.value()) &&
                 out.tax_id("entity_tax_id", client.entity_tax_id) && out.key("id", client.id.value()) &&
                 out.key("kind", to_string(client.kind)) && out.key("office", client.office);
    if (!plain) return false;
    out.open_array("people");
    for (const Person& p : client.people) {
        out.open_element();
        plain = out.key("email", p.email) && out.key("email_status", to_string(p.email_status)) &&
                out.key("first_name", p.first_name) && out.key("last_name", p.last_name) &&
                out.key("middle_name", p.middle_name) && out.key("phone", p.phone) &&
                out.key("role", to_string(p.role)) && out.tax_id("tax_id", p.tax_id);
        if (!plain) return false;
        out.close('}');
    }
    out.close(']');
    plain = out.key("preparer", client.preparer) && out.key("return_type", client.return_type) &&
            out.key("tax_year", client.tax_year);
    if (!plain) return false;
    out.close('}');
    text = std::move(out.text());
    return true;
}

}  // namespace

std::string TaxClient::content_hash() const {
    std::string text;
    if (!canonical_text(*this, text)) text = content_json(*this).dump();
    return sha256_hex(text);
}

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
