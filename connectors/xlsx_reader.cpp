#include "connectors/xlsx_reader.hpp"

#include <zip.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/xml_names.hpp"

namespace taxsync::connectors {
namespace {

// Excel's own limits; anything beyond them is not a workbook Excel wrote.
constexpr std::size_t kMaxRows = 1'048'576;
constexpr std::size_t kMaxColumns = 16'384;
constexpr zip_uint64_t kMaxPartBytes = 256ULL * 1024 * 1024;  // a zip bomb must not exhaust memory
constexpr std::size_t kMaxCells = 8'000'000;                  // cells kept, empty ones between included

struct ArchiveCloser {
    void operator()(zip_t* archive) const { zip_discard(archive); }
};
struct EntryCloser {
    void operator()(zip_file_t* entry) const { zip_fclose(entry); }
};
using Archive = std::unique_ptr<zip_t, ArchiveCloser>;
using Entry = std::unique_ptr<zip_file_t, EntryCloser>;

FileFault damaged(std::string reason) {
    return FileFault{0, "the workbook cannot be read: " + std::move(reason) + "; open it in Excel and save it again",
                     true};
}

Expected<Archive, FileFault> open_archive(std::string_view bytes) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (source == nullptr) {
        zip_error_fini(&error);
        return unexpected(damaged("not a zip archive"));
    }
    zip_t* archive = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error);
    if (archive == nullptr) {
        zip_source_free(source);  // still ours when the open failed
        std::string reason = zip_error_strerror(&error);
        zip_error_fini(&error);
        return unexpected(damaged("the zip archive is damaged (" + reason + ")"));
    }
    zip_error_fini(&error);
    return Archive(archive);
}

/// The part's bytes, or nullopt when the archive has no such part.
Expected<std::optional<std::string>, FileFault> read_part(zip_t* archive, const std::string& name) {
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat(archive, name.c_str(), 0, &stat) != 0) return std::optional<std::string>{};
    if ((stat.valid & ZIP_STAT_SIZE) == 0 || stat.size > kMaxPartBytes) {
        return unexpected(damaged("part " + name + " is larger than any worksheet taxsync reads"));
    }
    Entry entry(zip_fopen_index(archive, stat.index, 0));
    if (!entry) return unexpected(damaged("part " + name + " cannot be opened"));
    std::string content(static_cast<std::size_t>(stat.size), '\0');
    const zip_int64_t got = zip_fread(entry.get(), content.data(), stat.size);
    if (got < 0 || static_cast<zip_uint64_t>(got) != stat.size) {
        return unexpected(damaged("part " + name + " is truncated or corrupt"));
    }
    return std::optional<std::string>(std::move(content));
}

Expected<pugi::xml_document, FileFault> parse_part(const std::string& content, const std::string& name) {
    pugi::xml_document document;
    const pugi::xml_parse_result parsed = document.load_buffer(content.data(), content.size());
    if (!parsed) return unexpected(damaged("part " + name + " is not well-formed XML (" + parsed.description() + ")"));
    return document;
}

/// "xl/worksheets/sheet1.xml" from a relationship target relative to xl/ or absolute.
std::string part_path(std::string_view target) {
    if (target.starts_with('/')) return std::string(target.substr(1));
    std::string path = "xl/";
    path.append(target);
    return path;
}

/// The worksheet part of `sheet` (the first sheet when empty).
Expected<std::string, FileFault> find_sheet_part(zip_t* archive, std::string_view sheet) {
    auto workbook_xml = read_part(archive, "xl/workbook.xml");
    if (workbook_xml.has_error()) return unexpected(workbook_xml.error());
    if (!*workbook_xml) {
        // Some generators write no workbook part for a one-sheet file; take the usual name.
        if (sheet.empty()) return std::string("xl/worksheets/sheet1.xml");
        return unexpected(damaged("it has no xl/workbook.xml"));
    }
    auto workbook = parse_part(**workbook_xml, "xl/workbook.xml");
    if (workbook.has_error()) return unexpected(workbook.error());
    const pugi::xml_node sheets = descendant_named(*workbook, {"sheets"});
    pugi::xml_node chosen;
    std::vector<std::string> names;
    for (const pugi::xml_node entry : sheets.children()) {
        if (local_name(entry) != "sheet") continue;
        names.emplace_back(entry.attribute("name").value());
        if (!chosen && (sheet.empty() || names.back() == sheet)) chosen = entry;
    }
    if (!chosen) {
        std::string known;
        for (const auto& name : names) known += (known.empty() ? "'" : ", '") + name + "'";
        return unexpected(FileFault{0,
                                    "the workbook has no worksheet '" + std::string(sheet) + "' (it has " +
                                        (known.empty() ? std::string("none") : known) + "); set sheet in [[connector]]",
                                    true});
    }
    const std::string relation(attribute_named(chosen, "id").value());
    auto rels_xml = read_part(archive, "xl/_rels/workbook.xml.rels");
    if (rels_xml.has_error()) return unexpected(rels_xml.error());
    if (*rels_xml) {
        auto rels = parse_part(**rels_xml, "xl/_rels/workbook.xml.rels");
        if (rels.has_error()) return unexpected(rels.error());
        for (const pugi::xml_node link : descendant_named(*rels, {"Relationships"}).children()) {
            if (local_name(link) == "Relationship" && relation == link.attribute("Id").value()) {
                return part_path(link.attribute("Target").value());
            }
        }
    }
    return std::string("xl/worksheets/sheet" + std::string(chosen.attribute("sheetId").value()) + ".xml");
}

Expected<std::vector<std::string>, FileFault> read_shared_strings(zip_t* archive) {
    std::vector<std::string> strings;
    auto xml = read_part(archive, "xl/sharedStrings.xml");
    if (xml.has_error()) return unexpected(xml.error());
    if (!*xml) return strings;  // a workbook with only numbers and inline strings has none
    auto document = parse_part(**xml, "xl/sharedStrings.xml");
    if (document.has_error()) return unexpected(document.error());
    for (const pugi::xml_node item : descendant_named(*document, {"sst"}).children()) {
        if (local_name(item) != "si") continue;
        // Plain <t>, or rich-text runs <r><t>; phonetic runs (<rPh>) are not part of the text.
        std::string text;
        for (const pugi::xml_node part : item.children()) {
            if (local_name(part) == "t") text += text_of(part);
            if (local_name(part) == "r") text += text_of(child_named(part, {"t"}));
        }
        strings.push_back(std::move(text));
    }
    return strings;
}

/// "BC12" -> column 54 (0-based) and row 12; nullopt when malformed or beyond Excel's grid.
std::optional<std::pair<std::size_t, std::size_t>> parse_reference(std::string_view reference) {
    std::size_t at = 0;
    std::size_t column = 0;
    while (at < reference.size() && reference[at] >= 'A' && reference[at] <= 'Z') {
        column = column * 26 + static_cast<std::size_t>(reference[at] - 'A' + 1);
        if (column > kMaxColumns) return std::nullopt;
        ++at;
    }
    std::size_t row = 0;
    const std::size_t digits_start = at;
    while (at < reference.size() && reference[at] >= '0' && reference[at] <= '9') {
        row = row * 10 + static_cast<std::size_t>(reference[at] - '0');
        if (row > kMaxRows) return std::nullopt;
        ++at;
    }
    if (column == 0 || at == digits_start || at != reference.size() || row == 0) return std::nullopt;
    return std::make_pair(column - 1, row);
}

std::optional<std::size_t> parse_row_number(std::string_view text) {
    if (text.empty() || text.size() > 7) return std::nullopt;
    std::size_t row = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        row = row * 10 + static_cast<std::size_t>(c - '0');
    }
    if (row == 0 || row > kMaxRows) return std::nullopt;
    return row;
}

Expected<std::string, FileFault> cell_text(const pugi::xml_node cell, const std::vector<std::string>& shared,
                                           std::size_t row) {
    const std::string_view type = cell.attribute("t").value();
    const std::string value = text_of(child_named(cell, {"v"}));
    if (type == "s") {
        std::size_t position = 0;
        bool valid = !value.empty() && value.size() <= 9;
        for (const char c : value) {
            valid = valid && c >= '0' && c <= '9';
            if (valid) position = position * 10 + static_cast<std::size_t>(c - '0');
        }
        if (!valid || position >= shared.size()) {
            return unexpected(damaged("row " + std::to_string(row) + " refers to a shared string that does not exist"));
        }
        return shared[position];
    }
    if (type == "inlineStr") return text_of(child_named(cell, {"is"}));
    if (type == "b") return std::string(value == "1" ? "TRUE" : "FALSE");
    if (type == "e") return std::string();  // #N/A, #REF!: no value
    return value;  // numbers ("n" or none), formula strings ("str"), dates as serial numbers ("d" is ISO text)
}

}  // namespace

bool looks_like_xlsx(std::string_view bytes) { return bytes.starts_with(std::string_view("PK\x03\x04", 4)); }

Expected<CsvDocument, FileFault> read_xlsx(std::string_view bytes, std::string_view sheet) {
    auto archive = open_archive(bytes);
    if (archive.has_error()) return unexpected(archive.error());
    auto part = find_sheet_part(archive->get(), sheet);
    if (part.has_error()) return unexpected(part.error());
    auto shared = read_shared_strings(archive->get());
    if (shared.has_error()) return unexpected(shared.error());
    auto sheet_xml = read_part(archive->get(), *part);
    if (sheet_xml.has_error()) return unexpected(sheet_xml.error());
    if (!*sheet_xml) return unexpected(damaged("its worksheet part " + *part + " is missing"));
    auto worksheet = parse_part(**sheet_xml, *part);
    if (worksheet.has_error()) return unexpected(worksheet.error());

    CsvDocument document;
    std::size_t previous_row = 0;
    std::size_t cells = 0;
    for (const pugi::xml_node row : descendant_named(*worksheet, {"sheetData"}).children()) {
        if (local_name(row) != "row") continue;
        const auto number = row.attribute("r") ? parse_row_number(row.attribute("r").value())
                                               : std::optional<std::size_t>(previous_row + 1);
        if (!number || *number <= previous_row) {
            return unexpected(damaged("row numbers are out of order after row " + std::to_string(previous_row)));
        }
        // Excel leaves empty rows out: one blank record stands for them (a blank row matters to CCH files).
        if (*number > previous_row + 1 && previous_row > 0) document.records.push_back(CsvRecord{previous_row + 1, {}});
        previous_row = *number;

        CsvRecord record{*number, {}};
        for (const pugi::xml_node cell : row.children()) {
            if (local_name(cell) != "c") continue;
            std::size_t column = record.fields.size();
            if (const pugi::xml_attribute reference = cell.attribute("r")) {
                const auto position = parse_reference(reference.value());
                if (!position || position->second != *number || position->first < record.fields.size()) {
                    return unexpected(damaged("cell reference '" + std::string(reference.value()) + "' in row " +
                                              std::to_string(*number) + " is out of place"));
                }
                column = position->first;
            }
            if (column >= kMaxColumns) return unexpected(damaged("row " + std::to_string(*number) + " is too wide"));
            auto text = cell_text(cell, *shared, *number);
            if (text.has_error()) return unexpected(text.error());
            cells += column + 1 - record.fields.size();
            if (cells > kMaxCells) return unexpected(damaged("the worksheet has more cells than taxsync reads"));
            record.fields.resize(column);
            record.fields.push_back(std::move(*text));
        }
        document.records.push_back(std::move(record));
    }
    return document;
}

}  // namespace taxsync::connectors
