#pragma once
// The Connector shape every file-based format shares: scan a folder, read each ready file whole or
// not at all, let the newest file win when a client id appears in several, and move a file that
// can never be read to quarantine with the reason beside it. A format supplies only the
// conversion of one file's bytes.

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "connectors/connector.hpp"
#include "connectors/file_fault.hpp"

namespace taxsync::connectors {

struct ConvertedFile {
    FileOutcome outcome;  // path, content hash, encoding, rows, imported, failed
    /// Only from the collecting forms (convert_export, convert_mef, ...); streaming leaves it empty.
    std::vector<TaxClient> clients;
    std::vector<Problem> problems;
    std::optional<FileFault> fault;  // set when the file failed as a whole
};

/// Receives each client of a file as soon as it is converted. The record may be reused for the
/// next client: copy what must outlive the call.
using TakeClient = std::function<void(const TaxClient& client)>;

/// Turns one file's bytes into clients, handing each to `take`; `file` names it in problems and in
/// each client's source. When the outcome says failed, the clients already taken must be forgotten.
using ConvertFile =
    std::function<ConvertedFile(std::string_view bytes, const std::filesystem::path& file, const TakeClient& take)>;

/// A failed ConvertedFile for `fault`; its reason is masked of tax ids.
ConvertedFile failed_file(const std::filesystem::path& file, const FileFault& fault, FileOutcome outcome = {});

/// Checks the folder and settle time, then builds the connector; `default_patterns` apply when
/// the settings name none. Errors are InvalidInput and name the connector.
Expected<std::unique_ptr<Connector>> make_file_connector(std::string_view type, const ConnectorSettings& settings,
                                                         std::vector<std::string> default_patterns, ConvertFile convert,
                                                         const ConnectorServices& services);

/// The quarantine folder of `settings`: `quarantine`, or `<folder>/quarantine`.
std::filesystem::path quarantine_folder(const ConnectorSettings& settings);

/// Moves `file` into `folder` (created when missing) and writes `<name>.error.txt` beside it with
/// the reason and line. A name already taken gets a numbered suffix. Returns the new path.
Expected<std::filesystem::path> quarantine_file(const std::filesystem::path& file, const std::filesystem::path& folder,
                                                const FileFault& fault, std::string_view connector, SystemTime now);

}  // namespace taxsync::connectors
