#pragma once
// Writes small .xlsx workbooks for tests: a real zip (libzip) holding the parts Excel writes,
// with text as shared strings, inline strings or numbers as the test asks.

#include <map>
#include <string>
#include <vector>

namespace taxsync::connectors::testing {

struct XlsxCell {
    std::string value;
    enum class Kind { Shared, Inline, Number } kind = Kind::Shared;
};

struct XlsxSheet {
    std::string name = "Sheet1";
    /// Row number (1-based) -> cells from column A on; an empty value leaves the cell out.
    std::map<std::size_t, std::vector<XlsxCell>> rows;
};

/// Rows of plain text, all as shared strings, from row 1 on.
XlsxSheet text_sheet(const std::vector<std::vector<std::string>>& rows, std::string name = "Sheet1");

/// The bytes of a workbook holding `sheets` in order.
std::string build_xlsx(const std::vector<XlsxSheet>& sheets);

}  // namespace taxsync::connectors::testing
