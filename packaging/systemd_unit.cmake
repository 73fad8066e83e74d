# Writes taxsync.service from systemd/taxsync.service.in for one install layout. Used when
# configuring (the build-tree copies the tests check) and when installing, because the unit names
# the binary by its full path: it must name the prefix really installed to (cpack's /usr, or
# `cmake --install --prefix ...`), which an existing build tree may have configured differently.

set(TAXSYNC_UNIT_TEMPLATE "${CMAKE_CURRENT_LIST_DIR}/../systemd/taxsync.service.in")

# The configuration lives in /etc/taxsync whatever the prefix: it is taxsync's default --config,
# systemd's ConfigurationDirectory=taxsync, and where LoadCredential= finds the portal secret.
set(TAXSYNC_CONFDIR "/etc/taxsync")

# A directory given relative to the install prefix, made absolute.
function(taxsync_absolute_dir out dir prefix)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "${prefix}/${dir}" PARENT_SCOPE)
  endif()
endfunction()

# Where the unit goes. Debian 12 packages install units in /lib/systemd/system; any other prefix
# keeps it under the prefix (systemd also reads /usr/local/lib/systemd/system). An explicit
# CMAKE_INSTALL_SYSTEMD_SERVICEDIR wins.
function(taxsync_systemd_unit_dir out prefix configured_dir)
  if(configured_dir)
    taxsync_absolute_dir(dir "${configured_dir}" "${prefix}")
  elseif(prefix STREQUAL "/usr")
    set(dir "/lib/systemd/system")
  else()
    set(dir "${prefix}/lib/systemd/system")
  endif()
  set(${out} "${dir}" PARENT_SCOPE)
endfunction()

#   taxsync_write_unit(OUTPUT <file> BINDIR <absolute dir of the taxsync binary> DOCDIR <absolute doc dir>)
function(taxsync_write_unit)
  cmake_parse_arguments(ARG "" "OUTPUT;BINDIR;DOCDIR" "" ${ARGN})
  set(TAXSYNC_BINDIR "${ARG_BINDIR}")
  set(TAXSYNC_DOCDIR "${ARG_DOCDIR}")
  set(TAXSYNC_CONFIG_FILE "${TAXSYNC_CONFDIR}/taxsync.toml")
  configure_file("${TAXSYNC_UNIT_TEMPLATE}" "${ARG_OUTPUT}" @ONLY)
endfunction()

# Runs at install time (from install(CODE)), where CMAKE_INSTALL_PREFIX is the real prefix and
# DESTDIR, if set, is added by file(INSTALL).
function(taxsync_install_unit)
  cmake_parse_arguments(ARG "" "STAGING;BINDIR;DOCDIR;UNITDIR" "" ${ARGN})
  taxsync_absolute_dir(bindir "${ARG_BINDIR}" "${CMAKE_INSTALL_PREFIX}")
  taxsync_absolute_dir(docdir "${ARG_DOCDIR}" "${CMAKE_INSTALL_PREFIX}")
  taxsync_systemd_unit_dir(unitdir "${CMAKE_INSTALL_PREFIX}" "${ARG_UNITDIR}")
  taxsync_write_unit(OUTPUT "${ARG_STAGING}/taxsync.service" BINDIR "${bindir}" DOCDIR "${docdir}")
  file(INSTALL DESTINATION "${unitdir}" TYPE FILE PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
       FILES "${ARG_STAGING}/taxsync.service")
endfunction()

# The example configuration becomes /etc/taxsync/taxsync.toml, unless that file exists: an install
# by hand must not overwrite a configured service (dpkg has its own conffile rules for the .deb).
function(taxsync_install_config example)
  set(installed "$ENV{DESTDIR}${TAXSYNC_CONFDIR}/taxsync.toml")
  if(EXISTS "${installed}")
    message(STATUS "Keeping: ${installed} (the example is in the documentation directory)")
    return()
  endif()
  file(INSTALL DESTINATION "${TAXSYNC_CONFDIR}" TYPE FILE RENAME taxsync.toml
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ FILES "${example}")
endfunction()
