#include "core/memory.hpp"

#include <cstddef>

#if defined(__linux__)
// gperftools' C interface. Declared weak: it resolves only in a program linked with tcmalloc, and
// is null elsewhere (tests, sanitizer builds).
extern "C" int MallocExtension_SetNumericProperty(const char* property, std::size_t value) __attribute__((weak));
#endif

namespace taxsync {

void return_freed_memory_promptly() {
#if defined(__linux__)
    if (MallocExtension_SetNumericProperty != nullptr) {
        (void)MallocExtension_SetNumericProperty("tcmalloc.aggressive_memory_decommit", 1);
    }
#endif
}

}  // namespace taxsync
