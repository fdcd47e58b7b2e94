#!/usr/bin/env bash
# `make edge-density`, `make turn-gap`, `make capacity`: how many calls one real avatar-edge
# holds with its production defaults, what each costs, and the turn gap callers see.
#
# Brings up a core (loadtest/stack.sh: database avatar_loadtest, embedded NATS, loopback ports
# from 18180) and seeds one trainee per caller (density-caller-N@demo-motors.test). Then, for
# each count of CALLS, starts a fresh avatar-edge with its production defaults (Silero VAD,
# PocketSphinx, Flite; only its addresses set, its capacity raised to the largest count so
# that a probe beyond the default is measured rather than refused, and, with PROFILE, its
# loopback debug listener on), runs avatar-density against it with the edge's pid (CPU time
# from /proc), stops it, and at the end prints capacity=N: the largest count held.
#
#   CALLS=8 (or a list: 4,8,12)  DURATION=60s  WARMUP=10s  MAX_RESPONSE=150ms
#   HALF=all|tune|report  ONLY=mfa_  SPEECH=dir1,dir2 (default the shared speech sets)
#   PROFILE=dir  the edge's CPU, block, mutex and goroutine profiles of each window
#   DENSITY_ARGS=  any other avatar-density flags (-turns, -reply-timeout 10s, ...)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/.data/density}
STACK_BASE=${DENSITY_PORT_BASE:-18180}
# shellcheck source=loadtest/stack.sh
source loadtest/stack.sh

IFS=, read -r -a counts <<<"${CALLS:-8}"
most=0
for n in "${counts[@]}"; do
  if ! [[ $n =~ ^[1-9][0-9]*$ ]]; then echo "density: CALLS=${CALLS:-}: want positive counts" >&2; exit 2; fi
  [ "$n" -gt "$most" ] && most=$n
done

start_core
accounts=density-caller-%d@demo-motors.test
seed_trainees "$accounts" "$most"

edge_port=$((STACK_BASE + 10))
debug_addr=127.0.0.1:$((STACK_BASE + 12))
max_response=${MAX_RESPONSE:-150ms}
held=0
for n in "${counts[@]}"; do
  edge_env=(AVATAR_EDGE_MAX_CALLS="$most")
  profile_args=()
  if [ -n "${PROFILE:-}" ]; then
    edge_env+=(AVATAR_EDGE_DEBUG_ADDR="$debug_addr")
    profile_args=(-debug "$debug_addr" -profile "$PROFILE")
  fi
  start_edge density "$edge_port" $((edge_port + 1)) "${edge_env[@]}"
  "$BIN/avatar-density" -core "$core_url" -edge "http://127.0.0.1:$edge_port" -edge-pid "$edge_pid" \
    -email "$accounts" -accounts "$n" -password "$TRAINEE_PASSWORD" \
    -calls "$n" -duration "${DURATION:-60s}" -warmup "${WARMUP:-10s}" -max-response "$max_response" \
    -split "${HALF:-all}" -only "${ONLY:-}" ${SPEECH:+-speech "$SPEECH"} \
    "${profile_args[@]}" ${DENSITY_ARGS:-} | tee "$OUT/density-$n.txt"
  stop_edge "$edge_pid"
  if grep -q "^calls=$n held" "$OUT/density-$n.txt" && [ "$n" -gt "$held" ]; then held=$n; fi
done
if [ "${#counts[@]}" -gt 1 ]; then
  echo "capacity=$held (the largest count held: every call connected, no clip heard left unanswered, response p95 <= $max_response)"
fi
