#pragma once
// `taxsync service install | uninstall`: registers taxsync with the service control manager.
//
// The service runs as its virtual account NT SERVICE\<name>: no password to manage, an identity
// of its own that file ACLs can name (grant it the export folders and the secret file, nothing
// else), and the computer account on the network.

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/windows/win32_text.hpp"

namespace taxsync::daemon::windows {

struct ServiceInstallation {
    std::wstring name = L"taxsync";
    std::wstring display_name = L"taxsync";
    std::wstring description =
        L"Reads tax-package client exports and invites each client's people into the client portal.";
    std::filesystem::path executable;  // made absolute
    std::filesystem::path config;      // made absolute; must exist
    /// Empty: the virtual account NT SERVICE\<name>.
    std::wstring account;
    /// How long Windows waits at shutdown for taxsync to finish its cycle's current step.
    std::chrono::milliseconds preshutdown_timeout{30'000};
};

using taxsync::win32::quote_command_line_argument;

/// "<executable>" --config "<config>" run --service
std::wstring service_command_line(const std::filesystem::path& executable, const std::filesystem::path& config);

/// This program's own path (GetModuleFileNameW).
std::filesystem::path current_executable();

struct InstalledService {
    /// Settings this system does not know and that were left out (none on Windows 10 or Server
    /// 2016 and later; wine lacks some). Worth a warning, not a failure.
    std::vector<std::string> skipped_settings;
};

/// Creates the service (automatic, delayed start; restart after 10 s, 60 s and 5 min on failure)
/// and registers its event log source. Needs an elevated Administrator. Leaves nothing behind
/// when it fails.
Expected<InstalledService> install_service(const ServiceInstallation& installation);

/// Stops the service if it runs (waiting up to `stop_timeout`), deletes it and its event log source.
Status uninstall_service(std::wstring_view name, std::chrono::milliseconds stop_timeout = std::chrono::seconds(60));

}  // namespace taxsync::daemon::windows
