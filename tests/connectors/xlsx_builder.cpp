#include "tests/connectors/xlsx_builder.hpp"

#include <zip.h>

#include <memory>
#include <stdexcept>

namespace taxsync::connectors::testing {
namespace {

std::string escape(const std::string& text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out.push_back(c);
        }
    }
    return out;
}

std::string column_letters(std::size_t index) {
    std::string letters;
    for (std::size_t n = index + 1; n > 0; n = (n - 1) / 26)
        letters.insert(letters.begin(), static_cast<char>('A' + (n - 1) % 26));
    return letters;
}

class ZipWriter {
public:
    ZipWriter() {
        zip_error_t error;
        zip_error_init(&error);
        source_ = zip_source_buffer_create(nullptr, 0, 0, &error);
        zip_source_keep(source_);
        archive_ = zip_open_from_source(source_, ZIP_TRUNCATE, &error);
        zip_error_fini(&error);
        if (archive_ == nullptr) throw std::runtime_error("zip_open_from_source failed");
    }
    ~ZipWriter() {
        if (archive_ != nullptr) zip_discard(archive_);
        zip_source_free(source_);
    }
    ZipWriter(const ZipWriter&) = delete;
    ZipWriter& operator=(const ZipWriter&) = delete;

    void add(const std::string& name, const std::string& content) {
        contents_.push_back(std::make_unique<std::string>(content));  // must outlive zip_close
        zip_source_t* part = zip_source_buffer(archive_, contents_.back()->data(), contents_.back()->size(), 0);
        if (part == nullptr || zip_file_add(archive_, name.c_str(), part, ZIP_FL_OVERWRITE) < 0) {
            throw std::runtime_error("zip_file_add failed");
        }
    }

    std::string finish() {
        if (zip_close(archive_) != 0) throw std::runtime_error("zip_close failed");
        archive_ = nullptr;
        zip_stat_t stat;
        zip_source_stat(source_, &stat);
        std::string bytes(static_cast<std::size_t>(stat.size), '\0');
        zip_source_open(source_);
        zip_source_read(source_, bytes.data(), stat.size);
        zip_source_close(source_);
        return bytes;
    }

private:
    zip_source_t* source_ = nullptr;
    zip_t* archive_ = nullptr;
    std::vector<std::unique_ptr<std::string>> contents_;
};

}  // namespace

XlsxSheet text_sheet(const std::vector<std::vector<std::string>>& rows, std::string name) {
    XlsxSheet sheet;
    sheet.name = std::move(name);
    for (std::size_t r = 0; r < rows.size(); ++r) {
        for (const auto& value : rows[r]) sheet.rows[r + 1].push_back(XlsxCell{value, XlsxCell::Kind::Shared});
    }
    return sheet;
}

std::string build_xlsx(const std::vector<XlsxSheet>& sheets) {
    ZipWriter zip;
    std::vector<std::string> shared;
    std::string workbook = R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)"
                           R"(<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" )"
                           R"(xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>)";
    std::string rels = R"(<?xml version="1.0" encoding="UTF-8"?>)"
                       R"(<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">)";
    for (std::size_t s = 0; s < sheets.size(); ++s) {
        const std::string id = std::to_string(s + 1);
        workbook += "<sheet name=\"" + escape(sheets[s].name) + "\" sheetId=\"" + id + "\" r:id=\"rId" + id + "\"/>";
        // Sheets are stored in reverse file order so that only the relationships find the right one.
        const std::string part = "worksheets/sheet" + std::to_string(sheets.size() - s) + ".xml";
        rels += "<Relationship Id=\"rId" + id + "\" Type=\"worksheet\" Target=\"" + part + "\"/>";
        std::string xml = R"(<?xml version="1.0" encoding="UTF-8"?>)"
                          R"(<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>)";
        for (const auto& [number, cells] : sheets[s].rows) {
            xml += "<row r=\"" + std::to_string(number) + "\">";
            for (std::size_t c = 0; c < cells.size(); ++c) {
                if (cells[c].value.empty()) continue;
                const std::string ref = column_letters(c) + std::to_string(number);
                switch (cells[c].kind) {
                    case XlsxCell::Kind::Shared:
                        xml += "<c r=\"" + ref + "\" t=\"s\"><v>" + std::to_string(shared.size()) + "</v></c>";
                        shared.push_back(cells[c].value);
                        break;
                    case XlsxCell::Kind::Inline:
                        xml +=
                            "<c r=\"" + ref + "\" t=\"inlineStr\"><is><t>" + escape(cells[c].value) + "</t></is></c>";
                        break;
                    case XlsxCell::Kind::Number: xml += "<c r=\"" + ref + "\"><v>" + cells[c].value + "</v></c>"; break;
                }
            }
            xml += "</row>";
        }
        xml += "</sheetData></worksheet>";
        zip.add("xl/" + part, xml);
    }
    workbook += "</sheets></workbook>";
    rels += "</Relationships>";
    std::string strings = R"(<?xml version="1.0" encoding="UTF-8"?>)"
                          R"(<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">)";
    for (const auto& text : shared) strings += "<si><t xml:space=\"preserve\">" + escape(text) + "</t></si>";
    strings += "</sst>";
    zip.add("[Content_Types].xml",
            R"(<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>)");
    zip.add("xl/workbook.xml", workbook);
    zip.add("xl/_rels/workbook.xml.rels", rels);
    zip.add("xl/sharedStrings.xml", strings);
    return zip.finish();
}

}  // namespace taxsync::connectors::testing
