#pragma once
// IRS Modernized e-File returns (XML): Form 1040 returns and business returns (1120, 1120-S,
// 1065, 1041, 990). Elements are found by local name, whatever the namespace prefix, and both the
// pre-2013 and the current element names are accepted, element by element (exports.md §5).

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "connectors/connector.hpp"
#include "connectors/file_connector.hpp"

namespace taxsync::connectors {

/// A 1040 name line as the IRS writes it (Pub. 4164): `<` before the last name, `&` joining the
/// spouse, a suffix after another `<`.
struct FilerNames {
    std::string first;  // first and middle names of the primary filer
    std::string last;   // with the suffix ("Doe Jr")
    std::string spouse_first;
    std::string spouse_last;  // empty when no spouse is named
};

/// "PAUL & SYDNEY<REVERE", "JOHN<DOE<& JANE SMITH", "JOHN<DOE<JR", "ALEXIS<ROSE"; names are tidied
/// ("Paul"). A line without `<` is read as "FIRST ... LAST".
FilerNames parse_name_line(std::string_view name_line);

struct MefSettings {
    ConnectorName connector;
    std::string default_tax_year;
};

/// Every <Return> in one file becomes a client keyed by the hash of its primary SSN or EIN.
ConvertedFile convert_mef(std::string_view bytes, const std::filesystem::path& file, const MefSettings& settings,
                          const TaxIdHasher& tax_ids);

/// The `mef-xml` connector; patterns default to `*.xml`.
Expected<std::unique_ptr<Connector>> make_mef_connector(const ConnectorSettings& settings,
                                                        const ConnectorServices& services);

}  // namespace taxsync::connectors
