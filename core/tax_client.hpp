#pragma once
// The record every connector produces: one tax client (a household or a business) and the
// people who may be invited for it. Mapping, the store and the engine all speak this type.

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/strong_id.hpp"
#include "core/tax_id.hpp"

namespace taxsync {

enum class PersonRole { Taxpayer, Spouse };
enum class EntityKind { Individual, Business };
enum class EmailStatus { Usable, Missing, Invalid };

std::string_view to_string(PersonRole role);
std::string_view to_string(EntityKind kind);
std::string_view to_string(EmailStatus status);

struct Person {
    PersonRole role = PersonRole::Taxpayer;
    std::string first_name;
    std::string middle_name;
    std::string last_name;
    std::string email;  // normalized when usable; as written in the file when invalid; empty when missing
    EmailStatus email_status = EmailStatus::Missing;
    std::string phone;
    std::optional<TaxIdFingerprint> tax_id;

    [[nodiscard]] std::string display_name() const;
    friend bool operator==(const Person&, const Person&) = default;
};

struct SourceRef {
    std::string file;
    std::size_t line = 0;
};

struct TaxClient {
    ConnectorName connector;
    ClientId id;
    EntityKind kind = EntityKind::Individual;
    std::string business_name;  // businesses; empty for individuals
    std::optional<TaxIdFingerprint> entity_tax_id;  // a business's EIN; a person's SSN lives on the Person
    std::vector<Person> people;  // taxpayer first, then the spouse if there is one
    std::string tax_year;
    std::string return_type;  // "1040", "1120S", ... as exported, or derived from the package's id suffix
    std::string office;
    std::string preparer;
    SourceRef source;  // where it was read; not part of the content hash

    [[nodiscard]] const Person* person(PersonRole role) const;
    /// "Smith, John & Jane" for a household, the business name for a business.
    [[nodiscard]] std::string display_name() const;
    /// SHA-256 of the canonical JSON, excluding `source`: equal hashes mean nothing changed.
    [[nodiscard]] std::string content_hash() const;
};

void to_json(nlohmann::json& out, const TaxClient& client);
void from_json(const nlohmann::json& in, TaxClient& client);

}  // namespace taxsync
