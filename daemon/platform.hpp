#pragma once
// What differs between Linux and Windows underneath the service's logic, one function each. The
// build picks the implementation: platform_posix.cpp, or windows/platform_windows.cpp.

#include <filesystem>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "daemon/service_command.hpp"

namespace taxsync::daemon {

/// The configuration file when neither --config nor $TAXSYNC_CONFIG names one.
std::filesystem::path default_config_file();

/// Where the control channel listens unless [service] control_socket says otherwise: the Unix
/// socket <state_dir>/control.sock, or the named pipe \\.\pipe\taxsync-control on Windows.
std::filesystem::path default_control_channel(const std::filesystem::path& state_dir);

/// This process's id, for status and the state lock's message.
long current_process_id();

/// The signals that become commands (SIGTERM, SIGINT; SIGHUP on Linux, SIGBREAK on Windows).
std::vector<int> command_signals();
/// SIGHUP asks for a reload; every other command signal for a shutdown.
ServiceCommand command_for_signal(int number);
/// A control client that hangs up must not end the service (SIGPIPE on Linux; nothing on Windows).
void ignore_broken_pipes();

/// Fails when this account cannot create files in `dir`.
Status check_writable_directory(const std::filesystem::path& dir);

/// Creates `file` (not there yet) with `content`, readable and writable only by this account (and,
/// on Windows, SYSTEM and Administrators), flushed to disk. Fails with Conflict when it exists.
Status create_private_file(const std::filesystem::path& file, std::string_view content);

/// True when no one but this account (and, on Windows, SYSTEM and Administrators) may read `file`.
/// check_private_file (config.hpp) says why not.
bool is_private_file(const std::filesystem::path& file);

}  // namespace taxsync::daemon
