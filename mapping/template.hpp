#pragma once
// Text with {placeholders}, checked against the fields that exist when it is parsed, so a typo
// in the config is caught by `config check`, not by a client's invitation.

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace taxsync::mapping {

class Template {
public:
    Template() = default;
    /// `{name}` inserts a field, `{{` and `}}` are literal braces. An unknown field or an unclosed
    /// brace is an error naming the column (1-based) inside `text`.
    static Expected<Template> parse(std::string_view text, const std::set<std::string, std::less<>>& allowed_fields);

    [[nodiscard]] std::string render(const std::function<std::string(std::string_view field)>& value_of) const;
    [[nodiscard]] const std::string& source() const { return source_; }
    [[nodiscard]] bool uses(std::string_view field) const;

private:
    struct Piece {
        bool is_field = false;
        std::string text;
    };
    std::vector<Piece> pieces_;
    std::string source_;
};

}  // namespace taxsync::mapping
