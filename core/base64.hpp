#pragma once
// Standard base64 (RFC 4648 section 4, with padding), for HTTP Basic credentials and signed tokens.

#include <optional>
#include <string>
#include <string_view>

namespace taxsync {

std::string base64_encode(std::string_view bytes);
/// nullopt when the text is not canonical padded base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace taxsync
