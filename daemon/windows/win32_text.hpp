#pragma once
// Text across the Win32 boundary (core/windows/win32_text.hpp), under the daemon's Windows names.

#include "core/windows/win32_text.hpp"

namespace taxsync::daemon::windows {

using win32::describe_win32_error;
using win32::to_utf8;
using win32::to_wide;
using win32::win32_failure;

}  // namespace taxsync::daemon::windows
