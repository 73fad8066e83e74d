// docs/connectors.md lists the headers each field accepts and each preset's own wordings; this
// test keeps it true to the code, in both directions.

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "connectors/formats.hpp"
#include "connectors/header_aliases.hpp"
#include "connectors/registry.hpp"
#include "core/text.hpp"

namespace taxsync::connectors {
namespace {

HeaderVocabulary vocabulary(const TabularFormat& format) { return HeaderVocabulary::build(format.aliases, {}).value(); }

std::vector<const TabularFormat*> presets() {
    return {&lacerte_format(),    &proseries_format(), &drake_format(),         &ultratax_format(),
            &cch_axcess_format(), &taxact_format(),    &smartvault_csv_format()};
}

/// The lines of one `## ` section of docs/connectors.md.
std::vector<std::string> doc_lines(std::string_view section) {
    std::ifstream in(std::string(TAXSYNC_SOURCE_DIR) + "/docs/connectors.md");
    EXPECT_TRUE(in.good());
    std::vector<std::string> lines;
    bool inside = false;
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("## ")) inside = line.substr(3) == section;
        if (inside) lines.push_back(line);
    }
    EXPECT_FALSE(lines.empty()) << "no section '" << section << "'";
    return lines;
}

Field documented_field(std::string_view cell) {
    std::string name(trim(cell));
    if (name.size() > 2 && name.front() == '`') name = name.substr(1, name.size() - 2);
    const auto field = field_from_name(name);
    EXPECT_TRUE(field.has_value()) << "docs name an unknown field: " << name;
    return field.value_or(Field::ClientId);
}

TEST(ConnectorDocs, EveryListedHeaderIsAcceptedByEveryPreset) {
    std::size_t rows = 0;
    for (const std::string& line : doc_lines("Headers every preset accepts")) {
        // Shared table rows look like: | `email` | Email, E-mail, ... |
        if (line.rfind("| `", 0) != 0) continue;
        const auto cells = split(line, '|');
        ASSERT_GE(cells.size(), 3U) << line;
        const Field field = documented_field(cells[1]);
        for (const TabularFormat* format : presets()) {
            const auto known = vocabulary(*format);
            for (const std::string& header : split(cells[2], ',')) {
                const std::string text(trim(header));
                EXPECT_EQ(known.lookup(text), field)
                    << format->type << " does not map '" << text << "' to " << field_name(field);
            }
        }
        ++rows;
    }
    EXPECT_EQ(rows, canonical_fields().size());  // every field is documented
}

TEST(ConnectorDocs, EachPresetsOwnHeadersAreDocumentedAndAccepted) {
    // Preset rows look like: | drake | tax_id | ID Number, ID # |
    std::map<std::string, std::set<std::pair<std::string, Field>>> documented;
    for (const std::string& line : doc_lines("Each preset's own headers")) {
        const auto cells = split(line, '|');
        if (cells.size() < 4) continue;
        const std::string preset(trim(cells[1]));
        const auto all = presets();
        const bool is_preset =
            std::any_of(all.begin(), all.end(), [&](const TabularFormat* f) { return f->type == preset; });
        if (!is_preset) continue;
        const Field field = documented_field(cells[2]);
        for (const std::string& header : split(cells[3], ',')) {
            documented[preset].emplace(normalize_header(header), field);
        }
    }
    for (const TabularFormat* format : presets()) {
        const auto known = vocabulary(*format);
        const auto& rows = documented[std::string(format->type)];
        for (const auto& [header, field] : rows) {
            EXPECT_EQ(known.lookup(header), field) << format->type << " does not map '" << header << "'";
        }
        for (const auto& table : format->aliases) {
            if (table.data() == tax_package_aliases().data()) continue;
            for (const HeaderAlias& alias : table) {
                EXPECT_TRUE(rows.contains({normalize_header(alias.header), alias.field}))
                    << format->type << "'s header '" << alias.header << "' is not in docs/connectors.md";
            }
        }
    }
}

}  // namespace
}  // namespace taxsync::connectors
