#include "connectors/file_intake.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <system_error>
#include <tuple>

#include "core/digest.hpp"
#include "core/text.hpp"

namespace taxsync::connectors {
namespace {

namespace fs = std::filesystem;

bool same_letter(char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
}

SystemTime to_system_time(fs::file_time_type time) {
    // GCC 12 has no clock_cast; file_clock::to_sys is the C++20 conversion it does provide.
    return std::chrono::time_point_cast<SystemTime::duration>(fs::file_time_type::clock::to_sys(time));
}

std::int64_t nanoseconds_since_epoch(SystemTime time) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

bool matches_any(const std::vector<std::string>& patterns, std::string_view name) {
    return std::any_of(patterns.begin(), patterns.end(),
                       [&](const std::string& pattern) { return glob_matches(pattern, name); });
}

}  // namespace

bool glob_matches(std::string_view pattern, std::string_view name) {
    // Iterative matching with one backtrack point (the latest `*`): linear enough for file names.
    std::size_t p = 0;
    std::size_t n = 0;
    std::size_t star = std::string_view::npos;
    std::size_t star_name = 0;
    while (n < name.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || (pattern[p] != '*' && same_letter(pattern[p], name[n])))) {
            ++p;
            ++n;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            star_name = n;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            n = ++star_name;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

bool is_ignored_file_name(std::string_view name) {
    if (name.empty() || name.front() == '.' || name.starts_with("~$")) return true;
    for (const std::string_view ignored : {"*.tmp", "*.lck", "*.cache"}) {
        if (glob_matches(ignored, name)) return true;
    }
    return false;
}

std::string fingerprint_files(const std::vector<ExportFile>& files) {
    std::vector<std::tuple<std::string, std::uintmax_t, std::int64_t>> keys;
    keys.reserve(files.size());
    for (const ExportFile& file : files) {
        keys.emplace_back(file.path.filename().string(), file.size, nanoseconds_since_epoch(file.modified));
    }
    std::sort(keys.begin(), keys.end());
    Sha256 hash;
    for (const auto& [name, size, modified] : keys) {
        // NUL cannot occur in a file name, so the encoding is unambiguous.
        hash.update(name);
        hash.update(std::string_view("\0", 1));
        hash.update(std::to_string(size) + ":" + std::to_string(modified) + "\n");
    }
    return hash.finish_hex();
}

Expected<SourceState> scan_folder(const fs::path& folder, const IntakeRules& rules, const Clock& clock) {
    std::error_code error;
    const auto status = fs::status(folder, error);
    if (!fs::exists(status)) return fail(ErrorKind::NotFound, "export folder '" + folder.string() + "' does not exist");
    if (!fs::is_directory(status)) {
        return fail(ErrorKind::InvalidInput, "export folder '" + folder.string() + "' is not a folder");
    }

    SourceState state;
    const SystemTime now = clock.now();
    fs::directory_iterator entries(folder, error);
    if (error) return fail(ErrorKind::Io, "cannot list '" + folder.string() + "': " + error.message());
    for (const fs::directory_entry& entry : entries) {
        const std::string name = entry.path().filename().string();
        if (is_ignored_file_name(name) || !matches_any(rules.patterns, name)) continue;
        // Each call may fail because the file vanished meanwhile; such a file is simply not there.
        std::error_code entry_error;
        if (!entry.is_regular_file(entry_error) || entry_error) continue;
        const auto size = fs::file_size(entry.path(), entry_error);
        if (entry_error) continue;
        const auto written = fs::last_write_time(entry.path(), entry_error);
        if (entry_error) continue;

        ExportFile file{entry.path(), size, to_system_time(written)};
        // A modification time in the future also counts as recent: the writer's clock is ahead.
        const bool settled = now - file.modified >= rules.settle;
        (settled ? state.ready : state.waiting).push_back(std::move(file));
    }
    const auto oldest_first = [](const ExportFile& a, const ExportFile& b) {
        return std::tie(a.modified, a.path) < std::tie(b.modified, b.path);
    };
    std::sort(state.ready.begin(), state.ready.end(), oldest_first);
    std::sort(state.waiting.begin(), state.waiting.end(), oldest_first);
    state.fingerprint = fingerprint_files(state.ready);
    return state;
}

std::vector<SkippedFile> skipped_files(const fs::path& folder, const SourceState& state) {
    std::vector<SkippedFile> skipped;
    std::error_code error;
    for (const fs::directory_entry& entry : fs::directory_iterator(folder, error)) {
        const auto same = [&](const ExportFile& file) { return file.path == entry.path(); };
        if (std::any_of(state.ready.begin(), state.ready.end(), same) ||
            std::any_of(state.waiting.begin(), state.waiting.end(), same)) {
            continue;
        }
        std::error_code entry_error;
        const std::string name = entry.path().filename().string();
        if (entry.is_directory(entry_error)) {
            skipped.push_back({entry.path(), "a folder (sub-folders are not read)"});
        } else if (is_ignored_file_name(name)) {
            skipped.push_back({entry.path(), "temp, lock or hidden file"});
        } else {
            skipped.push_back({entry.path(), "does not match patterns"});
        }
    }
    std::sort(skipped.begin(), skipped.end(),
              [](const SkippedFile& a, const SkippedFile& b) { return a.path < b.path; });
    return skipped;
}

Expected<std::string, FileFault> read_scanned_file(const ExportFile& file) {
    const auto changed =
        FileFault{0, "the file changed since it was scanned (still being written?); it is read next cycle"};
    std::error_code error;
    const auto size_before = fs::file_size(file.path, error);
    if (error) return unexpected(FileFault{0, "cannot read the file: " + error.message()});
    const auto written_before = fs::last_write_time(file.path, error);
    if (error) return unexpected(FileFault{0, "cannot read the file: " + error.message()});
    if (size_before != file.size || to_system_time(written_before) != file.modified) return unexpected(changed);

    std::ifstream in(file.path, std::ios::binary);
    if (!in) return unexpected(FileFault{0, "cannot open the file for reading"});
    std::string bytes(static_cast<std::size_t>(file.size), '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (in.bad()) return unexpected(FileFault{0, "reading the file failed part way"});
    // Fewer bytes than scanned, or more after them: it is being written.
    if (static_cast<std::uintmax_t>(in.gcount()) != file.size || in.peek() != std::ifstream::traits_type::eof()) {
        return unexpected(changed);
    }
    return bytes;
}

}  // namespace taxsync::connectors
