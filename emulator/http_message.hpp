#pragma once
// The HTTP vocabulary shared by the emulator's layers: what a handler answers, and how a request
// target splits into a path and decoded query parameters. No networking here.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace taxsync::emulator {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

/// What the emulator answers to one request.
struct Reply {
    unsigned status = 200;
    std::string body;  // JSON text, or empty for 202/204 without a body
    HeaderList headers;

    [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
};

Reply json_reply(unsigned status, const nlohmann::json& body);
/// The contract's error shape: {"errors":[{"message":"..."}]}.
Reply error_reply(unsigned status, std::string_view message);
Reply empty_reply(unsigned status);

struct QueryParameter {
    std::string name;
    std::string value;
};

class QueryParameters {
public:
    QueryParameters() = default;
    /// Splits `a=1&b=2` and percent-decodes names and values. '+' stays a literal plus: the query
    /// carries emails such as a+b@example.com, and RFC 3986 gives '+' no special meaning.
    static QueryParameters parse(std::string_view query);

    /// The last value given for `name` (a repeated parameter overrides the earlier one).
    [[nodiscard]] std::optional<std::string> get(std::string_view name) const;
    [[nodiscard]] const std::vector<QueryParameter>& all() const { return parameters_; }

private:
    std::vector<QueryParameter> parameters_;
};

struct Target {
    std::string path;   // percent-decoded
    std::string query;  // raw, without the '?'
};

Target split_target(std::string_view target);
/// Decodes %XX escapes; a malformed escape is kept as written.
std::string percent_decode(std::string_view text);
/// Splits "/a/b/c" into {"a","b","c"}; empty segments (double or trailing slashes) are dropped.
std::vector<std::string> split_path(std::string_view path);

}  // namespace taxsync::emulator
