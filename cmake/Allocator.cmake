# The allocator the taxsync program runs on. Under glibc's malloc, an apply of 10,000 clients
# spent about an eighth of taxsync's CPU samples in malloc and free, with a consolidation of the
# free lists before each large allocation (about two a request); on tcmalloc's per-thread caches
# taxsync's CPU per request was 5-23 % lower (docs/BENCHMARKS.md, 2026-11-23). Sanitizer and fuzz
# builds keep their own allocators, and Windows keeps its system heap.
if(NOT WIN32 AND NOT TAXSYNC_SANITIZE AND NOT TAXSYNC_FUZZ)
  set(taxsync_tcmalloc_default ON)
else()
  set(taxsync_tcmalloc_default OFF)
endif()
option(TAXSYNC_TCMALLOC "Link the taxsync program with tcmalloc (package libgoogle-perftools-dev)"
       ${taxsync_tcmalloc_default})

if(TAXSYNC_TCMALLOC)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(TCMALLOC IMPORTED_TARGET libtcmalloc_minimal)
  if(NOT TCMALLOC_FOUND)
    message(FATAL_ERROR "tcmalloc was not found: install libgoogle-perftools-dev (scripts/install-deps does), "
                        "or configure with -DTAXSYNC_TCMALLOC=OFF to build on the C library's malloc")
  endif()
endif()

# Links `target` with the allocator the shipped program uses, so that a benchmark run in-process
# measures what the program would.
function(taxsync_use_program_allocator target)
  if(TAXSYNC_TCMALLOC)
    target_link_libraries(${target} PRIVATE PkgConfig::TCMALLOC)
  endif()
endfunction()
