#include "connectors/header_aliases.hpp"

#include <algorithm>
#include <cctype>

#include "core/text.hpp"

namespace taxsync::connectors {
namespace {

constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "client_id",
    "client_type",
    "client_name",
    "business_name",
    "first_name",
    "middle_name",
    "last_name",
    "email",
    "phone",
    "tax_id",
    "spouse_first_name",
    "spouse_middle_name",
    "spouse_last_name",
    "spouse_email",
    "spouse_phone",
    "spouse_tax_id",
    "ein",
    "tax_year",
    "return_type",
    "office",
    "preparer",
    "zip",
    "filing_status",
    "client_sub_id",
};

// Seeded from exports.md §4 and §8 (SmartVault, CCH, Canopy and TaxCaddy templates) and the
// taxpayer/spouse wording of desktop packages. Deliberately absent: bare "Name" (a person or a
// business?), bare "Phone" (whose?), "ID"/"ID Number" (Drake's "ID number" is the SSN), "Type".
constexpr HeaderAlias kTaxPackageAliases[] = {
    {"Client ID", Field::ClientId},
    {"Client Number", Field::ClientId},
    {"Client No", Field::ClientId},
    {"Client Num", Field::ClientId},
    {"Client #", Field::ClientId},
    {"Client Code", Field::ClientId},

    {"Client Type", Field::ClientType},
    {"Entity Type", Field::ClientType},
    {"Entity", Field::ClientType},

    {"Client Name", Field::ClientName},
    {"Taxpayer Name", Field::ClientName},
    {"Sort Name", Field::ClientName},

    {"Company Name", Field::BusinessName},
    {"Company", Field::BusinessName},
    {"Business Name", Field::BusinessName},
    {"Entity Name", Field::BusinessName},
    {"Organization Name", Field::BusinessName},
    {"Corporation Name", Field::BusinessName},

    {"First Name", Field::FirstName},
    {"FirstNames", Field::FirstName},
    {"First", Field::FirstName},
    {"Given Name", Field::FirstName},
    {"Taxpayer First Name", Field::FirstName},
    {"Taxpayer First", Field::FirstName},
    {"TP First Name", Field::FirstName},
    {"TP First", Field::FirstName},
    {"Primary First Name", Field::FirstName},

    {"Middle Name", Field::MiddleName},
    {"Middle Initial", Field::MiddleName},
    {"MI", Field::MiddleName},
    {"Taxpayer Middle Name", Field::MiddleName},
    {"Taxpayer Middle Initial", Field::MiddleName},
    {"Taxpayer MI", Field::MiddleName},
    {"TP Middle Name", Field::MiddleName},
    {"TP Middle Initial", Field::MiddleName},
    {"TP MI", Field::MiddleName},

    {"Last Name", Field::LastName},
    {"LastNames", Field::LastName},
    {"Last", Field::LastName},
    {"Surname", Field::LastName},
    {"Family Name", Field::LastName},
    {"Taxpayer Last Name", Field::LastName},
    {"Taxpayer Last", Field::LastName},
    {"TP Last Name", Field::LastName},
    {"TP Last", Field::LastName},
    {"Primary Last Name", Field::LastName},

    {"Email", Field::Email},
    {"E-mail", Field::Email},
    {"Email Address", Field::Email},
    {"E-mail Address", Field::Email},
    {"Client Email", Field::Email},
    {"Primary Email", Field::Email},
    {"Taxpayer Email", Field::Email},
    {"Taxpayer Email Address", Field::Email},
    {"TP Email", Field::Email},
    {"TP Email Address", Field::Email},

    {"Home Phone", Field::Phone},
    {"Work Phone", Field::Phone},
    {"Cell Phone", Field::Phone},
    {"Mobile Phone", Field::Phone},
    {"Daytime Phone", Field::Phone},
    {"Other Phone Number (Cell)", Field::Phone},
    {"Taxpayer Phone", Field::Phone},
    {"Taxpayer Home Phone", Field::Phone},
    {"Taxpayer Work Phone", Field::Phone},
    {"Taxpayer Cell Phone", Field::Phone},
    {"Taxpayer Daytime Phone", Field::Phone},
    {"TP Phone", Field::Phone},
    {"TP Cell Phone", Field::Phone},

    {"SSN", Field::TaxId},
    {"Social Security Number", Field::TaxId},
    {"Taxpayer SSN", Field::TaxId},
    {"Taxpayer Social Security Number", Field::TaxId},
    {"TP SSN", Field::TaxId},
    {"Primary SSN", Field::TaxId},
    {"SSN/EIN", Field::TaxId},
    {"SSN or EIN", Field::TaxId},
    {"SSN/TIN", Field::TaxId},
    {"TIN", Field::TaxId},
    {"Taxpayer TIN", Field::TaxId},
    {"Federal ID", Field::TaxId},
    {"Federal ID Number", Field::TaxId},
    {"Tax ID", Field::TaxId},

    {"Spouse First Name", Field::SpouseFirstName},
    {"Spouse First", Field::SpouseFirstName},
    {"SP First Name", Field::SpouseFirstName},
    {"SP First", Field::SpouseFirstName},

    {"Spouse Middle Name", Field::SpouseMiddleName},
    {"Spouse Middle Initial", Field::SpouseMiddleName},
    {"Spouse MI", Field::SpouseMiddleName},
    {"SP Middle Name", Field::SpouseMiddleName},
    {"SP Middle Initial", Field::SpouseMiddleName},
    {"SP MI", Field::SpouseMiddleName},

    {"Spouse Last Name", Field::SpouseLastName},
    {"Spouse Last", Field::SpouseLastName},
    {"SP Last Name", Field::SpouseLastName},
    {"SP Last", Field::SpouseLastName},

    {"Spouse Email", Field::SpouseEmail},
    {"Spouse E-mail", Field::SpouseEmail},
    {"Spouse Email Address", Field::SpouseEmail},
    {"SP Email", Field::SpouseEmail},
    {"SP Email Address", Field::SpouseEmail},

    {"Spouse Phone", Field::SpousePhone},
    {"Spouse Home Phone", Field::SpousePhone},
    {"Spouse Work Phone", Field::SpousePhone},
    {"Spouse Cell Phone", Field::SpousePhone},
    {"Spouse Daytime Phone", Field::SpousePhone},
    {"SP Phone", Field::SpousePhone},
    {"SP Cell Phone", Field::SpousePhone},

    {"Spouse SSN", Field::SpouseTaxId},
    {"Spouse Social Security Number", Field::SpouseTaxId},
    {"Spouse TIN", Field::SpouseTaxId},
    {"SP SSN", Field::SpouseTaxId},
    {"Spouse Tax ID", Field::SpouseTaxId},

    {"EIN", Field::Ein},
    {"FEIN", Field::Ein},
    {"Federal EIN", Field::Ein},
    {"Employer ID Number", Field::Ein},
    {"Employer Identification Number", Field::Ein},

    {"Tax Year", Field::TaxYear},
    {"Tax Yr", Field::TaxYear},
    {"TY", Field::TaxYear},
    {"Year", Field::TaxYear},

    {"Return Type", Field::ReturnType},
    {"Return Form", Field::ReturnType},
    {"Form", Field::ReturnType},
    {"Form Type", Field::ReturnType},
    {"Tax Form", Field::ReturnType},

    {"Office", Field::Office},
    {"Office Location", Field::Office},
    {"Office Name", Field::Office},
    {"Office Group", Field::Office},

    {"Preparer", Field::Preparer},
    {"Preparer Name", Field::Preparer},
    {"Tax Preparer", Field::Preparer},
    {"Assigned Preparer", Field::Preparer},

    {"ZIP", Field::Zip},
    {"ZIP Code", Field::Zip},
    {"Zip+4", Field::Zip},
    {"Postal Code", Field::Zip},
    {"Taxpayer ZIP", Field::Zip},
    {"Home ZIP", Field::Zip},

    {"Filing Status", Field::FilingStatus},
    {"Federal Filing Status", Field::FilingStatus},
    {"FS", Field::FilingStatus},

    {"Client Sub-ID", Field::ClientSubId},
    {"Client Sub ID", Field::ClientSubId},
    {"Sub-ID", Field::ClientSubId},
};

// The generic-csv vocabulary: each field's own name ("client_id", "spouse_email") as a header.
constexpr std::array<HeaderAlias, kFieldCount> kCanonicalNameAliases = [] {
    std::array<HeaderAlias, kFieldCount> aliases{};
    for (std::size_t i = 0; i < kFieldCount; ++i) aliases[i] = HeaderAlias{kFieldNames[i], static_cast<Field>(i)};
    return aliases;
}();

}  // namespace

std::string_view field_name(Field field) { return kFieldNames[static_cast<std::size_t>(field)]; }

std::optional<Field> field_from_name(std::string_view name) {
    const auto found = std::find(kFieldNames.begin(), kFieldNames.end(), name);
    if (found == kFieldNames.end()) return std::nullopt;
    return static_cast<Field>(found - kFieldNames.begin());
}

const std::array<Field, kFieldCount>& all_fields() {
    static const std::array<Field, kFieldCount> fields = [] {
        std::array<Field, kFieldCount> out{};
        for (std::size_t i = 0; i < kFieldCount; ++i) out[i] = static_cast<Field>(i);
        return out;
    }();
    return fields;
}

std::string normalize_header(std::string_view header) {
    std::string out;
    for (const char c : trim(header)) {
        const auto byte = static_cast<unsigned char>(c);
        // Bytes of non-ASCII letters are kept as they are, so "Prénom" stays distinct from "Prnom".
        if (byte >= 0x80 || c == '#') {
            out.push_back(c);
        } else if (std::isalnum(byte) != 0) {
            out.push_back(static_cast<char>(std::tolower(byte)));
        }
    }
    return out;
}

std::span<const HeaderAlias> tax_package_aliases() { return kTaxPackageAliases; }

std::span<const HeaderAlias> canonical_name_aliases() { return kCanonicalNameAliases; }

Expected<HeaderVocabulary> HeaderVocabulary::build(std::span<const std::span<const HeaderAlias>> presets,
                                                   const std::map<std::string, std::string>& overrides) {
    HeaderVocabulary vocabulary;
    for (const auto& table : presets) {
        for (const HeaderAlias& alias : table) {
            vocabulary.field_by_header_[normalize_header(alias.header)] = alias.field;
        }
    }

    std::vector<std::pair<std::string, Field>> chosen;
    for (const auto& [name, header] : overrides) {
        const auto field = field_from_name(name);
        if (!field) {
            std::vector<std::string> known(kFieldNames.begin(), kFieldNames.end());
            return fail(ErrorKind::InvalidInput,
                        "columns names an unknown field '" + name + "'; the fields are: " + join(known, ", "));
        }
        std::string normalized = normalize_header(header);
        if (normalized.empty()) {
            return fail(ErrorKind::InvalidInput, "columns." + name + " gives no header (it has no letters or digits)");
        }
        const auto same_header =
            std::find_if(chosen.begin(), chosen.end(), [&](const auto& pick) { return pick.first == normalized; });
        if (same_header != chosen.end()) {
            std::string message = "columns.";
            message.append(field_name(same_header->second)).append(" and columns.").append(name);
            message.append(" name the same header '").append(header).append("'");
            return fail(ErrorKind::InvalidInput, std::move(message));
        }
        chosen.emplace_back(std::move(normalized), *field);
    }
    // The firm named the column for these fields: the preset's guesses for them no longer apply.
    std::erase_if(vocabulary.field_by_header_, [&](const auto& entry) {
        return std::any_of(chosen.begin(), chosen.end(), [&](const auto& pick) { return pick.second == entry.second; });
    });
    for (auto& [header, field] : chosen) vocabulary.field_by_header_[std::move(header)] = field;
    return vocabulary;
}

std::optional<Field> HeaderVocabulary::lookup(std::string_view header) const {
    const auto found = field_by_header_.find(normalize_header(header));
    if (found == field_by_header_.end()) return std::nullopt;
    return found->second;
}

}  // namespace taxsync::connectors
