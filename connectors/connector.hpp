#pragma once
// A connector turns what a tax package exported into TaxClient records. Connectors know nothing
// of portals. The engine calls scan() every cycle and read() only when the fingerprint moved.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/expected.hpp"
#include "core/logger.hpp"
#include "core/strong_id.hpp"
#include "core/tax_client.hpp"
#include "core/tax_id.hpp"

namespace taxsync::connectors {

enum class Severity {
    Warning,  // the row was imported; something in it is unusable (an invalid email, a masked SSN)
    Error,    // the row was skipped
};

/// One problem in one place. `line` is the physical line where the record starts (1-based);
/// 0 means the problem concerns the whole file.
struct Problem {
    std::string file;
    std::size_t line = 0;
    Severity severity = Severity::Error;
    std::string reason;  // never contains a full tax id
};

struct ExportFile {
    std::filesystem::path path;
    std::uintmax_t size = 0;
    SystemTime modified{};
};

/// What the source holds right now.
struct SourceState {
    std::vector<ExportFile> ready;    // stable files this connector would read, oldest first
    std::vector<ExportFile> waiting;  // files still being written (changed within the settle time)
    /// Changes whenever a ready file is added, removed or modified (path, size and mtime).
    std::string fingerprint;
};

struct FileOutcome {
    std::filesystem::path path;
    std::string content_hash;  // SHA-256 of the bytes read
    std::string encoding;      // "utf-8", "utf-8 with BOM", "utf-16le", "windows-1252", "xlsx", "xml"
    std::size_t rows = 0;      // data rows seen (blank rows excluded)
    std::size_t imported = 0;  // rows that became clients
    bool failed = false;       // the file could not be taken at all; nothing from it was used
    /// Where an unreadable file was moved (with `<name>.error.txt` beside it); empty when it stayed.
    std::filesystem::path quarantined_to;
};

/// What a read found besides the clients themselves.
struct ReadSummary {
    std::vector<Problem> problems;
    std::vector<FileOutcome> files;
    /// False when any ready file could not be read: clients missing from this read may only
    /// be missing because their file failed, so absences must not be counted.
    bool complete = true;
};

/// Every client of a read, held at once: for `taxsync connector check` and tests. A cycle streams.
struct Batch : ReadSummary {
    std::vector<TaxClient> clients;
};

/// Receives the clients of a read one at a time, file by file, so that nothing holds a whole
/// export. A file is taken whole or not at all: the clients accepted between begin_file and
/// end_file(false) must be forgotten, while those of other files stand.
class ClientSink {
public:
    virtual ~ClientSink() = default;
    /// The clients that follow, until end_file, come from `file`.
    virtual void begin_file(const std::filesystem::path& file) = 0;
    /// One client of the current file. Ids are unique within a file; a later (newer) file may
    /// give an id again, and then its row replaces the earlier one. The record is reused for the
    /// next client: copy what must outlive the call.
    virtual void accept(const TaxClient& client) = 0;
    /// The current file ended; `taken` is false when it failed as a whole (truncated, unreadable).
    virtual void end_file(bool taken) = 0;
};

class Connector {
public:
    virtual ~Connector() = default;
    [[nodiscard]] virtual const ConnectorName& name() const = 0;
    [[nodiscard]] virtual std::string_view type() const = 0;
    /// Looks at the source without reading it.
    virtual Expected<SourceState> scan() = 0;
    /// Reads every ready file of `state`, oldest first, handing each client to `sink` as soon as
    /// it is converted. Each file is taken whole or not at all; a bad row is a Problem, and the
    /// rest of the file still goes through. When a client id appears in more than one file, the
    /// newest file wins and the older row is reported.
    virtual ReadSummary stream(const SourceState& state, ClientSink& sink) = 0;
    /// stream() into one Batch that holds every client.
    Batch read(const SourceState& state);
};

/// Settings of one [[connector]] table, already validated for types by the config loader.
struct ConnectorSettings {
    ConnectorName name;
    std::string type;  // a registered type: "lacerte", "drake", "mef-xml", "exec", ...
    std::filesystem::path folder;
    /// Where unreadable files go; empty means `<folder>/quarantine`.
    std::filesystem::path quarantine;
    /// False for read-only looks (`taxsync connector check`): nothing is moved, nothing written.
    bool move_unreadable = true;
    /// File name globs (case-insensitive); empty means the type's own: `*.csv`, `*.xml` for mef-xml.
    std::vector<std::string> patterns;
    /// Canonical field -> header as written in the file; overrides the preset's aliases.
    std::map<std::string, std::string> columns;
    std::string encoding = "auto";  // "auto", "utf-8" or "windows-1252"
    std::chrono::seconds settle{2};
    std::string default_tax_year;  // used when a row has no tax year column
    /// Digits of a purely numeric client id (0: not known). A shorter numeric id lost its leading
    /// zeros in Excel and is refused rather than guessed.
    std::size_t id_width = 0;
    /// The worksheet of an .xlsx workbook to read (by name); empty means the first one.
    std::string sheet;
    /// `exec`: the program and its arguments (no shell), and how long it may run.
    std::vector<std::string> command;
    std::chrono::seconds timeout{60};
};

/// What a connector may use from its surroundings.
struct ConnectorServices {
    const Clock& clock;
    const TaxIdHasher& tax_ids;
    const Logger& log;
};

}  // namespace taxsync::connectors
