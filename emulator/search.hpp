#pragma once
// The `search=` language of the CaseWare Cloud API: one comparison `Field<op>value`.
// Parsing is separate from the resource's field whitelist so both can be tested on their own;
// the result becomes one SQL condition on an indexed column, never a scan over JSON.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "core/expected.hpp"

namespace taxsync::emulator {

enum class SearchOperator { Equal, NotEqual, Less, Greater };

std::string_view to_string(SearchOperator op);

/// A literal: quoted string, integer, decimal, true/false, or null.
using SearchValue = std::variant<std::string, std::int64_t, double, bool, std::nullptr_t>;

struct SearchExpression {
    std::string field;
    SearchOperator op = SearchOperator::Equal;
    SearchValue value;
};

/// Parses `Name='O\'Brien'`, `Activated=false`, `Count>3`. Whitespace around the operator is allowed.
/// Errors (ErrorKind::InvalidInput) say what is wrong and where.
Expected<SearchExpression> parse_search(std::string_view text);

enum class FieldType { Text, Boolean, Integer };

/// One searchable top-level primitive field of a resource and the column that holds it.
struct SearchableField {
    std::string_view name;
    std::string_view column;
    FieldType type;
};

/// `clause` holds one `?` placeholder for `argument` unless the comparison is with null.
struct SqlCondition {
    std::string clause;
    SearchValue argument;
};

/// Checks the field against the resource's whitelist and the value against the field's type.
Expected<SqlCondition> to_sql_condition(const SearchExpression& expression, std::span<const SearchableField> fields);

}  // namespace taxsync::emulator
