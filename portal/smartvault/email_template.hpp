#pragma once
// The text form of SmartVault's User Activation email template that `taxsync portal template`
// shows and reads: a "Subject: ..." line, a blank line, then the body. Only SmartVault's own
// placeholders are accepted.

#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "portal/portal.hpp"

namespace taxsync::portal::smartvault {

/// The placeholders SmartVault fills in (documented): the inviting user's name, what is shared.
inline constexpr std::string_view kPlaceholders[] = {"%FROMNAME%", "%SUBJECTTEXT%"};

std::string format_email_template(const EmailTemplate& text);
/// Errors name `file`, the line and the reason.
Expected<EmailTemplate> parse_email_template(std::string_view text, std::string_view file);

}  // namespace taxsync::portal::smartvault
