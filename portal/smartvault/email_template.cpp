#include "portal/smartvault/email_template.hpp"

#include "core/text.hpp"

namespace taxsync::portal::smartvault {
namespace {

/// The first placeholder-looking %WORD% that SmartVault does not know, if any.
std::optional<std::string> unknown_placeholder(std::string_view line) {
    for (std::size_t at = line.find('%'); at != std::string_view::npos; at = line.find('%', at + 1)) {
        const std::size_t end = line.find('%', at + 1);
        if (end == std::string_view::npos) return std::nullopt;
        const std::string_view candidate = line.substr(at, end - at + 1);
        const bool word = candidate.size() > 2 &&
                          candidate.substr(1, candidate.size() - 2).find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_") ==
                              std::string_view::npos;
        if (!word) continue;
        bool known = false;
        for (std::string_view placeholder : kPlaceholders) known = known || candidate == placeholder;
        if (!known) return std::string(candidate);
        at = end;
    }
    return std::nullopt;
}

}  // namespace

std::string format_email_template(const EmailTemplate& text) {
    return "Subject: " + text.subject + "\n\n" + text.body + "\n";
}

Expected<EmailTemplate> parse_email_template(std::string_view text, std::string_view file) {
    const auto where = [&](std::size_t line) { return std::string(file) + ":" + std::to_string(line) + ": "; };
    std::vector<std::string> lines = split(text, '\n');
    for (auto& line : lines) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
    }
    while (!lines.empty() && trim(lines.back()).empty()) lines.pop_back();
    constexpr std::string_view subject_prefix = "Subject:";
    if (lines.empty() || !lines[0].starts_with(subject_prefix)) {
        return fail(ErrorKind::InvalidInput, where(1) + "the first line must be \"Subject: <subject>\"");
    }
    EmailTemplate out;
    out.name = "User Activation";
    out.subject = std::string(trim(std::string_view(lines[0]).substr(subject_prefix.size())));
    if (out.subject.empty()) return fail(ErrorKind::InvalidInput, where(1) + "the subject is empty");
    if (lines.size() < 3 || !trim(lines[1]).empty()) {
        return fail(ErrorKind::InvalidInput, where(2) + "a blank line must separate the subject from the body");
    }
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (!is_valid_utf8(lines[i])) return fail(ErrorKind::InvalidInput, where(i + 1) + "the text is not UTF-8");
        if (auto unknown = unknown_placeholder(lines[i])) {
            return fail(ErrorKind::InvalidInput, where(i + 1) + "unknown placeholder " + *unknown +
                                                     " (SmartVault fills in %FROMNAME% and %SUBJECTTEXT%)");
        }
        if (i >= 2) out.body += (i > 2 ? "\n" : "") + lines[i];
    }
    if (trim(out.body).empty()) return fail(ErrorKind::InvalidInput, where(3) + "the body is empty");
    return out;
}

}  // namespace taxsync::portal::smartvault
