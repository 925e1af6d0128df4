#!/bin/sh
# Runs a libFuzzer target over its whole corpus (tests/fuzz/corpus/<target>: the seeds, what
# tools/fuzz-campaign grew and minimised, and the regression inputs of fixed findings), every
# input once, then bounded fresh mutations, writing new inputs to a scratch directory so the
# source tree stays untouched. A corpus input that crashes, leaks or times out fails the test.
set -eu
target=$1; seeds=$2; shift 2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
echo "fuzz: replaying $(find "$seeds" -type f | wc -l) corpus inputs of $seeds, then mutations"
exec_status=0
# the limits of tools/fuzz-campaign, so a slow input it let through fails here as well
"$target" -artifact_prefix="$scratch/" -max_len=65536 -timeout=10 "$@" "$scratch" "$seeds" || exec_status=$?
if [ "$exec_status" -ne 0 ]; then
  for crash in "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-* "$scratch"/oom-*; do
    [ -e "$crash" ] && { echo "fuzz: reproducer $(basename "$crash"):"; od -An -tx1 "$crash" | head -20; }
  done
fi
exit "$exec_status"
