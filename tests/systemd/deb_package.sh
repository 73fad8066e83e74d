#!/usr/bin/env bash
# Builds the Debian package from a build tree with `cpack -G DEB` (into a temporary directory, so
# the tree is left as it was) and checks what it holds with dpkg-deb.
set -uo pipefail
build=$1
version=$2

for tool in cpack dpkg-deb dpkg-shlibdeps file; do
    if ! command -v "$tool" >/dev/null; then
        echo "SKIPPED: $tool is not installed (scripts/install-deps installs cmake, dpkg-dev and file)"
        exit 77
    fi
done

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
failures=0
fail() { echo "FAILED: $*"; failures=$((failures + 1)); }

start=$(date +%s)
if ! cpack --config "$build/CPackConfig.cmake" -G DEB -B "$out" >"$out/cpack.log" 2>&1; then
    cat "$out/cpack.log"
    echo "FAILED: cpack -G DEB"
    exit 1
fi
echo "cpack -G DEB took $(($(date +%s) - start)) s"
shopt -s nullglob
debs=("$out"/*.deb)
[ ${#debs[@]} -eq 1 ] || { cat "$out/cpack.log"; echo "FAILED: expected one .deb, found ${#debs[@]}"; exit 1; }
deb=${debs[0]}
echo "package: $(basename "$deb")"

dpkg-deb --field "$deb" Package Version Architecture Depends Recommends
[ "$(dpkg-deb --field "$deb" Package)" = taxsync ] || fail "the package is not named taxsync"
[ "$(dpkg-deb --field "$deb" Version)" = "$version" ] || fail "the version is not $version"
depends=$(dpkg-deb --field "$deb" Depends)
grep -q 'libc6' <<<"$depends" || fail "Depends has no libc6: dpkg-shlibdeps did not run"
grep -q 'systemd-sysusers' <<<"$depends" || fail "Depends lacks systemd-sysusers"
# A program linked with tcmalloc (cmake/Allocator.cmake) needs that library where it is installed.
if ldd "$build/daemon/taxsync" | grep -q 'libtcmalloc_minimal'; then
    grep -q 'libtcmalloc-minimal4' <<<"$depends" || fail "taxsync is linked with tcmalloc, but Depends lacks libtcmalloc-minimal4"
fi

contents=$(dpkg-deb --contents "$deb" | awk '{ print $NF }' | sed 's|^\./|/|')
echo "contents:"
grep -v '/$' <<<"$contents" | sed 's/^/  /'
for path in /usr/bin/taxsync \
            /lib/systemd/system/taxsync.service \
            /usr/lib/sysusers.d/taxsync.conf \
            /usr/lib/tmpfiles.d/taxsync.conf \
            /etc/taxsync/taxsync.toml \
            /usr/share/doc/taxsync/README.md \
            /usr/share/doc/taxsync/systemd.md \
            /usr/share/doc/taxsync/taxsync.example.toml; do
    grep -qx "$path" <<<"$contents" || fail "$path is not in the package"
done
if grep -q 'emulator' <<<"$contents"; then fail "the portal emulator is in the package"; fi

conffiles=$(dpkg-deb --info "$deb" conffiles 2>/dev/null)
grep -qx '/etc/taxsync/taxsync.toml' <<<"$conffiles" || fail "/etc/taxsync/taxsync.toml is not a conffile"
for script in postinst prerm postrm; do
    dpkg-deb --info "$deb" "$script" >/dev/null 2>&1 || fail "no $script"
done

unit=$(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./lib/systemd/system/taxsync.service)
grep -qx 'ExecStart=/usr/bin/taxsync --config /etc/taxsync/taxsync.toml run' <<<"$unit" ||
    fail "the packaged unit does not start /usr/bin/taxsync"

[ "$failures" -eq 0 ] || exit 1
echo "the package is complete"
