// Any bytes as an IRS e-file return: XML parsing, element look-up by local name, name lines,
// tax ids and emails.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "connectors/mef_xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace taxsync;
    using namespace taxsync::connectors;
    static const TaxIdHasher tax_ids(std::string(32, 'f'));
    static const MefSettings settings{ConnectorName("fuzz"), "2025"};
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const ConvertedFile converted = convert_mef(bytes, "fuzz.xml", settings, tax_ids);
    if (converted.outcome.failed && !converted.clients.empty()) __builtin_trap();
    (void)parse_name_line(bytes.substr(0, 64));
    return 0;
}
