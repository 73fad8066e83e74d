#include "connectors/exec_connector.hpp"

#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "connectors/child_process.hpp"
#include "connectors/formats.hpp"
#include "connectors/header_aliases.hpp"
#include "connectors/tabular.hpp"
#include "core/digest.hpp"
#include "core/redact.hpp"
#include "core/text.hpp"

namespace taxsync::connectors {
namespace {

constexpr std::size_t kMaxOutput = 256U * 1024 * 1024;

class ExecConnector final : public Connector {
public:
    ExecConnector(ConnectorSettings settings, HeaderVocabulary vocabulary, const ConnectorServices& services)
        : settings_(std::move(settings)),
          vocabulary_(std::move(vocabulary)),
          tabular_{settings_.name, EncodingChoice::Utf8, settings_.default_tax_year, settings_.id_width, {}},
          source_(settings_.command.front() + " (stdout)"),
          services_(services) {}

    [[nodiscard]] const ConnectorName& name() const override { return settings_.name; }
    [[nodiscard]] std::string_view type() const override { return "exec"; }

    /// Runs the program: its output is the source, and its hash the fingerprint.
    Expected<SourceState> scan() override {
        auto output = run();
        if (output.has_error()) return unexpected(std::move(output).error());
        last_output_ = std::move(output).value();
        SourceState state;
        state.ready.push_back(ExportFile{source_, last_output_.size(), services_.clock.now()});
        state.fingerprint = sha256_hex(last_output_);
        return state;
    }

    ReadSummary stream(const SourceState& state, ClientSink& sink) override {
        ReadSummary summary;
        if (state.fingerprint != sha256_hex(last_output_)) {
            // Not the output this state was made from: run again rather than mix two runs.
            auto output = run();
            if (output.has_error()) {
                summary.complete = false;
                summary.problems.push_back(Problem{source_, 0, Severity::Error, output.error().message});
                return summary;
            }
            last_output_ = std::move(output).value();
        }
        JsonLines lines = parse_json_lines(last_output_, source_);
        sink.begin_file(source_);
        const TakeClient take = [&sink](const TaxClient& client) { sink.accept(client); };
        ConvertedFile converted = stream_records(lines.document, last_output_, "json lines", source_,
                                                 generic_csv_format(), vocabulary_, tabular_, services_.tax_ids, take);
        sink.end_file(!converted.outcome.failed);
        summary.complete = lines.all_lines_read && !converted.outcome.failed;
        summary.files.push_back(converted.outcome);
        summary.problems = std::move(lines.problems);
        std::move(converted.problems.begin(), converted.problems.end(), std::back_inserter(summary.problems));
        services_.log.info("{}: {} printed {} client(s), {} problem(s)", settings_.name.value(),
                           settings_.command.front(), converted.outcome.imported, summary.problems.size());
        return summary;
    }

private:
    Expected<std::string> run() {
        const std::string program = settings_.command.front();
        auto run = run_program(settings_.command, settings_.folder, settings_.timeout, kMaxOutput);
        if (run.has_error()) return unexpected(std::move(run).error());
        const std::string err = std::string(trim(mask_tax_ids(run->err_tail)));
        const std::string said = err.empty() ? std::string() : "; it said: " + err;
        if (run->timed_out) {
            return fail(ErrorKind::Unavailable, program + " did not finish within " +
                                                    std::to_string(settings_.timeout.count()) + " s and was stopped" +
                                                    said);
        }
        if (run->signal != 0) {
            return fail(ErrorKind::Io, program + " was ended by signal " + std::to_string(run->signal) + said);
        }
        if (run->exit_code.value_or(-1) != 0) {
            return fail(ErrorKind::Io, program + " exited with status " + std::to_string(run->exit_code.value_or(-1)) +
                                           "; its output was not used" + said);
        }
        if (run->output_truncated) {
            return fail(ErrorKind::InvalidInput, program + " printed more than 256 MB; its output was not used");
        }
        return std::move(run->out);
    }

    ConnectorSettings settings_;
    HeaderVocabulary vocabulary_;
    TabularSettings tabular_;
    std::string source_;
    ConnectorServices services_;
    std::string last_output_;
};

}  // namespace

JsonLines parse_json_lines(std::string_view text, const std::string& source) {
    JsonLines result;
    CsvRecord header{0, {}};
    for (const Field field : all_fields()) header.fields.emplace_back(field_name(field));
    result.document.records.push_back(std::move(header));
    std::set<std::string> unknown_keys;
    std::size_t line = 0;
    const auto skip = [&](std::string reason) {
        result.problems.push_back(Problem{source, line, Severity::Error, mask_tax_ids(reason) + "; line skipped"});
        result.all_lines_read = false;
    };
    for (std::size_t start = 0; start < text.size();) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        const std::string_view raw = trim(text.substr(start, end - start));
        start = end + 1;
        ++line;
        if (raw.empty()) continue;
        const nlohmann::json object = nlohmann::json::parse(raw, nullptr, false);
        if (object.is_discarded() || !object.is_object()) {
            skip("not a JSON object");
            continue;
        }
        CsvRecord record{line, std::vector<std::string>(kFieldCount)};
        std::string wrong;
        for (const auto& [key, value] : object.items()) {
            const auto field = field_from_name(key);
            if (!field) {
                unknown_keys.insert(key);
                continue;
            }
            if (value.is_string()) {
                record.fields[static_cast<std::size_t>(*field)] = value.get<std::string>();
            } else if (!value.is_null()) {
                // A number would already have lost what a string keeps (leading zeros, digits).
                wrong = "\"" + key + "\" must be a string or null, not " + std::string(value.type_name());
                break;
            }
        }
        if (!wrong.empty()) {
            skip(wrong);
            continue;
        }
        result.document.records.push_back(std::move(record));
    }
    if (!unknown_keys.empty()) {
        std::vector<std::string> names(unknown_keys.begin(), unknown_keys.end());
        result.problems.push_back(
            Problem{source, 0, Severity::Warning, "keys not used (no field for them): " + join(names, ", ")});
    }
    return result;
}

Expected<std::unique_ptr<Connector>> make_exec_connector(const ConnectorSettings& settings,
                                                         const ConnectorServices& services) {
    const std::string prefix = "connector '" + settings.name.value() + "' (exec): ";
    if (settings.command.empty() || settings.command.front().empty()) {
        return fail(ErrorKind::InvalidInput,
                    prefix + "command is empty; set command = [\"program\", \"argument\", ...]");
    }
    if (settings.timeout.count() <= 0) return fail(ErrorKind::InvalidInput, prefix + "timeout must be positive");
    auto vocabulary = HeaderVocabulary::build(generic_csv_format().aliases, {});
    if (vocabulary.has_error()) return fail(ErrorKind::InvalidInput, prefix + vocabulary.error().message);
    return std::unique_ptr<Connector>(
        std::make_unique<ExecConnector>(settings, std::move(vocabulary).value(), services));
}

}  // namespace taxsync::connectors
