#pragma once
// Turns the bytes of an export into UTF-8 text. Excel and the desktop tax packages write either
// UTF-8 (often with a BOM), UTF-16 with a BOM ("Unicode Text") or Windows-1252 ("ANSI"); without a
// BOM nothing in the file says which.

#include <string>
#include <string_view>

#include "connectors/file_fault.hpp"
#include "core/expected.hpp"

namespace taxsync::connectors {

enum class EncodingChoice {
    Auto,         // valid UTF-8 is UTF-8, anything else is Windows-1252
    Utf8,         // invalid bytes fail the file
    Windows1252,  // always decoded as Windows-1252 (a UTF-8 BOM still wins: see decode_export_text)
};

/// Reads the `encoding` setting: "auto", "utf-8" (or "utf8"), "windows-1252" (or "cp1252"), any case.
Expected<EncodingChoice> parse_encoding_choice(std::string_view setting);

struct DecodedText {
    std::string text;      // UTF-8, without a BOM
    std::string encoding;  // "utf-8", "utf-8 with BOM", "utf-16le", "utf-16be" or "windows-1252"
};

/// An export's text without a copy where none is needed: UTF-8 bytes are used as they are (past a
/// BOM); only Windows-1252 and UTF-16 are converted.
struct ExportText {
    std::string encoding;   // as in DecodedText
    std::string converted;  // the UTF-8 text when the bytes had to be converted
    bool as_is = false;     // the bytes themselves are the text, from `skip` on
    std::size_t skip = 0;   // the length of a UTF-8 BOM

    /// The UTF-8 text of `bytes`, which must be the bytes this was decoded from (and outlive the view).
    [[nodiscard]] std::string_view text(std::string_view bytes) const {
        return as_is ? bytes.substr(skip) : std::string_view(converted);
    }
};

/// decode_export_text without copying text that already is UTF-8; fails in the same cases.
Expected<ExportText, FileFault> decode_export_text_in_place(std::string_view bytes, EncodingChoice choice);

/// Decodes a whole export. Fails (naming the line, marked unreadable) for binary files, broken
/// UTF-16, and bytes that are not UTF-8 when UTF-8 is required (forced, or promised by a BOM).
Expected<DecodedText, FileFault> decode_export_text(std::string_view bytes, EncodingChoice choice);

/// The 1-based physical line of the first byte sequence that is not UTF-8, or 0 when all is valid.
/// CR, LF and CRLF each end a line.
std::size_t first_invalid_utf8_line(std::string_view text);

}  // namespace taxsync::connectors
