#pragma once
// Finds the export files a connector should read in its folder, tells stable files from files
// still being written, and reads a file's bytes only if it is still the file that was scanned.

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/connector.hpp"
#include "connectors/file_fault.hpp"
#include "core/clock.hpp"
#include "core/expected.hpp"

namespace taxsync::connectors {

/// Case-insensitive glob over a file name: `*` is any run of characters, `?` any one character.
bool glob_matches(std::string_view pattern, std::string_view name);

/// Files no export ever is: hidden files, Excel owner files (~$*), and the temp, lock and cache
/// files tax packages leave beside their data (*.tmp, *.lck, *.cache).
bool is_ignored_file_name(std::string_view name);

struct IntakeRules {
    std::vector<std::string> patterns;
    std::chrono::seconds settle{2};  // a file modified more recently than this is still being written
};

/// Lists the folder (not recursively). Fails when the folder is missing or not a folder.
Expected<SourceState> scan_folder(const std::filesystem::path& folder, const IntakeRules& rules, const Clock& clock);

struct SkippedFile {
    std::filesystem::path path;
    std::string reason;  // "temp, lock or hidden file", "does not match patterns", "a folder"
};

/// What a scan of `folder` passed over, and why: every entry in neither `state.ready` nor
/// `state.waiting`. For `taxsync connector check`.
std::vector<SkippedFile> skipped_files(const std::filesystem::path& folder, const SourceState& state);

/// SHA-256 over the sorted (name, size, mtime) of `files`: moves when any of them changes.
std::string fingerprint_files(const std::vector<ExportFile>& files);

/// Reads the whole file, refusing it when its size or mtime no longer match the scan: a file that
/// changed since then may be half written, and is taken next cycle instead.
Expected<std::string, FileFault> read_scanned_file(const ExportFile& file);

}  // namespace taxsync::connectors
