#!/usr/bin/env bash
# Installs the sysusers.d and tmpfiles.d snippets into an empty root directory and applies them by
# name, as the package's postinst does on the real one; checks the user, group and directories.
set -uo pipefail
sysusers=$1
tmpfiles=$2

for tool in systemd-sysusers systemd-tmpfiles; do
    if ! command -v "$tool" >/dev/null; then
        echo "SKIPPED: $tool is not installed (scripts/install-deps installs the systemd package)"
        exit 77
    fi
done
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIPPED: creating directories owned by another user needs root"
    exit 77
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
fail() { echo "FAILED: $*"; exit 1; }

mkdir -p "$root/etc"
install -D -m 0644 "$sysusers" "$root/usr/lib/sysusers.d/taxsync.conf"
install -D -m 0644 "$tmpfiles" "$root/usr/lib/tmpfiles.d/taxsync.conf"

systemd-sysusers --root="$root" taxsync.conf || fail "systemd-sysusers refused $sysusers"
IFS=: read -r name _ uid gid _ home shell < <(grep '^taxsync:' "$root/etc/passwd") || fail "no taxsync user"
IFS=: read -r _ _ group_gid _ < <(grep '^taxsync:' "$root/etc/group") || fail "no taxsync group"
echo "user $name uid $uid gid $gid home $home shell $shell; group taxsync gid $group_gid"
[ "$gid" = "$group_gid" ] || fail "the taxsync user's primary group is not taxsync"
[ "$uid" -lt 1000 ] || fail "taxsync is not a system user (uid $uid)"
[ "$home" = /var/lib/taxsync ] || fail "home is $home, not /var/lib/taxsync"
case "$shell" in */nologin) ;; *) fail "shell is $shell, not nologin" ;; esac

# dpkg has already unpacked /etc/taxsync (0755 root:root) when postinst runs: tmpfiles must tighten it.
mkdir -m 0755 "$root/etc/taxsync"
systemd-tmpfiles --root="$root" --create taxsync.conf || fail "systemd-tmpfiles refused $tmpfiles"
check_dir() {
    local actual
    actual=$(stat -c '%a %u %g' "$root$1") || fail "$1 was not created"
    echo "$1: mode uid gid = $actual"
    [ "$actual" = "$2" ] || fail "$1 is '$actual', expected '$2'"
}
check_dir /var/lib/taxsync "750 $uid $gid"
check_dir /etc/taxsync "750 0 $gid"
