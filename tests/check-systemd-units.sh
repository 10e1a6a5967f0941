#!/bin/sh
# systemd-analyze verify on the units as built, with ExecStart pointing at the build tree's
# till-server (verify checks that the program exists). Skips (77) without systemd-analyze.
# Usage: check-systemd-units.sh INSTALLED-TILL-SERVER BUILT-TILL-SERVER UNIT…
set -eu
command -v systemd-analyze >/dev/null 2>&1 || { echo "systemd-analyze not found: skipped"; exit 77; }
installed=$1 built=$2
shift 2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for unit in "$@"; do
  sed "s|$installed|$built|g" "$unit" >"$dir/$(basename "$unit")"
done
cd "$dir"
# Timers are checked with the service they start.
systemd-analyze verify --man=no ./*.service ./*.timer
echo "verified: $(ls)"
