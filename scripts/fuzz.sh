#!/usr/bin/env bash
# Runs every Go fuzz target of the repository for FUZZ_TIME (default 15s).
# For a long run: FUZZ_TIME=30m ./scripts/fuzz.sh
# A crash is saved under the package's testdata/fuzz/ and then replays as a
# regular test case in every `go test` run: commit it with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzz_time="${FUZZ_TIME:-15s}"
status=0
while IFS= read -r file; do
  pkg="./$(dirname "$file")"
  for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)' "$file" | awk '{print $2}'); do
    echo "-- fuzz $pkg $target ($fuzz_time)"
    if ! go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzz_time" "$pkg"; then
      status=1
    fi
  done
done < <(grep -rlE '^func Fuzz' --include='*_test.go' . | sed 's|^\./||' | sort)
exit $status
