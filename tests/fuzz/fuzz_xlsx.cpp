// Any bytes as an .xlsx workbook: the zip archive, the workbook, relationship, shared-string and
// worksheet parts, cell references.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "connectors/xlsx_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const auto sheet = taxsync::connectors::read_xlsx(bytes);
    if (sheet.has_value()) {
        std::size_t previous = 0;
        for (const auto& record : sheet->records) {
            if (record.line <= previous) __builtin_trap();  // rows come out in order
            previous = record.line;
        }
    }
    (void)taxsync::connectors::read_xlsx(bytes, "Clients");
    return 0;
}
