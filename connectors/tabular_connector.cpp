#include "connectors/tabular_connector.hpp"

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

#include "connectors/file_intake.hpp"
#include "core/redact.hpp"

namespace taxsync::connectors {
namespace {

class TabularConnector final : public Connector {
public:
    TabularConnector(const TabularFormat& format, ConnectorSettings settings, HeaderVocabulary vocabulary,
                     EncodingChoice encoding, const ConnectorServices& services)
        : format_(format),
          settings_(std::move(settings)),
          vocabulary_(std::move(vocabulary)),
          tabular_{settings_.name, encoding, settings_.default_tax_year},
          services_(services) {}

    [[nodiscard]] const ConnectorName& name() const override { return settings_.name; }
    [[nodiscard]] std::string_view type() const override { return format_.type; }

    Expected<SourceState> scan() override {
        return scan_folder(settings_.folder, IntakeRules{settings_.patterns, settings_.settle}, services_.clock);
    }

    Batch read(const SourceState& state) override {
        std::vector<ExportFile> files = state.ready;
        // The newest file must be read last so that it wins; do not rely on the caller's order.
        std::sort(files.begin(), files.end(), [](const ExportFile& a, const ExportFile& b) {
            return std::tie(a.modified, a.path) < std::tie(b.modified, b.path);
        });
        Batch batch;
        std::vector<std::size_t> file_of_client;  // index into batch.files, parallel to batch.clients
        std::map<std::string, std::size_t, std::less<>> client_by_id;
        for (const ExportFile& file : files) {
            ConvertedFile converted = read_file(file);
            if (converted.outcome.failed) batch.complete = false;
            const std::size_t file_index = batch.files.size();
            batch.files.push_back(converted.outcome);
            std::move(converted.problems.begin(), converted.problems.end(), std::back_inserter(batch.problems));
            for (TaxClient& client : converted.clients) {
                const auto [found, inserted] = client_by_id.try_emplace(client.id.value(), batch.clients.size());
                if (inserted) {
                    batch.clients.push_back(std::move(client));
                    file_of_client.push_back(file_index);
                    continue;
                }
                const TaxClient& older = batch.clients[found->second];
                batch.problems.push_back(
                    Problem{older.source.file, older.source.line, Severity::Warning,
                            mask_tax_ids("client id '" + older.id.value() + "' is also in the newer file " +
                                         client.source.file + " (line " + std::to_string(client.source.line) +
                                         "); that row is used instead of this one")});
                --batch.files[file_of_client[found->second]].imported;
                batch.clients[found->second] = std::move(client);
                file_of_client[found->second] = file_index;
            }
        }
        return batch;
    }

private:
    ConvertedFile read_file(const ExportFile& file) {
        auto bytes = read_scanned_file(file);
        if (bytes.has_error()) {
            ConvertedFile unreadable;
            unreadable.outcome.path = file.path;
            unreadable.outcome.failed = true;
            unreadable.problems.push_back(
                Problem{file.path.string(), bytes.error().line, Severity::Error, bytes.error().reason});
            services_.log.warn("{}: {} not read: {}", settings_.name.value(), file.path.string(), bytes.error().reason);
            return unreadable;
        }
        ConvertedFile converted = convert_export(*bytes, file.path, format_, vocabulary_, tabular_, services_.tax_ids);
        const FileOutcome& outcome = converted.outcome;
        if (outcome.failed) {
            services_.log.warn(
                "{}: {} not taken: {}", settings_.name.value(), file.path.string(),
                converted.problems.empty() ? std::string("unknown reason") : converted.problems.front().reason);
        } else {
            services_.log.info("{}: read {} ({}): {} rows, {} clients, {} problems", settings_.name.value(),
                               file.path.string(), outcome.encoding, outcome.rows, outcome.imported,
                               converted.problems.size());
        }
        return converted;
    }

    const TabularFormat& format_;
    ConnectorSettings settings_;
    HeaderVocabulary vocabulary_;
    TabularSettings tabular_;
    ConnectorServices services_;
};

}  // namespace

Expected<std::unique_ptr<Connector>> make_tabular_connector(const TabularFormat& format,
                                                            const ConnectorSettings& settings,
                                                            const ConnectorServices& services) {
    const std::string prefix = "connector '" + settings.name.value() + "' (" + std::string(format.type) + "): ";
    if (settings.folder.empty()) {
        return fail(ErrorKind::InvalidInput, prefix + "folder is empty; set it to the folder the exports are saved in");
    }
    if (settings.patterns.empty()) {
        return fail(ErrorKind::InvalidInput, prefix + "patterns is empty, so no file would ever be read");
    }
    if (settings.settle.count() < 0) return fail(ErrorKind::InvalidInput, prefix + "settle must not be negative");
    auto encoding = parse_encoding_choice(settings.encoding);
    if (encoding.has_error()) return fail(ErrorKind::InvalidInput, prefix + encoding.error().message);
    auto vocabulary = HeaderVocabulary::build(format.aliases, settings.columns);
    if (vocabulary.has_error()) return fail(ErrorKind::InvalidInput, prefix + vocabulary.error().message);
    return std::unique_ptr<Connector>(
        std::make_unique<TabularConnector>(format, settings, std::move(vocabulary).value(), *encoding, services));
}

}  // namespace taxsync::connectors
