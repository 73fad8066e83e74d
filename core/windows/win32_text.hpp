#pragma once
// Text across the Win32 boundary: the rest of taxsync speaks UTF-8, Win32 speaks UTF-16.

#include <windows.h>

#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace taxsync::win32 {

std::wstring to_wide(std::string_view utf8);
std::string to_utf8(std::wstring_view wide);

/// One argument quoted the way CommandLineToArgvW and the C runtime read it back: backslashes are
/// literal except before a quote.
std::wstring quote_command_line_argument(std::wstring_view argument);

/// The system's sentence for a Win32 error code, e.g. "Access is denied. (error 5)".
std::string describe_win32_error(DWORD code);

/// `what` + ": " + the system's sentence for `code`, as an Error of the kind the code suggests
/// (access denied is Forbidden, a missing file NotFound, the rest Io).
Unexpected<Error> win32_failure(std::string_view what, DWORD code);

}  // namespace taxsync::win32
