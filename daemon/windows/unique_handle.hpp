#pragma once
// The daemon's Win32 handle kinds, owned by core/windows/unique_handle.hpp's UniqueHandle.

#include <windows.h>

#include <memory>

#include "core/windows/unique_handle.hpp"

namespace taxsync::daemon::windows {

using win32::KernelHandle;
using win32::KernelHandleTraits;
using win32::UniqueHandle;

struct ServiceHandleTraits {
    using Native = SC_HANDLE;
    static Native none() { return nullptr; }
    static bool is_valid(Native native) { return native != nullptr; }
    static void close(Native native) { CloseServiceHandle(native); }
};

struct EventSourceHandleTraits {
    using Native = HANDLE;
    static Native none() { return nullptr; }
    static bool is_valid(Native native) { return native != nullptr; }
    static void close(Native native) { DeregisterEventSource(native); }
};

struct RegistryKeyTraits {
    using Native = HKEY;
    static Native none() { return nullptr; }
    static bool is_valid(Native native) { return native != nullptr; }
    static void close(Native native) { RegCloseKey(native); }
};

/// The service control manager and services (OpenSCManagerW, OpenServiceW, CreateServiceW).
using ServiceHandle = UniqueHandle<ServiceHandleTraits>;
/// RegisterEventSourceW.
using EventSourceHandle = UniqueHandle<EventSourceHandleTraits>;
/// RegCreateKeyExW, RegOpenKeyExW.
using RegistryKey = UniqueHandle<RegistryKeyTraits>;

/// Memory the system allocated with LocalAlloc for us (security descriptors, SID strings).
struct LocalFreeDeleter {
    void operator()(void* memory) const { LocalFree(memory); }
};
template <class T>
using LocalMemory = std::unique_ptr<T, LocalFreeDeleter>;

}  // namespace taxsync::daemon::windows
