# Installing taxsync as a system service, and its Debian package (`cpack -G DEB` in a build tree).
# Included from the top-level CMakeLists.txt once the targets exist.
#
# Installed to the prefix /usr (the package's), that is:
#   /usr/bin/taxsync                      (install rule beside the target, daemon/CMakeLists.txt)
#   /lib/systemd/system/taxsync.service   (CMAKE_INSTALL_SYSTEMD_SERVICEDIR to change it)
#   /usr/lib/sysusers.d/taxsync.conf, /usr/lib/tmpfiles.d/taxsync.conf
#   /etc/taxsync/taxsync.toml             (the annotated example; a conffile in the package)
#   /usr/share/doc/taxsync/               (README, docs/*.md, taxsync.example.toml)
# Everything here is in the install component "taxsync", and only that component is packaged:
# the portal emulator is for the demo and the tests.

if(WIN32)
  return()  # the Windows service is installed by `taxsync` itself (daemon/windows/)
endif()

include("${CMAKE_CURRENT_LIST_DIR}/systemd_unit.cmake")

set(CMAKE_INSTALL_SYSTEMD_SERVICEDIR "" CACHE STRING
    "Where taxsync.service is installed (relative: under the prefix). Empty: /lib/systemd/system when \
installing to /usr, else <prefix>/lib/systemd/system")

set(TAXSYNC_SYSTEMD_BINARY_DIR "${PROJECT_BINARY_DIR}/systemd")

# The unit as the package installs it, kept in the build tree for inspection and for the
# `systemd-analyze security` test.
taxsync_absolute_dir(TAXSYNC_PACKAGE_BINDIR "${CMAKE_INSTALL_BINDIR}" /usr)
taxsync_absolute_dir(TAXSYNC_PACKAGE_DOCDIR "${CMAKE_INSTALL_DOCDIR}" /usr)
taxsync_write_unit(OUTPUT "${TAXSYNC_SYSTEMD_BINARY_DIR}/taxsync.service"
                   BINDIR "${TAXSYNC_PACKAGE_BINDIR}" DOCDIR "${TAXSYNC_PACKAGE_DOCDIR}")

install(CODE "
  include([[${CMAKE_CURRENT_LIST_DIR}/systemd_unit.cmake]])
  taxsync_install_unit(STAGING [[${TAXSYNC_SYSTEMD_BINARY_DIR}/install]]
                       BINDIR [[${CMAKE_INSTALL_BINDIR}]] DOCDIR [[${CMAKE_INSTALL_DOCDIR}]]
                       UNITDIR [[${CMAKE_INSTALL_SYSTEMD_SERVICEDIR}]])
  taxsync_install_config([[${PROJECT_SOURCE_DIR}/config/taxsync.example.toml]])
" COMPONENT taxsync)

install(FILES "${PROJECT_SOURCE_DIR}/systemd/taxsync.sysusers" DESTINATION lib/sysusers.d RENAME taxsync.conf
        COMPONENT taxsync)
install(FILES "${PROJECT_SOURCE_DIR}/systemd/taxsync.tmpfiles" DESTINATION lib/tmpfiles.d RENAME taxsync.conf
        COMPONENT taxsync)

file(GLOB TAXSYNC_DOCS CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/docs/*.md")
install(FILES "${PROJECT_SOURCE_DIR}/README.md" ${TAXSYNC_DOCS} "${PROJECT_SOURCE_DIR}/config/taxsync.example.toml"
        DESTINATION "${CMAKE_INSTALL_DOCDIR}" COMPONENT taxsync)

# The Debian package.
set(TAXSYNC_PACKAGE_MAINTAINER "taxsync maintainers <taxsync@localhost>" CACHE STRING
    "Maintainer field of the Debian package")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME taxsync)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
# The summary above is the first line; these are the lines under it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "taxsync reads the client exports that tax packages write (Lacerte,
ProSeries, generic CSV), turns every tax client into client-portal objects
(entity, contacts, groups, folders, role shares) and invites the people
through the portal's API, exactly once. It runs as the systemd service
taxsync.service, which installing does not start: configure
/etc/taxsync/taxsync.toml and the portal secret first
(/usr/share/doc/taxsync/systemd.md).")
set(CPACK_PACKAGE_CONTACT "${TAXSYNC_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Library dependencies come from dpkg-shlibdeps; postinst needs systemd's sysusers and tmpfiles.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd-sysusers, systemd-tmpfiles")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${CMAKE_CURRENT_LIST_DIR}/debian/conffiles;${CMAKE_CURRENT_LIST_DIR}/debian/postinst;\
${CMAKE_CURRENT_LIST_DIR}/debian/prerm;${CMAKE_CURRENT_LIST_DIR}/debian/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
# Only the "taxsync" component: "<build dir>;<project>;<component>;<subdirectory>".
set(CPACK_INSTALL_CMAKE_PROJECTS "${PROJECT_BINARY_DIR};${PROJECT_NAME};taxsync;/")
include(CPack)
