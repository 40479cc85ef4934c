#!/usr/bin/env bash
# Runs the whole test suite: vet, unit and integration tests (with the race
# detector), the black-box demo test, and every fuzz target for a short time.
# FUZZ_TIME=2m ./test.sh fuzzes longer; FUZZ_TIME=0 skips fuzzing.
set -euo pipefail
cd "$(dirname "$0")"

# PostgreSQL: the store tests use the server at 127.0.0.1:5432 (or
# SCIMCONNECT_TEST_POSTGRES_DSN). Where none answers but a local cluster is
# installed, start it; without one the PostgreSQL tests skip, and under
# CI=true they fail.
if [ -z "${SCIMCONNECT_TEST_POSTGRES_DSN:-}" ] && command -v pg_isready >/dev/null 2>&1 \
   && ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "== starting the local PostgreSQL cluster"
    for v in /etc/postgresql/*; do
      pg_ctlcluster --skip-systemctl-redirect "$(basename "$v")" main start 2>/dev/null || true
    done
  fi
fi

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
