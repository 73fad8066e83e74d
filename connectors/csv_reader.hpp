#pragma once
// An RFC 4180 reader for what Excel and the tax packages write: quoted fields with embedded
// delimiters, doubled quotes and line breaks (CR, LF or CRLF), plus Excel's `sep=` line.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/file_fault.hpp"
#include "core/expected.hpp"

namespace taxsync::connectors {

struct CsvRecord {
    std::size_t line = 0;  // physical line where the record starts (1-based)
    std::vector<std::string> fields;

    /// True when every field is empty or whitespace (Excel writes blank rows as ",,,,").
    [[nodiscard]] bool is_blank() const;
};

struct CsvDocument {
    char delimiter = ',';
    std::vector<CsvRecord> records;  // the header first, blank records included
    /// False when the text does not end with a line break: the last record may be cut short.
    bool last_record_terminated = true;
};

/// The separator named by an Excel `sep=;` line (also quoted, any case), if `first_line` is one.
std::optional<char> excel_separator_directive(std::string_view first_line);

/// The most frequent of comma, semicolon and tab outside quotes on the first line of `text`;
/// comma when there is a tie or none of them occurs.
char sniff_delimiter(std::string_view text);

/// Receives each record as soon as it is complete. The record is reused for the next one: copy
/// what must outlive the call.
using CsvSink = std::function<void(const CsvRecord& record)>;

/// Streams `text` with a known delimiter to `sink`, record by record, holding one record at a
/// time. Returns whether the last record ended with a line break; fails like parse_csv.
Expected<bool, FileFault> stream_csv(std::string_view text, char delimiter, std::size_t first_line,
                                     const CsvSink& sink);

/// stream_csv after honouring a `sep=` line or sniffing the delimiter, as read_csv does.
Expected<bool, FileFault> stream_csv(std::string_view text, const CsvSink& sink);

/// Reads `text` with a known delimiter; the first record starts on physical line `first_line`.
/// Fails when the text ends inside a quoted field (a file still being written).
Expected<CsvDocument, FileFault> parse_csv(std::string_view text, char delimiter, std::size_t first_line = 1);

/// Honours and skips a leading `sep=` line; otherwise sniffs the delimiter from the header line.
Expected<CsvDocument, FileFault> read_csv(std::string_view text);

}  // namespace taxsync::connectors
