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
endif()
