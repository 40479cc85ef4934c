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
    # Minimizing a new input can outlast the time budget; Go then reports
    # "context deadline exceeded" without any failing input. Bound the
    # minimization, and run a target again (up to three times) only when it
    # failed without writing a failing input: a real crash always writes one.
    log=$(mktemp)
    for attempt in 1 2 3; do
      if go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzz_time" -fuzzminimizetime=2s "$pkg" 2>&1 | tee "$log"; then
        break
      fi
      if grep -q "Failing input written to" "$log" || [ "$attempt" = 3 ]; then
        status=1
        break
      fi
      echo "-- fuzz $pkg $target stopped without a failing input; running it again"
    done
    rm -f "$log"
  done
done < <(grep -rlE '^func Fuzz' --include='*_test.go' . | sed 's|^\./||' | sort)
exit $status
