# The third-party code of a Windows build (mingw-w64, see mingw-w64-x86_64.cmake), from Debian's
# packages only, as targets with the names the Linux build gets from find_package():
#  - header-only libraries from the build machine's /usr/include: Boost (Asio, Beast), nlohmann-json,
#    toml++, CLI11, and spdlog and fmt in their header-only modes;
#  - SQLite compiled from the amalgamation, generated from Debian's sqlite3 source package (with
#    Debian's patches) that scripts/install-deps unpacks into TAXSYNC_SQLITE_SOURCE;
#  - libzip and pugixml (the xlsx reader) compiled from Debian's source packages the same way, and
#    zlib from Debian's mingw build of it (libz-mingw-w64-dev), all linked statically;
#  - no libcurl and no OpenSSL: WinHTTP and BCrypt, parts of Windows, take their place.

# Only these folders of /usr/include are made visible, through links: /usr/include itself would
# shadow mingw's own C headers.
set(taxsync_host_headers ${PROJECT_BINARY_DIR}/host-headers)
file(MAKE_DIRECTORY ${taxsync_host_headers})
foreach(folder boost nlohmann toml++ CLI spdlog fmt)
  if(NOT EXISTS /usr/include/${folder})
    message(FATAL_ERROR "/usr/include/${folder} is missing: run scripts/install-deps")
  endif()
  if(NOT EXISTS ${taxsync_host_headers}/${folder})
    file(CREATE_LINK /usr/include/${folder} ${taxsync_host_headers}/${folder} SYMBOLIC)
  endif()
endforeach()

function(taxsync_header_library target)
  add_library(${target} INTERFACE IMPORTED GLOBAL)
  target_include_directories(${target} SYSTEM INTERFACE ${taxsync_host_headers})
  target_compile_definitions(${target} INTERFACE ${ARGN})
endfunction()

taxsync_header_library(Boost::headers BOOST_ASIO_NO_DEPRECATED)
target_link_libraries(Boost::headers INTERFACE ws2_32 mswsock)
taxsync_header_library(nlohmann_json::nlohmann_json)
taxsync_header_library(tomlplusplus::tomlplusplus TOML_HEADER_ONLY=1)
taxsync_header_library(CLI11::CLI11)
taxsync_header_library(fmt::fmt FMT_HEADER_ONLY)
taxsync_header_library(spdlog::spdlog SPDLOG_HEADER_ONLY SPDLOG_FMT_EXTERNAL)
target_link_libraries(spdlog::spdlog INTERFACE fmt::fmt)

# SQLite: `make sqlite3.c` in Debian's source tree (a host C compiler and tclsh) once per build
# tree, then compiled here like any other source.
set(TAXSYNC_SQLITE_SOURCE "/usr/local/src/taxsync-deps/sqlite3" CACHE PATH
    "Debian's sqlite3 source package, unpacked with its patches (scripts/install-deps)")
set(sqlite_amalgamation ${PROJECT_BINARY_DIR}/sqlite-amalgamation)
if(NOT EXISTS ${sqlite_amalgamation}/sqlite3.c)
  if(NOT EXISTS ${TAXSYNC_SQLITE_SOURCE}/configure)
    message(FATAL_ERROR "${TAXSYNC_SQLITE_SOURCE} holds no SQLite source: run scripts/install-deps, which unpacks "
                        "Debian's sqlite3 source package there")
  endif()
  message(STATUS "Generating the SQLite amalgamation from ${TAXSYNC_SQLITE_SOURCE}")
  set(sqlite_work ${PROJECT_BINARY_DIR}/sqlite-build)
  file(REMOVE_RECURSE ${sqlite_work})
  file(MAKE_DIRECTORY ${sqlite_work})
  # The host's compiler, not mingw's: this step runs the source's own generators.
  execute_process(COMMAND env -u CC -u CFLAGS -u CXX ${TAXSYNC_SQLITE_SOURCE}/configure --disable-tcl
                  WORKING_DIRECTORY ${sqlite_work} OUTPUT_QUIET RESULT_VARIABLE configured)
  if(configured EQUAL 0)
    execute_process(COMMAND make sqlite3.c WORKING_DIRECTORY ${sqlite_work} OUTPUT_QUIET RESULT_VARIABLE made)
  endif()
  if(NOT configured EQUAL 0 OR NOT made EQUAL 0)
    message(FATAL_ERROR "cannot generate the SQLite amalgamation in ${sqlite_work} (needs gcc, make and tclsh)")
  endif()
  file(MAKE_DIRECTORY ${sqlite_amalgamation})
  file(COPY ${sqlite_work}/sqlite3.c ${sqlite_work}/sqlite3.h DESTINATION ${sqlite_amalgamation})
  file(REMOVE_RECURSE ${sqlite_work})
endif()

enable_language(C)
add_library(taxsync_sqlite3 STATIC ${sqlite_amalgamation}/sqlite3.c)
target_include_directories(taxsync_sqlite3 SYSTEM PUBLIC ${sqlite_amalgamation})
# Thread-safe like Debian's libsqlite3; taxsync loads no extensions.
target_compile_definitions(taxsync_sqlite3 PRIVATE SQLITE_THREADSAFE=1 SQLITE_OMIT_LOAD_EXTENSION)
set_target_properties(taxsync_sqlite3 PROPERTIES UNITY_BUILD OFF)
add_library(SQLite::SQLite3 ALIAS taxsync_sqlite3)

# pugixml: one source file.
set(TAXSYNC_PUGIXML_SOURCE "/usr/local/src/taxsync-deps/pugixml" CACHE PATH
    "Debian's pugixml source package, unpacked with its patches (scripts/install-deps)")
if(NOT EXISTS ${TAXSYNC_PUGIXML_SOURCE}/src/pugixml.cpp)
  message(FATAL_ERROR "${TAXSYNC_PUGIXML_SOURCE} holds no pugixml source: run scripts/install-deps")
endif()
add_library(taxsync_pugixml STATIC ${TAXSYNC_PUGIXML_SOURCE}/src/pugixml.cpp)
target_include_directories(taxsync_pugixml SYSTEM PUBLIC ${TAXSYNC_PUGIXML_SOURCE}/src)
add_library(pugixml::pugixml ALIAS taxsync_pugixml)

# libzip: its own CMake project as a subdirectory, static, deflate only (zlib), no encryption,
# none of its tools, tests or documentation; built only because the connectors link it.
set(TAXSYNC_LIBZIP_SOURCE "/usr/local/src/taxsync-deps/libzip" CACHE PATH
    "Debian's libzip source package, unpacked with its patches (scripts/install-deps)")
if(NOT EXISTS ${TAXSYNC_LIBZIP_SOURCE}/CMakeLists.txt)
  message(FATAL_ERROR "${TAXSYNC_LIBZIP_SOURCE} holds no libzip source: run scripts/install-deps")
endif()
find_library(TAXSYNC_MINGW_ZLIB NAMES libz.a REQUIRED)  # the static one, not zlib1.dll's import library
find_path(TAXSYNC_MINGW_ZLIB_INCLUDE zlib.h REQUIRED)
function(taxsync_add_libzip)
  # Options set here, not in the cache: libzip's old minimum version would otherwise reset them.
  set(CMAKE_POLICY_DEFAULT_CMP0077 NEW)
  set(CMAKE_POLICY_DEFAULT_CMP0063 NEW)
  set(ZLIB_LIBRARY ${TAXSYNC_MINGW_ZLIB})
  set(ZLIB_INCLUDE_DIR ${TAXSYNC_MINGW_ZLIB_INCLUDE})
  set(BUILD_SHARED_LIBS OFF)
  set(LIBZIP_DO_INSTALL OFF)
  foreach(feature COMMONCRYPTO GNUTLS MBEDTLS OPENSSL WINDOWS_CRYPTO BZIP2 LZMA ZSTD)
    set(ENABLE_${feature} OFF)
  endforeach()
  foreach(part TOOLS REGRESS EXAMPLES DOC)
    set(BUILD_${part} OFF)
  endforeach()
  add_subdirectory(${TAXSYNC_LIBZIP_SOURCE} ${PROJECT_BINARY_DIR}/libzip EXCLUDE_FROM_ALL SYSTEM)
  set_target_properties(zip PROPERTIES UNITY_BUILD OFF)
endfunction()
taxsync_add_libzip()
add_library(PkgConfig::LIBZIP ALIAS zip)

find_package(Threads REQUIRED)
add_compile_definitions(_WIN32_WINNT=0x0A00 WIN32_LEAN_AND_MEAN NOMINMAX UNICODE _UNICODE)
# Static, so the program needs no mingw DLLs (libstdc++, libwinpthread) beside it. Big objects:
# Asio and Beast in one translation unit exceed PE/COFF's default section count.
add_link_options(-static)
add_compile_options(-Wa,-mbig-obj)
# A unity build includes each .cpp into another file, and GCC then reports a class of that .cpp
# holding a type from its own anonymous namespace: harmless there, so not a warning.
if(CMAKE_UNITY_BUILD)
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-Wno-subobject-linkage>)
endif()
