#!/usr/bin/env bash
# `make loadtest`: brings up a core and three edges (loadtest/stack.sh: loopback ports of their
# own from 18080, so it runs beside `make run`), as the regions us-east, us-west and
# eu-central, and puts avatar-loadtest's callers on each through an impairment relay with that
# region's network; prints the table, writes .data/loadtest/report.{json,html}, and stops
# everything it started.
#
# The core is seeded with the demo dealership (deploy/dev/seed.sh) and one trainee per caller
# (loadtest-caller-N@demo-motors.test): each caller signs in as its own account, so sessions
# and per-user rate limits are per caller as in production. The callers find their region's
# edge with RegionService/PickEdge, as clients do (EDGE_URLS=1 gives them the URLs instead).
#
#   CALLS=2 DURATION=60s RAMP=5s  calls per region, how long they speak, ramp-up
#   SLO_P95=  MAX_FAILED=  MAX_PREMATURE=  passed on as -slo-p95, -max-failed, -max-premature
#   SCRIPT=loadtest/testdata/vsc-roleplay.txt  callers speak this script's lines (Flite), one a turn
#   LOADTEST_ARGS=  any other avatar-loadtest flags
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/.data/loadtest}
STACK_BASE=${LOADTEST_PORT_BASE:-18080}
# shellcheck source=loadtest/stack.sh
source loadtest/stack.sh

start_core
AVATAR_CORE_URL=$core_url BIN=$BIN bash deploy/dev/seed.sh >"$OUT/seed.log" 2>&1 || {
  echo "loadtest: seeding failed:" >&2; cat "$OUT/seed.log" >&2; exit 1; }

# region, HTTP port offset, network between the callers and its edge
regions=(
  "us-east 10 delay=20ms,jitter=5ms,loss=0.1%"
  "us-west 20 delay=60ms,jitter=15ms,loss=0.5%"
  "eu-central 30 delay=110ms,jitter=25ms,loss=1%"
)
callers=$(( ${CALLS:-2} * ${#regions[@]} ))
accounts=loadtest-caller-%d@demo-motors.test
seed_trainees "$accounts" "$callers"

args=()
for r in "${regions[@]}"; do
  read -r name off net <<<"$r"
  port=$((STACK_BASE + off))
  start_edge "$name" "$port" $((port + 1))
  if [ -n "${EDGE_URLS:-}" ]; then args+=(-region "$name=http://127.0.0.1:$port,$net"); else args+=(-region "$name,$net"); fi
done

# PickEdge places calls from the edges' heartbeats (every 5 s): wait until the core lists
# every region's edge as ready (ListEdges is for administrators: the bootstrap super admin).
if [ -z "${EDGE_URLS:-}" ]; then
  token=$(admin_token)
  for _ in $(seq 1 60); do
    ready=$(rpc "$token" region.v1.RegionService/ListEdges '{}' |
      jq -r '[.edges[]? | select(.state=="EDGE_STATE_READY" and (.id|startswith("loadtest-")))] | length' || true)
    [ "$ready" = "${#regions[@]}" ] && break
    sleep 0.5
  done
  echo "loadtest: core lists ${ready:-0} of ${#regions[@]} edges ready"
fi

status=0
"$BIN/avatar-loadtest" -core "$core_url" -out "$OUT" \
  -email "$accounts" -accounts "$callers" -password "$TRAINEE_PASSWORD" \
  -calls "${CALLS:-2}" -duration "${DURATION:-60s}" -ramp "${RAMP:-5s}" \
  ${SCRIPT:+-script "$(realpath "$SCRIPT")"} \
  ${SLO_P95:+-slo-p95 "$SLO_P95"} ${MAX_FAILED:+-max-failed "$MAX_FAILED"} ${MAX_PREMATURE:+-max-premature "$MAX_PREMATURE"} \
  "${args[@]}" ${LOADTEST_ARGS:-} || status=$?
exit $status
