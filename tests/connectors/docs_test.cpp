// docs/connectors.md lists the headers each field accepts; this test keeps it true to the code.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "connectors/formats.hpp"
#include "connectors/header_aliases.hpp"
#include "connectors/registry.hpp"
#include "core/text.hpp"

namespace taxsync::connectors {
namespace {

HeaderVocabulary vocabulary(const TabularFormat& format) { return HeaderVocabulary::build(format.aliases, {}).value(); }

TEST(ConnectorDocs, EveryListedHeaderIsAcceptedByBothPresets) {
    std::ifstream in(std::string(TAXSYNC_SOURCE_DIR) + "/docs/connectors.md");
    ASSERT_TRUE(in.good());
    const auto lacerte = vocabulary(lacerte_format());
    const auto proseries = vocabulary(proseries_format());
    std::string line;
    std::size_t rows = 0;
    while (std::getline(in, line)) {
        // Table rows look like: | `email` | Email, E-mail, ... |
        if (line.rfind("| `", 0) != 0) continue;
        const auto cells = split(line, '|');
        ASSERT_GE(cells.size(), 3U) << line;
        std::string name(trim(cells[1]));
        name = name.substr(1, name.size() - 2);  // strip the backticks
        const auto field = field_from_name(name);
        ASSERT_TRUE(field.has_value()) << "docs name an unknown field: " << name;
        for (const std::string& header : split(cells[2], ',')) {
            const std::string text(trim(header));
            EXPECT_EQ(lacerte.lookup(text), field) << "lacerte does not map '" << text << "' to " << name;
            EXPECT_EQ(proseries.lookup(text), field) << "proseries does not map '" << text << "' to " << name;
        }
        ++rows;
    }
    EXPECT_EQ(rows, canonical_fields().size());  // every field is documented
}

}  // namespace
}  // namespace taxsync::connectors
