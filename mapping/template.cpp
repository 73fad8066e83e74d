#include "mapping/template.hpp"

namespace taxsync::mapping {

Expected<Template> Template::parse(std::string_view text, const std::set<std::string, std::less<>>& allowed_fields) {
    Template result;
    result.source_ = std::string(text);
    std::string literal;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') {
            literal.push_back('{');
            ++i;
        } else if (c == '}' && i + 1 < text.size() && text[i + 1] == '}') {
            literal.push_back('}');
            ++i;
        } else if (c == '{') {
            const auto close = text.find('}', i);
            if (close == std::string_view::npos) {
                return fail(ErrorKind::InvalidInput, "unclosed '{' at column " + std::to_string(i + 1));
            }
            const std::string field(text.substr(i + 1, close - i - 1));
            if (allowed_fields.count(field) == 0) {
                std::string known;
                for (const auto& name : allowed_fields) known += (known.empty() ? "" : ", ") + name;
                return fail(ErrorKind::InvalidInput, "unknown placeholder {" + field + "} at column " +
                                                         std::to_string(i + 1) + "; known: " + known);
            }
            if (!literal.empty()) result.pieces_.push_back({false, std::move(literal)});
            literal.clear();
            result.pieces_.push_back({true, field});
            i = close;
        } else if (c == '}') {
            return fail(ErrorKind::InvalidInput, "stray '}' at column " + std::to_string(i + 1) + " (write '}}')");
        } else {
            literal.push_back(c);
        }
    }
    if (!literal.empty()) result.pieces_.push_back({false, std::move(literal)});
    return result;
}

std::string Template::render(const std::function<std::string(std::string_view field)>& value_of) const {
    std::string out;
    for (const Piece& piece : pieces_) out += piece.is_field ? value_of(piece.text) : piece.text;
    return out;
}

bool Template::uses(std::string_view field) const {
    for (const Piece& piece : pieces_) {
        if (piece.is_field && piece.text == field) return true;
    }
    return false;
}

}  // namespace taxsync::mapping
