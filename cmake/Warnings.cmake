# Warnings and sanitizers as usage requirements of one INTERFACE target.
# -Wnull-dereference is left out: with GCC 12 at -O2 it reports paths inside libstdc++'s
# streambuf that cannot happen, and a warning that cries wolf gets ignored.
add_library(taxsync_warnings INTERFACE)
target_compile_options(taxsync_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wformat=2 -Wimplicit-fallthrough -Wmissing-declarations)
if(TAXSYNC_WERROR)
  target_compile_options(taxsync_warnings INTERFACE -Werror)
endif()

if(TAXSYNC_SANITIZE)
  add_compile_options(-fsanitize=${TAXSYNC_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${TAXSYNC_SANITIZE})
  # UBSan's null and alignment checks put a branch before nearly every memory access: a third of
  # the sanitizer build's compile time. AddressSanitizer already stops at a null dereference, with
  # its stack, and the Linux code casts pointers only to bytes, which have no alignment to break.
  # Every other UBSan check stays.
  if(TAXSYNC_SANITIZE MATCHES "undefined")
    add_compile_options(-fno-sanitize=null,alignment)
  endif()
endif()
