#include "connectors/text_decoding.hpp"

#include <optional>

#include "core/text.hpp"

namespace taxsync::connectors {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr std::string_view kUtf16LeBom = "\xFF\xFE";
constexpr std::string_view kUtf16BeBom = "\xFE\xFF";
constexpr std::string_view kZipMagic = "PK\x03\x04";

/// 1-based physical line holding byte `offset`; CR, LF and CRLF each end a line.
std::size_t line_of_offset(std::string_view text, std::size_t offset) {
    std::size_t line = 1;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n'))) ++line;
    }
    return line;
}

constexpr std::string_view kOleMagic = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// Files that are not text at all fail before any decoding, with a reason a person can act on.
std::optional<FileFault> refuse_non_text(std::string_view bytes) {
    if (bytes.starts_with(kZipMagic)) {
        return FileFault{1, "file is an Excel workbook (.xlsx), not CSV; save it as \"CSV UTF-8\"", true};
    }
    if (bytes.starts_with(kOleMagic)) {
        return FileFault{1, "file is an old Excel workbook (.xls); save it as .xlsx or \"CSV UTF-8\"", true};
    }
    if (const auto nul = bytes.find('\0'); nul != std::string_view::npos) {
        return FileFault{line_of_offset(bytes, nul), "file contains NUL bytes, so it is not CSV text", true};
    }
    return std::nullopt;
}

FileFault not_utf8_fault(std::size_t line, std::string_view why_utf8) {
    return FileFault{line,
                     "line " + std::to_string(line) + " is not valid UTF-8 (" + std::string(why_utf8) +
                         "); re-export as UTF-8 or set encoding = \"windows-1252\"",
                     true};
}

void append_utf8(std::string& out, char32_t code) {
    if (code < 0x80) {
        out.push_back(static_cast<char>(code));
    } else if (code < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (code >> 6)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else if (code < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (code >> 12)));
        out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (code >> 18)));
        out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    }
}

/// UTF-16 (Excel's "Unicode Text", usually tab-separated) after its BOM, into UTF-8. A lone
/// surrogate, an odd byte count or a NUL character makes the file unreadable, naming the line.
Expected<std::string, FileFault> utf16_to_utf8(std::string_view body, bool big_endian) {
    std::string out;
    out.reserve(body.size() / 2 + body.size() / 8);
    std::size_t line = 1;
    const auto unit_at = [&](std::size_t at) {
        const auto first = static_cast<unsigned char>(body[at]);
        const auto second = static_cast<unsigned char>(body[at + 1]);
        return static_cast<char16_t>(big_endian ? (first << 8) | second : (second << 8) | first);
    };
    const auto broken = [&](std::string_view why) {
        return unexpected(
            FileFault{line, "line " + std::to_string(line) + " is not valid UTF-16 (" + std::string(why) + ")", true});
    };
    if (body.size() % 2 != 0) return broken("the file has an odd number of bytes");
    for (std::size_t at = 0; at < body.size(); at += 2) {
        char32_t code = unit_at(at);
        if (code >= 0xD800 && code <= 0xDBFF) {
            if (at + 3 >= body.size()) return broken("a surrogate pair is cut off");
            const char32_t low = unit_at(at + 2);
            if (low < 0xDC00 || low > 0xDFFF) return broken("a lone surrogate");
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
            at += 2;
        } else if (code >= 0xDC00 && code <= 0xDFFF) {
            return broken("a lone surrogate");
        } else if (code == 0) {
            return broken("a NUL character");
        }
        if (code == '\n') ++line;
        append_utf8(out, code);
    }
    return out;
}

}  // namespace

Expected<EncodingChoice> parse_encoding_choice(std::string_view setting) {
    const std::string value = to_lower_ascii(trim(setting));
    if (value == "auto") return EncodingChoice::Auto;
    if (value == "utf-8" || value == "utf8") return EncodingChoice::Utf8;
    if (value == "windows-1252" || value == "cp1252") return EncodingChoice::Windows1252;
    return fail(ErrorKind::InvalidInput,
                "encoding '" + std::string(setting) + "' is not one of \"auto\", \"utf-8\", \"windows-1252\"");
}

std::size_t first_invalid_utf8_line(std::string_view text) {
    // CR and LF never occur inside a multi-byte sequence, so checking line by line is exact.
    std::size_t line = 1;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto end = text.find_first_of("\r\n", start);
        const auto stop = end == std::string_view::npos ? text.size() : end;
        if (!is_valid_utf8(text.substr(start, stop - start))) return line;
        if (end == std::string_view::npos) break;
        start = end + ((text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') ? 2 : 1);
        ++line;
    }
    return 0;
}

Expected<ExportText, FileFault> decode_export_text_in_place(std::string_view bytes, EncodingChoice choice) {
    const auto as_is = [](std::string encoding, std::size_t skip = 0) {
        return ExportText{std::move(encoding), {}, true, skip};
    };
    const auto converted = [](std::string text, std::string encoding) {
        return ExportText{std::move(encoding), std::move(text), false, 0};
    };
    // A UTF-16 BOM is unambiguous as well, and must be looked at before the NUL check below.
    if (bytes.starts_with(kUtf16LeBom) || bytes.starts_with(kUtf16BeBom)) {
        const bool big_endian = bytes.starts_with(kUtf16BeBom);
        auto text = utf16_to_utf8(bytes.substr(2), big_endian);
        if (text.has_error()) return unexpected(std::move(text).error());
        return converted(std::move(*text), big_endian ? "utf-16be" : "utf-16le");
    }
    if (auto fault = refuse_non_text(bytes)) return unexpected(std::move(*fault));

    // A UTF-8 BOM is unambiguous (no Windows-1252 text starts with "ï»¿"), so it wins over the
    // setting: a firm that forced windows-1252 and then re-saved a file as "CSV UTF-8" still gets
    // the right names.
    if (bytes.starts_with(kUtf8Bom)) {
        const std::string_view body = bytes.substr(kUtf8Bom.size());
        if (const auto line = first_invalid_utf8_line(body); line != 0) {
            return unexpected(not_utf8_fault(line, "the file starts with a UTF-8 byte order mark"));
        }
        return as_is("utf-8 with BOM", kUtf8Bom.size());
    }

    switch (choice) {
        case EncodingChoice::Windows1252: return converted(windows1252_to_utf8(bytes), "windows-1252");
        case EncodingChoice::Utf8:
            if (const auto line = first_invalid_utf8_line(bytes); line != 0) {
                return unexpected(not_utf8_fault(line, "encoding is set to utf-8"));
            }
            return as_is("utf-8");
        case EncodingChoice::Auto: break;
    }
    if (is_valid_utf8(bytes)) return as_is("utf-8");
    return converted(windows1252_to_utf8(bytes), "windows-1252");
}

Expected<DecodedText, FileFault> decode_export_text(std::string_view bytes, EncodingChoice choice) {
    auto decoded = decode_export_text_in_place(bytes, choice);
    if (decoded.has_error()) return unexpected(std::move(decoded).error());
    std::string text = decoded->as_is ? std::string(decoded->text(bytes)) : std::move(decoded->converted);
    return DecodedText{std::move(text), std::move(decoded->encoding)};
}

}  // namespace taxsync::connectors
