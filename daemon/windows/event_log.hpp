#pragma once
// The Windows event log (Application log, source "taxsync"): where a service's messages go when
// no terminal is attached. The writer takes lines that have already passed the Redactor; it adds
// nothing of its own.

#include <string_view>

#include "core/expected.hpp"
#include "daemon/windows/unique_handle.hpp"

namespace taxsync::daemon::windows {

enum class EventLevel { Information, Warning, Error };

class EventLogWriter {
public:
    /// Opens the source. Works for an unregistered source too; Event Viewer then shows the text
    /// with a note that the message file is missing.
    static Expected<EventLogWriter> open(std::wstring_view source_name);

    /// One event with `text` (UTF-8) as its only string. Thread-safe.
    Status write(EventLevel level, std::string_view text) const;

private:
    explicit EventLogWriter(EventSourceHandle source) : source_(std::move(source)) {}
    EventSourceHandle source_;
};

/// Registers `source_name` under HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application, with
/// EventCreate.exe's message table (whose events 1 to 1000 are just "%1"), so Event Viewer shows
/// the text as it is. Needs an elevated caller; `taxsync service install` does it.
Status register_event_source(std::wstring_view source_name);
Status unregister_event_source(std::wstring_view source_name);

/// The event id written for each level (all within EventCreate.exe's 1 to 1000).
DWORD event_id(EventLevel level);

}  // namespace taxsync::daemon::windows
