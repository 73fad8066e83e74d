#include "daemon/windows/event_log.hpp"

#include <array>
#include <string>

#include "daemon/windows/win32_text.hpp"

namespace taxsync::daemon::windows {
namespace {

constexpr std::wstring_view kApplicationLogKey = L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\";
// ReportEventW refuses longer strings.
constexpr std::size_t kMaxEventText = 31'000;

WORD event_type(EventLevel level) {
    switch (level) {
        case EventLevel::Information: return EVENTLOG_INFORMATION_TYPE;
        case EventLevel::Warning: return EVENTLOG_WARNING_TYPE;
        case EventLevel::Error: return EVENTLOG_ERROR_TYPE;
    }
    return EVENTLOG_ERROR_TYPE;
}

Status set_registry_value(HKEY key, const wchar_t* name, DWORD type, const void* data, std::size_t size) {
    const LSTATUS result = RegSetValueExW(key, name, 0, type, static_cast<const BYTE*>(data), static_cast<DWORD>(size));
    if (result != ERROR_SUCCESS)
        return win32_failure("cannot write the event log registration", static_cast<DWORD>(result));
    return ok();
}

}  // namespace

DWORD event_id(EventLevel level) {
    switch (level) {
        case EventLevel::Information: return 1;
        case EventLevel::Warning: return 2;
        case EventLevel::Error: return 3;
    }
    return 3;
}

Expected<EventLogWriter> EventLogWriter::open(std::wstring_view source_name) {
    const std::wstring name(source_name);
    EventSourceHandle source(RegisterEventSourceW(nullptr, name.c_str()));
    if (!source) return win32_failure("cannot open the event log source " + to_utf8(source_name), GetLastError());
    return EventLogWriter(std::move(source));
}

Status EventLogWriter::write(EventLevel level, std::string_view text) const {
    std::wstring wide = to_wide(text.substr(0, kMaxEventText));
    std::array<const wchar_t*, 1> strings{wide.c_str()};
    if (ReportEventW(source_.get(), event_type(level), 0, event_id(level), nullptr, 1, 0, strings.data(), nullptr) ==
        FALSE) {
        return win32_failure("cannot write to the event log", GetLastError());
    }
    return ok();
}

Status register_event_source(std::wstring_view source_name) {
    const std::wstring path = std::wstring(kApplicationLogKey) + std::wstring(source_name);
    HKEY created = nullptr;
    const LSTATUS result = RegCreateKeyExW(HKEY_LOCAL_MACHINE, path.c_str(), 0, nullptr, REG_OPTION_NON_VOLATILE,
                                           KEY_SET_VALUE, nullptr, &created, nullptr);
    if (result != ERROR_SUCCESS) {
        return win32_failure("cannot register the event log source " + to_utf8(source_name),
                             static_cast<DWORD>(result));
    }
    const RegistryKey key(created);
    constexpr std::wstring_view kMessageFile = L"%SystemRoot%\\System32\\EventCreate.exe";
    const Status file = set_registry_value(key.get(), L"EventMessageFile", REG_EXPAND_SZ, kMessageFile.data(),
                                           (kMessageFile.size() + 1) * sizeof(wchar_t));
    if (file.has_error()) return file;
    const DWORD types = EVENTLOG_INFORMATION_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_ERROR_TYPE;
    return set_registry_value(key.get(), L"TypesSupported", REG_DWORD, &types, sizeof(types));
}

Status unregister_event_source(std::wstring_view source_name) {
    const std::wstring path = std::wstring(kApplicationLogKey) + std::wstring(source_name);
    const LSTATUS result = RegDeleteKeyW(HKEY_LOCAL_MACHINE, path.c_str());
    if (result != ERROR_SUCCESS && result != ERROR_FILE_NOT_FOUND) {
        return win32_failure("cannot remove the event log source " + to_utf8(source_name), static_cast<DWORD>(result));
    }
    return ok();
}

}  // namespace taxsync::daemon::windows
