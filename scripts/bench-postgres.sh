#!/usr/bin/env bash
# Measures N instances (default 1) of Switchboard on one PostgreSQL database
# with the load generator: it builds the binary, makes a fresh schema,
# starts the instances on 127.0.0.1:18081.. (the first migrates the schema),
# runs `switchboard bench -targets` with the agents spread over them, and
# stops everything and drops the schema afterwards.
#
#   SWITCHBOARD_BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
#     scripts/bench-postgres.sh 3 -agents 300 -rates 50,max -duration 15s
#
# Arguments after N go to `switchboard bench` (-idle-agents 0 -floor 0 are
# set: the memory and SQLite-floor phases measure a server the generator
# starts itself).
set -euo pipefail
cd "$(dirname "$0")/.."
pg=${SWITCHBOARD_BENCH_POSTGRES:-${SWITCHBOARD_TEST_POSTGRES:-}}
if [ -z "$pg" ]; then
  echo "set SWITCHBOARD_BENCH_POSTGRES to a PostgreSQL URL, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable" >&2
  exit 2
fi
n=${1:-1}
shift || true
schema="sb_bench_$(date +%s)_$$"
sep='?'; case "$pg" in *\?*) sep='&';; esac
db="$pg${sep}search_path=$schema"
bin=$(mktemp -d)
go build -o "$bin/switchboard" .
psql -q "$pg" -c "CREATE SCHEMA $schema"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -q "$pg" -c "DROP SCHEMA $schema CASCADE" || true
  rm -rf "$bin"
}
trap cleanup EXIT
export SWITCHBOARD_ADMIN_PASSWORD=bench-admin-password SWITCHBOARD_BCRYPT_COST=4 SWITCHBOARD_MISSED_RINGS=0 SWITCHBOARD_LOG_LEVEL=warn
targets=()
for i in $(seq 1 "$n"); do
  port=$((18080 + i))
  "$bin/switchboard" serve -db "$db" -addr "127.0.0.1:$port" 2>"$bin/instance$i.log" &
  pids+=($!)
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$bin/instance$i.log" >&2; exit 1; }
  targets+=("http://127.0.0.1:$port/graphql")
done
"$bin/switchboard" bench -targets "$(IFS=,; echo "${targets[*]}")" -pid "${pids[0]}" -idle-agents 0 -floor 0 "$@"
if grep -h 'level=ERROR' "$bin"/instance*.log >&2; then
  echo "the instances logged errors (above)" >&2
  exit 1
fi
