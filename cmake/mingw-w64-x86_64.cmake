# Cross-compiling for 64-bit Windows with Debian's mingw-w64 (package g++-mingw-w64-x86-64-posix).
# The -posix flavour has std::thread, std::jthread and std::mutex; the -win32 flavour does not.
#   cmake -S tests/windows -B build/windows -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(TAXSYNC_MINGW_PREFIX x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${TAXSYNC_MINGW_PREFIX}-gcc-posix)
set(CMAKE_CXX_COMPILER ${TAXSYNC_MINGW_PREFIX}-g++-posix)

# Look for headers and libraries in the mingw tree only, never in the build machine's /usr.
set(CMAKE_FIND_ROOT_PATH /usr/${TAXSYNC_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
