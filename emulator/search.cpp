#include "emulator/search.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

namespace taxsync::emulator {
namespace {

bool is_field_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool is_field_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    return text;
}

Unexpected<Error> invalid(std::string message) { return fail(ErrorKind::InvalidInput, "invalid search: " + message); }

Expected<SearchValue> parse_quoted(std::string_view text) {
    // text starts with the opening quote
    std::string value;
    std::size_t i = 1;
    for (; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\'') break;
        if (c == '\\') {
            if (i + 1 >= text.size()) return invalid("a backslash ends the string; escape it as \\\\");
            const char escaped = text[i + 1];
            if (escaped != '\'' && escaped != '\\') {
                return invalid(std::string("unknown escape \\") + escaped + " (only \\' and \\\\ are allowed)");
            }
            value.push_back(escaped);
            ++i;
            continue;
        }
        value.push_back(c);
    }
    if (i >= text.size()) return invalid("the string value has no closing quote");
    if (i + 1 != text.size()) {
        return invalid("unexpected text after the closing quote: '" + std::string(text.substr(i + 1)) + "'");
    }
    return SearchValue{std::move(value)};
}

Expected<SearchValue> parse_number(std::string_view text) {
    const char* first = text.data();
    const char* last = text.data() + text.size();
    if (text.find_first_of(".eE") == std::string_view::npos) {
        std::int64_t integer = 0;
        const auto [end, error] = std::from_chars(first, last, integer);
        if (error == std::errc{} && end == last) return SearchValue{integer};
        if (error == std::errc::result_out_of_range)
            return invalid("the number " + std::string(text) + " is too large");
    } else {
        double decimal = 0;
        const auto [end, error] = std::from_chars(first, last, decimal);
        if (error == std::errc{} && end == last && std::isfinite(decimal)) return SearchValue{decimal};
    }
    return invalid("the value " + std::string(text) +
                   " is not a number, true, false or null; put string values in single quotes");
}

Expected<SearchValue> parse_value(std::string_view text) {
    if (text.empty()) return invalid("the value is missing");
    if (text.front() == '\'') return parse_quoted(text);
    if (text == "true") return SearchValue{true};
    if (text == "false") return SearchValue{false};
    if (text == "null") return SearchValue{nullptr};
    return parse_number(text);
}

std::string_view type_name(FieldType type) {
    switch (type) {
        case FieldType::Text: return "a string field; quote the value";
        case FieldType::Boolean: return "a boolean field; use true or false";
        case FieldType::Integer: return "a number field; use an unquoted number";
    }
    return "";
}

bool value_fits(const SearchValue& value, FieldType type) {
    switch (type) {
        case FieldType::Text: return std::holds_alternative<std::string>(value);
        case FieldType::Boolean: return std::holds_alternative<bool>(value);
        case FieldType::Integer:
            return std::holds_alternative<std::int64_t>(value) || std::holds_alternative<double>(value);
    }
    return false;
}

std::string sql_operator(SearchOperator op) {
    switch (op) {
        case SearchOperator::Equal: return "=";
        case SearchOperator::NotEqual: return "IS NOT";  // so that rows with NULL in the column count as different
        case SearchOperator::Less: return "<";
        case SearchOperator::Greater: return ">";
    }
    return "=";
}

}  // namespace

std::string_view to_string(SearchOperator op) {
    switch (op) {
        case SearchOperator::Equal: return "=";
        case SearchOperator::NotEqual: return "<>";
        case SearchOperator::Less: return "<";
        case SearchOperator::Greater: return ">";
    }
    return "=";
}

Expected<SearchExpression> parse_search(std::string_view text) {
    text = trim(text);
    if (text.empty()) return invalid("the expression is empty; expected Field<op>value");
    if (!is_field_start(text.front())) {
        return invalid("expected a field name at the start of '" + std::string(text) + "'");
    }
    std::size_t i = 0;
    while (i < text.size() && is_field_char(text[i])) ++i;
    SearchExpression expression;
    expression.field = std::string(text.substr(0, i));
    while (i < text.size() && is_space(text[i])) ++i;

    const std::string_view rest = text.substr(i);
    std::size_t op_length = 1;
    if (rest.starts_with("<>")) {
        expression.op = SearchOperator::NotEqual;
        op_length = 2;
    } else if (rest.starts_with("=")) {
        expression.op = SearchOperator::Equal;
    } else if (rest.starts_with("<")) {
        expression.op = SearchOperator::Less;
    } else if (rest.starts_with(">")) {
        expression.op = SearchOperator::Greater;
    } else {
        return invalid("expected one of =, <>, <, > after the field " + expression.field);
    }
    auto value = parse_value(trim(rest.substr(op_length)));
    if (value.has_error()) return Unexpected<Error>(std::move(value).error());
    expression.value = std::move(value).value();
    return expression;
}

Expected<SqlCondition> to_sql_condition(const SearchExpression& expression, std::span<const SearchableField> fields) {
    const SearchableField* field = nullptr;
    for (const auto& candidate : fields) {
        if (candidate.name == expression.field) field = &candidate;
    }
    if (field == nullptr) {
        std::string known;
        for (const auto& candidate : fields) known += (known.empty() ? "" : ", ") + std::string(candidate.name);
        return invalid("unknown field " + expression.field + "; searchable fields are " + known);
    }
    const std::string column(field->column);
    if (std::holds_alternative<std::nullptr_t>(expression.value)) {
        if (expression.op == SearchOperator::Equal) return SqlCondition{column + " IS NULL", nullptr};
        if (expression.op == SearchOperator::NotEqual) return SqlCondition{column + " IS NOT NULL", nullptr};
        return invalid("null can only be compared with = or <>");
    }
    if (!value_fits(expression.value, field->type)) {
        return invalid(expression.field + " is " + std::string(type_name(field->type)));
    }
    if (field->type == FieldType::Boolean && expression.op != SearchOperator::Equal &&
        expression.op != SearchOperator::NotEqual) {
        return invalid(expression.field + " is a boolean field and only takes = or <>");
    }
    return SqlCondition{column + " " + sql_operator(expression.op) + " ?", expression.value};
}

}  // namespace taxsync::emulator
