#pragma once
// Export headers are whatever the firm picked in its tax package, so each connector type maps the
// headers it knows to canonical fields, and a firm's [connector.columns] table overrides that.

#include <array>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace taxsync::connectors {

/// The canonical fields, in the order canonical_fields() lists them.
enum class Field : std::size_t {
    ClientId,
    ClientType,
    ClientName,
    BusinessName,
    FirstName,
    MiddleName,
    LastName,
    Email,
    Phone,
    TaxId,
    SpouseFirstName,
    SpouseMiddleName,
    SpouseLastName,
    SpouseEmail,
    SpousePhone,
    SpouseTaxId,
    Ein,
    TaxYear,
    ReturnType,
    Office,
    Preparer,
    Zip,           // checked for Excel damage only: the portal objects carry no address
    FilingStatus,  // checked against the spouse columns
    ClientSubId,   // CCH's Client Sub-ID: part of the client's identity when filled
};
inline constexpr std::size_t kFieldCount = static_cast<std::size_t>(Field::ClientSubId) + 1;

/// "client_id", "spouse_email", ...: the names used in [connector.columns].
std::string_view field_name(Field field);
std::optional<Field> field_from_name(std::string_view name);
const std::array<Field, kFieldCount>& all_fields();

/// A header as a person would write it ("Taxpayer First Name") and the field it stands for.
struct HeaderAlias {
    std::string_view header;
    Field field;
};

/// Trimmed, case-folded, and stripped of everything but letters, digits and '#', so "Client #",
/// "CLIENT#" and "client  #" are one header. Bytes outside ASCII are kept as they are.
std::string normalize_header(std::string_view header);

/// Headers the desktop tax packages share (taxpayer/spouse vocabulary, SmartVault's import
/// template); the lacerte and proseries presets start from it.
std::span<const HeaderAlias> tax_package_aliases();

/// Each field's own name as a header ("client_id", "spouse_email"): the generic-csv vocabulary.
/// Not part of the presets, because "phone" would then take a bare "Phone" column.
std::span<const HeaderAlias> canonical_name_aliases();

/// Normalized header -> field, for one connector.
class HeaderVocabulary {
public:
    /// `presets` give the known headers; `overrides` (canonical field -> header as written)
    /// replace every preset header of their field. Unknown field names, empty headers and one
    /// header named for two fields in `overrides` are refused.
    static Expected<HeaderVocabulary> build(std::span<const std::span<const HeaderAlias>> presets,
                                            const std::map<std::string, std::string>& overrides);

    [[nodiscard]] std::optional<Field> lookup(std::string_view header) const;

private:
    std::map<std::string, Field, std::less<>> field_by_header_;
};

}  // namespace taxsync::connectors
