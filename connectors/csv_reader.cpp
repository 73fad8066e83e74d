#include "connectors/csv_reader.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "core/text.hpp"

namespace taxsync::connectors {
namespace {

enum class ParseState {
    FieldStart,     // nothing read for the current field yet
    Unquoted,       // inside a field that did not start with a quote
    Quoted,         // inside a quoted field
    QuoteInQuoted,  // just read a quote inside a quoted field: closing quote, or the first of a doubled pair
};

/// One step of input: a single character, or a line break (CR, LF or CRLF taken as one).
struct Token {
    char character = '\0';
    bool line_break = false;
    std::size_t length = 1;
};

Token token_at(std::string_view text, std::size_t at) {
    const char c = text[at];
    if (c == '\r' && at + 1 < text.size() && text[at + 1] == '\n') return Token{'\n', true, 2};
    if (c == '\r' || c == '\n') return Token{'\n', true, 1};
    return Token{c, false, 1};
}

/// Collects fields into one reused record and hands it to the sink when it is complete; the
/// state machine in stream_csv decides when to call what. Field strings keep their capacity from
/// one record to the next, so a long file costs few allocations.
class RecordBuilder {
public:
    explicit RecordBuilder(const CsvSink& sink) : sink_(sink) {}

    void start_record_if_needed(std::size_t line) {
        if (open_) return;
        open_ = true;
        record_.line = line;
        count_ = 0;
        start_field();
    }
    void append(char c) { record_.fields[count_].push_back(c); }
    void append(std::string_view run) { record_.fields[count_].append(run); }
    void end_field() {
        ++count_;
        start_field();
    }
    void end_record() {
        record_.fields.resize(count_ + 1);
        sink_(record_);
        open_ = false;
    }
    [[nodiscard]] bool open() const { return open_; }

private:
    void start_field() {
        if (count_ < record_.fields.size()) {
            record_.fields[count_].clear();
        } else {
            record_.fields.emplace_back();
        }
    }

    const CsvSink& sink_;
    CsvRecord record_;
    std::size_t count_ = 0;
    bool open_ = false;
};

std::string_view first_physical_line(std::string_view text) {
    return text.substr(0, std::min(text.find_first_of("\r\n"), text.size()));
}

}  // namespace

bool CsvRecord::is_blank() const {
    return std::all_of(fields.begin(), fields.end(), [](const std::string& field) { return trim(field).empty(); });
}

std::optional<char> excel_separator_directive(std::string_view first_line) {
    std::string_view line = first_line;
    // Only a trailing CR/LF is trimmed: "sep=\t" names a tab, so blanks inside must stay.
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
    if (line.size() >= 2 && line.front() == '"' && line.back() == '"') line = line.substr(1, line.size() - 2);
    constexpr std::string_view kPrefix = "sep=";
    if (line.size() != kPrefix.size() + 1 || !iequals_ascii(line.substr(0, kPrefix.size()), kPrefix)) {
        return std::nullopt;
    }
    return line.back();
}

char sniff_delimiter(std::string_view text) {
    constexpr std::array<char, 3> kCandidates = {',', ';', '\t'};  // in order of preference on ties
    std::array<std::size_t, kCandidates.size()> counts{};
    bool quoted = false;
    for (const char c : text) {
        if (c == '"') {
            quoted = !quoted;  // a doubled quote toggles twice, which is what we want
        } else if (!quoted && (c == '\r' || c == '\n')) {
            break;
        } else if (!quoted) {
            for (std::size_t k = 0; k < kCandidates.size(); ++k) {
                if (c == kCandidates[k]) ++counts[k];
            }
        }
    }
    const auto best = std::max_element(counts.begin(), counts.end());  // the first maximum wins ties
    return *best == 0 ? ',' : kCandidates[static_cast<std::size_t>(best - counts.begin())];
}

Expected<bool, FileFault> stream_csv(std::string_view text, char delimiter, std::size_t first_line,
                                     const CsvSink& sink) {
    RecordBuilder builder(sink);
    ParseState state = ParseState::FieldStart;
    std::size_t line = first_line;
    std::size_t quote_opened_on = 0;

    for (std::size_t at = 0; at < text.size();) {
        if (state == ParseState::Unquoted || state == ParseState::Quoted) {
            // Inside a field, a run of ordinary characters is copied at once; the state machine
            // below sees only what may end or escape it.
            const char stop = state == ParseState::Unquoted ? delimiter : '"';
            std::size_t end = at;
            while (end < text.size() && text[end] != stop && text[end] != '\r' && text[end] != '\n') ++end;
            if (end > at) {
                builder.append(text.substr(at, end - at));
                at = end;
                continue;
            }
        }
        const Token token = token_at(text, at);
        builder.start_record_if_needed(line);
        const bool is_delimiter = !token.line_break && token.character == delimiter;
        switch (state) {
            case ParseState::FieldStart:
            case ParseState::Unquoted:
                if (state == ParseState::FieldStart && !token.line_break && token.character == '"') {
                    state = ParseState::Quoted;
                    quote_opened_on = line;
                } else if (is_delimiter) {
                    builder.end_field();
                    state = ParseState::FieldStart;
                } else if (token.line_break) {
                    builder.end_record();
                    state = ParseState::FieldStart;
                } else {
                    // A quote in the middle of an unquoted field is kept as text, as Excel does.
                    builder.append(token.character);
                    state = ParseState::Unquoted;
                }
                break;
            case ParseState::Quoted:
                if (!token.line_break && token.character == '"') {
                    state = ParseState::QuoteInQuoted;
                } else {
                    builder.append(token.character);  // line breaks inside quotes become '\n'
                }
                break;
            case ParseState::QuoteInQuoted:
                if (!token.line_break && token.character == '"') {
                    builder.append('"');
                    state = ParseState::Quoted;
                } else if (is_delimiter) {
                    builder.end_field();
                    state = ParseState::FieldStart;
                } else if (token.line_break) {
                    builder.end_record();
                    state = ParseState::FieldStart;
                } else {
                    // Text after a closing quote ("a"b) is malformed; keep it rather than lose it.
                    builder.append(token.character);
                    state = ParseState::Unquoted;
                }
                break;
        }
        if (token.line_break) ++line;
        at += token.length;
    }

    if (state == ParseState::Quoted) {
        return unexpected(FileFault{quote_opened_on, "the file ends inside a quoted field opened on line " +
                                                         std::to_string(quote_opened_on) +
                                                         ": it is truncated (probably still being written)"});
    }
    if (builder.open()) {
        builder.end_record();
        return false;
    }
    return true;
}

Expected<bool, FileFault> stream_csv(std::string_view text, const CsvSink& sink) {
    const std::string_view first_line = first_physical_line(text);
    if (const auto separator = excel_separator_directive(first_line)) {
        std::size_t rest = first_line.size();
        if (rest < text.size() && text[rest] == '\r') ++rest;
        if (rest < text.size() && text[rest] == '\n') ++rest;
        return stream_csv(text.substr(rest), *separator, 2, sink);
    }
    return stream_csv(text, sniff_delimiter(text), 1, sink);
}

namespace {

Expected<CsvDocument, FileFault> collect(CsvDocument document,
                                         const std::function<Expected<bool, FileFault>(const CsvSink&)>& stream) {
    const CsvSink keep = [&document](const CsvRecord& record) { document.records.push_back(record); };
    auto terminated = stream(keep);
    if (terminated.has_error()) return unexpected(std::move(terminated).error());
    document.last_record_terminated = *terminated;
    return document;
}

}  // namespace

Expected<CsvDocument, FileFault> parse_csv(std::string_view text, char delimiter, std::size_t first_line) {
    CsvDocument document;
    document.delimiter = delimiter;
    return collect(std::move(document),
                   [&](const CsvSink& sink) { return stream_csv(text, delimiter, first_line, sink); });
}

Expected<CsvDocument, FileFault> read_csv(std::string_view text) {
    const std::string_view first_line = first_physical_line(text);
    CsvDocument document;
    document.delimiter = excel_separator_directive(first_line).value_or(sniff_delimiter(text));
    return collect(std::move(document), [&](const CsvSink& sink) { return stream_csv(text, sink); });
}

}  // namespace taxsync::connectors
