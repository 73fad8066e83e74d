#!/usr/bin/env bash
# systemd-analyze verify on taxsync.service. verify exits 0 after an unknown key or a bad value, so
# any message that names the unit fails the test too.
set -uo pipefail
unit=$1

if ! command -v systemd-analyze >/dev/null; then
    echo "SKIPPED: systemd-analyze is not installed (scripts/install-deps installs the systemd package)"
    exit 77
fi

output=$(LC_ALL=C systemd-analyze verify --man=no "$unit" 2>&1)
status=$?
[ -n "$output" ] && printf '%s\n' "$output"
if [ "$status" -ne 0 ]; then
    echo "FAILED: systemd-analyze verify exited with $status"
    exit 1
fi
if grep -q "taxsync" <<<"$output"; then
    echo "FAILED: systemd-analyze verify has something to say about $unit"
    exit 1
fi
echo "systemd-analyze verify: $unit is clean"
