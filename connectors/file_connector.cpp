#include "connectors/file_connector.hpp"

#include <algorithm>
#include <fstream>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "connectors/file_intake.hpp"
#include "core/digest.hpp"
#include "core/redact.hpp"

namespace taxsync::connectors {
namespace {

namespace fs = std::filesystem;

class FileConnector final : public Connector {
public:
    FileConnector(std::string_view type, ConnectorSettings settings, ConvertFile convert,
                  const ConnectorServices& services)
        : type_(type), settings_(std::move(settings)), convert_(std::move(convert)), services_(services) {}

    [[nodiscard]] const ConnectorName& name() const override { return settings_.name; }
    [[nodiscard]] std::string_view type() const override { return type_; }

    Expected<SourceState> scan() override {
        return scan_folder(settings_.folder, IntakeRules{settings_.patterns, settings_.settle}, services_.clock);
    }

    ReadSummary stream(const SourceState& state, ClientSink& sink) override {
        std::vector<ExportFile> files = state.ready;
        // The newest file must be read last so that it wins; do not rely on the caller's order.
        std::sort(files.begin(), files.end(), [](const ExportFile& a, const ExportFile& b) {
            return std::tie(a.modified, a.path) < std::tie(b.modified, b.path);
        });
        ReadSummary summary;
        // Ids are unique within a file already; only several files need to know where an id was
        // last taken from, to report the older row. Kept as id and line, never as clients.
        const bool several = files.size() > 1;
        std::unordered_map<std::string, RowOf> taken_from;
        std::vector<std::pair<std::string, std::size_t>> ids_of_file;
        const TakeClient take = [&](const TaxClient& client) {
            if (several) ids_of_file.emplace_back(client.id.value(), client.source.line);
            sink.accept(client);
        };
        for (const ExportFile& file : files) {
            ids_of_file.clear();
            sink.begin_file(file.path);
            ConvertedFile converted = read_file(file, take);
            sink.end_file(!converted.outcome.failed);
            const std::size_t file_index = summary.files.size();
            summary.files.push_back(converted.outcome);
            std::move(converted.problems.begin(), converted.problems.end(), std::back_inserter(summary.problems));
            if (converted.outcome.failed) {
                summary.complete = false;
                continue;
            }
            for (auto& [id, line] : ids_of_file) {
                const auto [found, inserted] = taken_from.try_emplace(std::move(id), RowOf{file_index, line});
                if (inserted) continue;
                const RowOf older = found->second;
                summary.problems.push_back(Problem{
                    summary.files[older.file].path.string(), older.line, Severity::Warning,
                    mask_tax_ids("client id '" + found->first + "' is also in the newer file " + file.path.string() +
                                 " (line " + std::to_string(line) + "); that row is used instead of this one")});
                --summary.files[older.file].imported;
                found->second = RowOf{file_index, line};
            }
        }
        return summary;
    }

private:
    /// Where a client id was taken from: an index into the read's files, and the line.
    struct RowOf {
        std::size_t file = 0;
        std::size_t line = 0;
    };

    ConvertedFile read_file(const ExportFile& file, const TakeClient& take) {
        auto bytes = read_scanned_file(file);
        if (bytes.has_error()) {
            services_.log.warn("{}: {} not read: {}", settings_.name.value(), file.path.string(), bytes.error().reason);
            return failed_file(file.path, bytes.error());
        }
        ConvertedFile converted = convert_(*bytes, file.path, take);
        if (!converted.outcome.failed) {
            services_.log.info("{}: read {} ({}): {} rows, {} clients, {} problems", settings_.name.value(),
                               file.path.string(), converted.outcome.encoding, converted.outcome.rows,
                               converted.outcome.imported, converted.problems.size());
            return converted;
        }
        const FileFault fault = converted.fault.value_or(FileFault{0, "unknown reason", false});
        services_.log.warn("{}: {} not taken: {}", settings_.name.value(), file.path.string(),
                           mask_tax_ids(fault.reason));
        if (fault.unreadable && settings_.move_unreadable) quarantine(file, fault, converted);
        return converted;
    }

    void quarantine(const ExportFile& file, const FileFault& fault, ConvertedFile& converted) {
        auto moved = quarantine_file(file.path, quarantine_folder(settings_), fault, settings_.name.value(),
                                     services_.clock.now());
        if (moved.has_error()) {
            converted.problems.push_back(Problem{file.path.string(), 0, Severity::Error,
                                                 "could not be moved to quarantine: " + moved.error().message});
            services_.log.error("{}: {}", settings_.name.value(), moved.error().message);
            return;
        }
        converted.outcome.quarantined_to = *moved;
        // The file's one problem says where it went, so `taxsync status` points the admin there.
        for (Problem& problem : converted.problems) {
            if (problem.line == fault.line && problem.severity == Severity::Error) {
                problem.reason +=
                    "; moved to " + moved->string() + " (reason in " + moved->filename().string() + ".error.txt)";
                break;
            }
        }
        services_.log.warn("{}: {} moved to quarantine: {}", settings_.name.value(), file.path.string(),
                           moved->string());
    }

    std::string_view type_;
    ConnectorSettings settings_;
    ConvertFile convert_;
    ConnectorServices services_;
};

/// Holds every client of a read, file by file: a failed file's clients are dropped, and a newer
/// file's row replaces an older one in its place.
class CollectingSink final : public ClientSink {
public:
    explicit CollectingSink(std::vector<TaxClient>& clients) : clients_(clients) {}

    void begin_file(const fs::path& /*file*/) override { file_clients_.clear(); }
    void accept(const TaxClient& client) override { file_clients_.push_back(client); }
    void end_file(bool taken) override {
        if (!taken) return;
        for (TaxClient& client : file_clients_) {
            const auto [found, inserted] = index_of_id_.try_emplace(client.id.value(), clients_.size());
            if (inserted) {
                clients_.push_back(std::move(client));
            } else {
                clients_[found->second] = std::move(client);
            }
        }
        file_clients_.clear();
    }

private:
    std::vector<TaxClient>& clients_;
    std::vector<TaxClient> file_clients_;
    std::unordered_map<std::string, std::size_t> index_of_id_;
};

}  // namespace

Batch Connector::read(const SourceState& state) {
    Batch batch;
    CollectingSink sink(batch.clients);
    static_cast<ReadSummary&>(batch) = stream(state, sink);
    return batch;
}

ConvertedFile failed_file(const fs::path& file, const FileFault& fault, FileOutcome outcome) {
    ConvertedFile failed;
    failed.outcome = std::move(outcome);
    failed.outcome.path = file;
    failed.outcome.failed = true;
    failed.outcome.imported = 0;
    FileFault masked = fault;
    masked.reason = mask_tax_ids(fault.reason);
    failed.problems.push_back(Problem{file.string(), fault.line, Severity::Error, masked.reason});
    failed.fault = std::move(masked);
    return failed;
}

fs::path quarantine_folder(const ConnectorSettings& settings) {
    return settings.quarantine.empty() ? settings.folder / "quarantine" : settings.quarantine;
}

Expected<fs::path> quarantine_file(const fs::path& file, const fs::path& folder, const FileFault& fault,
                                   std::string_view connector, SystemTime now) {
    std::error_code error;
    fs::create_directories(folder, error);
    if (error)
        return fail(ErrorKind::Io, "cannot create the quarantine folder " + folder.string() + ": " + error.message());
    fs::path target = folder / file.filename();
    for (int n = 1; fs::exists(target, error) || fs::exists(target.string() + ".error.txt", error); ++n) {
        target = folder / (file.stem().string() + "." + std::to_string(n) + file.extension().string());
    }
    fs::rename(file, target, error);
    if (error) {
        return fail(ErrorKind::Io, "cannot move " + file.string() + " to " + target.string() + ": " + error.message());
    }
    std::ofstream note(target.string() + ".error.txt", std::ios::trunc);
    note << "file: " << file.string() << "\n"
         << "connector: " << connector << "\n"
         << "time: " << format_utc(now) << "\n"
         << "line: " << (fault.line == 0 ? std::string("(whole file)") : std::to_string(fault.line)) << "\n"
         << "reason: " << mask_tax_ids(fault.reason) << "\n"
         << "\nFix the export and save it into " << file.parent_path().string()
         << " again; taxsync reads it on its next cycle.\n";
    if (!note) return fail(ErrorKind::Io, "moved to " + target.string() + " but could not write its .error.txt");
    return target;
}

Expected<std::unique_ptr<Connector>> make_file_connector(std::string_view type, const ConnectorSettings& settings,
                                                         std::vector<std::string> default_patterns, ConvertFile convert,
                                                         const ConnectorServices& services) {
    const std::string prefix = "connector '" + settings.name.value() + "' (" + std::string(type) + "): ";
    if (settings.folder.empty()) {
        return fail(ErrorKind::InvalidInput, prefix + "folder is empty; set it to the folder the exports are saved in");
    }
    if (settings.settle.count() < 0) return fail(ErrorKind::InvalidInput, prefix + "settle must not be negative");
    ConnectorSettings own = settings;
    if (own.patterns.empty()) own.patterns = std::move(default_patterns);
    return std::unique_ptr<Connector>(
        std::make_unique<FileConnector>(type, std::move(own), std::move(convert), services));
}

}  // namespace taxsync::connectors
