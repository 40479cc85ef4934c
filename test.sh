#!/usr/bin/env bash
# Runs the whole test suite: vet, unit and integration tests (with the race
# detector), the black-box demo test, and every fuzz target for a short time.
# FUZZ_TIME=2m ./test.sh fuzzes longer; FUZZ_TIME=0 skips fuzzing.
set -euo pipefail
cd "$(dirname "$0")"

echo "== go vet"
go vet ./...

echo "== go test (race detector)"
go test -race -count=1 -timeout 15m ./...

fuzz_time="${FUZZ_TIME:-15s}"
if [ "$fuzz_time" != "0" ]; then
  echo "== fuzz targets, ${fuzz_time} each"
  FUZZ_TIME="$fuzz_time" ./scripts/fuzz.sh
fi
echo "== all tests passed"
