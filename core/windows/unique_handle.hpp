#pragma once
// One owner per Win32 handle. Handle kinds differ in what "no handle" looks like and in how they
// are closed, so each kind has a small traits type and the owning type is written once.

#include <windows.h>

#include <utility>

namespace taxsync::win32 {

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

/// Files, pipes, events, processes, tokens: everything CloseHandle closes.
using KernelHandle = UniqueHandle<KernelHandleTraits>;

}  // namespace taxsync::win32
