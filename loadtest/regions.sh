#!/usr/bin/env bash
# `make loadtest`: brings up a core and three edges on loopback ports of their own (so it
# runs beside `make run`), as the regions us-east, us-west and eu-central, and puts
# avatar-loadtest's callers on each through an impairment relay with that region's network;
# prints the table, writes .data/loadtest/report.{json,html}, and stops everything it started.
#
# The core uses its own database (avatar_loadtest, created when missing, seeded with the demo
# dealership by deploy/dev/seed.sh), its own Redis database (fleet view, rate limits, cache)
# and an embedded NATS server on its own port, so the run neither touches the demo data nor
# sees other edges. The callers find their region's edge with RegionService/PickEdge, as
# clients do (EDGE_URLS=1 gives them the URLs instead).
#
#   CALLS=2 DURATION=60s RAMP=5s  calls per region, how long they speak, ramp-up
#   SLO_P95=  MAX_FAILED=  MAX_PREMATURE=  passed on as -slo-p95, -max-failed, -max-premature
#   LOADTEST_ARGS=  any other avatar-loadtest flags
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/bin}
OUT=${OUT:-$PWD/.data/loadtest}
BASE=${LOADTEST_PORT_BASE:-18080}
PG=${LOADTEST_PG:-postgres://postgres@127.0.0.1:5432}
mkdir -p "$OUT"

core_port=$BASE
core_url=http://127.0.0.1:$core_port
nats_addr=127.0.0.1:$((BASE + 2143))   # 20223 with the default base
export AVATAR_REDIS_URL=${LOADTEST_REDIS_URL:-redis://127.0.0.1:6379/7}
export AVATAR_BOOTSTRAP_EMAIL=loadtest-admin@avatar.local
export AVATAR_BOOTSTRAP_PASSWORD=${AVATAR_BOOTSTRAP_PASSWORD:-avatar-demo-password}

pids=()
cleanup() {
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

wait_ready() { # name url
  for _ in $(seq 1 150); do
    if curl -fsS -o /dev/null "$2/readyz" 2>/dev/null; then echo "loadtest: $1: ready"; return 0; fi
    sleep 0.2
  done
  echo "loadtest: $1: not ready after 30 s; log: $OUT/$1.log" >&2
  tail -n 20 "$OUT/$1.log" >&2 || true
  return 1
}

if ! psql "$PG/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='avatar_loadtest'" | grep -q 1; then
  psql -q "$PG/postgres" -c "CREATE DATABASE avatar_loadtest"
fi
psql -q "$PG/avatar_loadtest" -c "CREATE EXTENSION IF NOT EXISTS vector"

AVATAR_CORE_ADDR=127.0.0.1:$core_port AVATAR_PUBLIC_URL=$core_url \
  AVATAR_DATABASE_URL="$PG/avatar_loadtest?sslmode=disable" \
  AVATAR_NATS_URL= AVATAR_NATS_EMBEDDED_ADDR=$nats_addr AVATAR_NATS_STORE_DIR="$OUT/nats" \
  "$BIN/avatar-core" >"$OUT/core.log" 2>&1 &
pids+=($!)
wait_ready core "$core_url"
AVATAR_CORE_URL=$core_url BIN=$BIN bash deploy/dev/seed.sh >"$OUT/seed.log" 2>&1 || {
  echo "loadtest: seeding failed:" >&2; cat "$OUT/seed.log" >&2; exit 1; }

# region, HTTP port offset, network between the callers and its edge
regions=(
  "us-east 10 delay=20ms,jitter=5ms,loss=0.1%"
  "us-west 20 delay=60ms,jitter=15ms,loss=0.5%"
  "eu-central 30 delay=110ms,jitter=25ms,loss=1%"
)
args=()
for r in "${regions[@]}"; do
  read -r name off net <<<"$r"
  port=$((BASE + off)); udp=$((BASE + off + 1))
  AVATAR_REGION=$name AVATAR_EDGE_ID="loadtest-$name" AVATAR_EDGE_ADDR=127.0.0.1:$port \
    AVATAR_EDGE_UDP_PORT=$udp AVATAR_EDGE_URL=http://127.0.0.1:$port AVATAR_CORE_URL=$core_url \
    AVATAR_TOKEN_ISSUER=$core_url AVATAR_NATS_URL=nats://$nats_addr \
    "$BIN/avatar-edge" >"$OUT/edge-$name.log" 2>&1 &
  pids+=($!)
  wait_ready "edge-$name" "http://127.0.0.1:$port"
  if [ -n "${EDGE_URLS:-}" ]; then args+=(-region "$name=http://127.0.0.1:$port,$net"); else args+=(-region "$name,$net"); fi
done

# PickEdge places calls from the edges' heartbeats (every 5 s): wait until the core lists
# every region's edge as ready (ListEdges is for administrators: the bootstrap super admin).
if [ -z "${EDGE_URLS:-}" ]; then
  token=$(curl -fsS -H 'Content-Type: application/json' \
    -d "{\"email\":\"$AVATAR_BOOTSTRAP_EMAIL\",\"password\":\"$AVATAR_BOOTSTRAP_PASSWORD\"}" \
    "$core_url/avatar.auth.v1.AuthService/Login" | jq -r .accessToken)
  for _ in $(seq 1 60); do
    ready=$(curl -fsS -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{}' \
      "$core_url/avatar.region.v1.RegionService/ListEdges" |
      jq -r '[.edges[]? | select(.state=="EDGE_STATE_READY" and (.id|startswith("loadtest-")))] | length' || true)
    [ "$ready" = "${#regions[@]}" ] && break
    sleep 0.5
  done
  echo "loadtest: core lists ${ready:-0} of ${#regions[@]} edges ready"
fi

status=0
"$BIN/avatar-loadtest" -core "$core_url" -out "$OUT" \
  -calls "${CALLS:-2}" -duration "${DURATION:-60s}" -ramp "${RAMP:-5s}" \
  ${SLO_P95:+-slo-p95 "$SLO_P95"} ${MAX_FAILED:+-max-failed "$MAX_FAILED"} ${MAX_PREMATURE:+-max-premature "$MAX_PREMATURE"} \
  "${args[@]}" ${LOADTEST_ARGS:-} || status=$?
exit $status
