#include "connectors/tabular_connector.hpp"

#include <utility>

#include "connectors/file_connector.hpp"

namespace taxsync::connectors {

Expected<std::unique_ptr<Connector>> make_tabular_connector(const TabularFormat& format,
                                                            const ConnectorSettings& settings,
                                                            const ConnectorServices& services) {
    const std::string prefix = "connector '" + settings.name.value() + "' (" + std::string(format.type) + "): ";
    auto encoding = parse_encoding_choice(settings.encoding);
    if (encoding.has_error()) return fail(ErrorKind::InvalidInput, prefix + encoding.error().message);
    auto vocabulary = HeaderVocabulary::build(format.aliases, settings.columns);
    if (vocabulary.has_error()) return fail(ErrorKind::InvalidInput, prefix + vocabulary.error().message);
    TabularSettings tabular{settings.name, *encoding, settings.default_tax_year, settings.id_width, settings.sheet};
    ConvertFile convert = [&format, vocabulary = std::move(vocabulary).value(), tabular = std::move(tabular),
                           &tax_ids = services.tax_ids](std::string_view bytes, const std::filesystem::path& file,
                                                        const TakeClient& take) {
        return stream_export(bytes, file, format, vocabulary, tabular, tax_ids, take);
    };
    return make_file_connector(format.type, settings, {"*.csv"}, std::move(convert), services);
}

}  // namespace taxsync::connectors
