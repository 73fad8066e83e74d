#pragma once

namespace taxsync {

/// Has the allocator hand memory back to the system as soon as it is freed. tcmalloc, which the
/// taxsync program runs on (cmake/Allocator.cmake), would otherwise keep what a large first import
/// freed (about 800 MB at 100,000 clients) for as long as the service runs. Small allocations
/// stay cached per thread either way. Does nothing where the program runs on another allocator.
/// Called first thing by the program, and by the benchmarks that run its code in-process.
void return_freed_memory_promptly();

}  // namespace taxsync
