// Any bytes as a CSV export: decoding, the CSV reader, and the conversion of every row (header
// aliases, names, emails, tax ids, Excel damage). Nothing may crash, hang or leak, and a file is
// either taken or failed whole.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "connectors/formats.hpp"
#include "connectors/tabular.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace taxsync;
    using namespace taxsync::connectors;
    static const TaxIdHasher tax_ids(std::string(32, 'f'));
    static const HeaderVocabulary vocabulary = HeaderVocabulary::build(cch_axcess_format().aliases, {}).value();
    static const TabularSettings settings{ConnectorName("fuzz"), EncodingChoice::Auto, "2025", 5, {}};
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const ConvertedFile converted = convert_export(bytes, "fuzz.csv", cch_axcess_format(), vocabulary, settings, tax_ids);
    if (converted.outcome.failed && !converted.clients.empty()) __builtin_trap();  // whole or nothing
    if (converted.outcome.imported != converted.clients.size()) __builtin_trap();
    return 0;
}
