#pragma once
// One owner per Win32 handle. Handle kinds differ in what "no handle" looks like and in how they
// are closed, so each kind has a small traits type and the owning type is written once.

#include <windows.h>

#include <memory>
#include <utility>

namespace taxsync::daemon::windows {

template <class Traits>
class UniqueHandle {
public:
    using Native = typename Traits::Native;

    UniqueHandle() = default;
    explicit UniqueHandle(Native native) : native_(native) {}
    ~UniqueHandle() { reset(); }
    UniqueHandle(UniqueHandle&& other) noexcept : native_(other.release()) {}
    UniqueHandle& operator=(UniqueHandle&& other) noexcept {
        if (this != &other) reset(other.release());
        return *this;
    }
    UniqueHandle(const UniqueHandle&) = delete;
    UniqueHandle& operator=(const UniqueHandle&) = delete;

    [[nodiscard]] Native get() const { return native_; }
    [[nodiscard]] bool valid() const { return Traits::is_valid(native_); }
    explicit operator bool() const { return valid(); }

    /// Gives up ownership without closing.
    Native release() { return std::exchange(native_, Traits::none()); }
    void reset(Native native = Traits::none()) {
        if (valid()) Traits::close(native_);
        native_ = native;
    }

private:
    Native native_ = Traits::none();
};

struct KernelHandleTraits {
    using Native = HANDLE;
    static Native none() { return nullptr; }
    // CreateFileW and CreateNamedPipeW fail with INVALID_HANDLE_VALUE, most other calls with null.
    static bool is_valid(Native native) { return native != nullptr && native != INVALID_HANDLE_VALUE; }
    static void close(Native native) { CloseHandle(native); }
};

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

/// Files, pipes, events, processes, tokens: everything CloseHandle closes.
using KernelHandle = UniqueHandle<KernelHandleTraits>;
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
