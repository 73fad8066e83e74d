#!/usr/bin/env bash
# systemd-analyze security, offline (it reads the unit file; PID 1 need not be systemd). Prints the
# overall exposure and what is left exposed, and fails above the threshold.
set -uo pipefail
unit=$1
threshold=$2

if ! command -v systemd-analyze >/dev/null; then
    echo "SKIPPED: systemd-analyze is not installed (scripts/install-deps installs the systemd package)"
    exit 77
fi

# The C locale: plain ASCII marks ("-" for an exposed item) and a "." decimal point, whatever the machine's.
output=$(LC_ALL=C systemd-analyze security --offline=true --no-pager "$unit" 2>&1)
status=$?
exposure=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9.]*\).*/\1/p' <<<"$output")
if [ -z "$exposure" ]; then
    printf '%s\n' "$output"
    echo "FAILED: no overall exposure in the output of systemd-analyze security (exit $status)"
    exit 1
fi

echo "Remaining exposures (weighted, highest first):"
grep '^- ' <<<"$output" | awk '{ print $NF "\t" $0 }' | sort -t$'\t' -k1,1gr | cut -f2-
grep 'Overall exposure level' <<<"$output"
echo "taxsync.service exposure: $exposure (allowed: $threshold or lower)"

if awk -v exposure="$exposure" -v threshold="$threshold" 'BEGIN { exit !(exposure > threshold) }'; then
    echo "FAILED: exposure $exposure is above $threshold"
    exit 1
fi
