#!/bin/sh
# Runs a libFuzzer target over its seed corpus plus bounded fresh mutations, writing new
# inputs to a scratch directory so the source tree stays untouched.
set -eu
target=$1; seeds=$2; shift 2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
exec_status=0
"$target" -artifact_prefix="$scratch/" "$@" "$scratch" "$seeds" || exec_status=$?
if [ "$exec_status" -ne 0 ]; then
  for crash in "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-* "$scratch"/oom-*; do
    [ -e "$crash" ] && { echo "fuzz: reproducer $(basename "$crash"):"; od -An -tx1 "$crash" | head -20; }
  done
fi
exit "$exec_status"
