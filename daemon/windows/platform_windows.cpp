// daemon/platform.hpp on Windows.

#include <windows.h>
// windows.h first: the security headers need its types.
#include <aclapi.h>
#include <sddl.h>

#include <csignal>
#include <cstdlib>
#include <string>

#include "daemon/config.hpp"
#include "daemon/platform.hpp"
#include "daemon/windows/named_pipe_control.hpp"
#include "daemon/windows/unique_handle.hpp"
#include "daemon/windows/win32_text.hpp"

namespace taxsync::daemon {
namespace {

using windows::KernelHandle;
using windows::LocalMemory;

// SYSTEM and the Administrators group: they can read every file anyway.
bool is_system_or_administrators(PSID sid) {
    return IsWellKnownSid(sid, WinLocalSystemSid) != FALSE || IsWellKnownSid(sid, WinBuiltinAdministratorsSid) != FALSE;
}

bool is_current_account(PSID sid) {
    const auto current = windows::current_account_sid();
    if (current.has_error()) return false;
    PSID converted = nullptr;
    if (ConvertStringSidToSidW(current->c_str(), &converted) == FALSE) return false;
    const LocalMemory<void> owned(converted);
    return EqualSid(sid, converted) != FALSE;
}

// Who besides this account, SYSTEM and Administrators may read `file` (empty: no one), or why
// that cannot be told.
Expected<std::string> other_readers(const std::filesystem::path& file) {
    PACL dacl = nullptr;
    PSECURITY_DESCRIPTOR descriptor = nullptr;
    const DWORD status = GetNamedSecurityInfoW(file.c_str(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, nullptr,
                                               nullptr, &dacl, nullptr, &descriptor);
    if (status != ERROR_SUCCESS)
        return windows::win32_failure("cannot read the permissions of " + file.string(), status);
    const LocalMemory<void> owned(descriptor);
    if (dacl == nullptr) return std::string("Everyone (the file has no access list)");
    for (DWORD index = 0; index < dacl->AceCount; ++index) {
        void* entry = nullptr;
        if (GetAce(dacl, index, &entry) == FALSE) continue;
        const auto* header = static_cast<const ACE_HEADER*>(entry);
        if (header->AceType != ACCESS_ALLOWED_ACE_TYPE) continue;
        const auto* allowed = static_cast<const ACCESS_ALLOWED_ACE*>(entry);
        constexpr ACCESS_MASK kReads = FILE_READ_DATA | GENERIC_READ | GENERIC_ALL;
        if ((allowed->Mask & kReads) == 0) continue;
        auto* sid = const_cast<PSID>(static_cast<const void*>(&allowed->SidStart));
        if (is_system_or_administrators(sid) || is_current_account(sid)) continue;
        wchar_t* text = nullptr;
        std::string name = "another account";
        if (ConvertSidToStringSidW(sid, &text) != FALSE) {
            const LocalMemory<wchar_t> owned_text(text);
            name = windows::to_utf8(text);
        }
        return name;
    }
    return std::string();
}

}  // namespace

std::filesystem::path default_config_file() {
    const char* program_data = std::getenv("ProgramData");
    const std::filesystem::path base =
        program_data != nullptr && *program_data != '\0' ? program_data : "C:\\ProgramData";
    return base / "taxsync" / "taxsync.toml";
}

std::filesystem::path default_control_channel(const std::filesystem::path& /*state_dir*/) {
    return std::filesystem::path(std::wstring(windows::kControlPipeName));
}

long current_process_id() { return static_cast<long>(GetCurrentProcessId()); }

std::vector<int> command_signals() { return {SIGINT, SIGTERM, SIGBREAK}; }

ServiceCommand command_for_signal(int /*number*/) { return ServiceCommand::Shutdown; }

void ignore_broken_pipes() {}  // Windows reports a broken pipe as an error, never as a signal

Status check_writable_directory(const std::filesystem::path& dir) {
    // Windows has no access(W_OK): create a file that is gone again once closed.
    const auto probe = dir / ("taxsync-write-check-" + std::to_string(GetCurrentProcessId()));
    const KernelHandle handle(CreateFileW(probe.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS,
                                          FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE, nullptr));
    if (!handle) {
        return windows::win32_failure("the state directory " + dir.string() + " is not writable by this account",
                                      GetLastError());
    }
    return ok();
}

Status create_private_file(const std::filesystem::path& file, std::string_view content) {
    const auto account = windows::current_account_sid();
    if (account.has_error()) return unexpected(account.error());
    // A protected DACL: nothing inherited from the folder (C:\ProgramData lets Users read).
    const std::wstring sddl = L"D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;" + *account + L")";
    PSECURITY_DESCRIPTOR descriptor = nullptr;
    if (ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1, &descriptor, nullptr) ==
        FALSE) {
        return windows::win32_failure("cannot build the permissions for " + file.string(), GetLastError());
    }
    const LocalMemory<void> owned(descriptor);
    SECURITY_ATTRIBUTES attributes{sizeof attributes, descriptor, FALSE};
    const KernelHandle handle(
        CreateFileW(file.c_str(), GENERIC_WRITE, 0, &attributes, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, nullptr));
    if (!handle) {
        const DWORD error = GetLastError();
        if (error == ERROR_FILE_EXISTS) return fail(ErrorKind::Conflict, file.string() + " exists already");
        return windows::win32_failure("cannot create " + file.string(), error);
    }
    DWORD written = 0;
    if (WriteFile(handle.get(), content.data(), static_cast<DWORD>(content.size()), &written, nullptr) == FALSE ||
        written != content.size() || FlushFileBuffers(handle.get()) == FALSE) {
        return windows::win32_failure("cannot write " + file.string(), GetLastError());
    }
    return ok();
}

bool is_private_file(const std::filesystem::path& file) {
    const auto readers = other_readers(file);
    return readers.has_value() && readers->empty();
}

Status check_private_file(const std::filesystem::path& file, std::string_view what) {
    const auto readers = other_readers(file);
    if (readers.has_error()) {
        return fail(ErrorKind::InvalidInput, std::string(what) + " " + file.string() + ": " + readers.error().message);
    }
    if (!readers->empty()) {
        return fail(ErrorKind::InvalidInput,
                    std::string(what) + " " + file.string() + " can be read by " + *readers +
                        "; it is refused until only this account, SYSTEM and Administrators may read it: icacls \"" +
                        file.string() + "\" /inheritance:r /grant:r \"%USERNAME%:R\" SYSTEM:F Administrators:F");
    }
    return ok();
}

}  // namespace taxsync::daemon
