#!/usr/bin/env bash
# Runs the whole system on one machine with embedded defaults: the core, one edge per demo
# region (when the edge is built), seeded demo data; prints the URL and stays in the
# foreground until Ctrl-C, which stops everything it started. Called by `make run` after
# services.sh and the build.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-$PWD/bin}
DATA=${AVATAR_RUN_DIR:-$PWD/.data/run}
mkdir -p "$DATA"

export AVATAR_CORE_ADDR=${AVATAR_CORE_ADDR:-:8080}
export AVATAR_DATABASE_URL=${AVATAR_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/avatar?sslmode=disable}
export AVATAR_REDIS_URL=${AVATAR_REDIS_URL:-redis://127.0.0.1:6379/0}
export AVATAR_NATS_URL=${AVATAR_NATS_URL:-nats://127.0.0.1:4222}
export AVATAR_PUBLIC_URL=${AVATAR_PUBLIC_URL:-http://localhost:8080}
export AVATAR_BOOTSTRAP_EMAIL=${AVATAR_BOOTSTRAP_EMAIL:-admin@avatar.local}
export AVATAR_BOOTSTRAP_PASSWORD=${AVATAR_BOOTSTRAP_PASSWORD:-avatar-demo-password}
export AVATAR_CORE_URL=${AVATAR_CORE_URL:-http://127.0.0.1:8080}
core_port=${AVATAR_CORE_ADDR##*:}

pids=()
cleanup() {
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

wait_ready() { # name url
  for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null "$2/readyz" 2>/dev/null; then echo "run: $1: ready"; return 0; fi
    sleep 0.1
  done
  echo "run: $1: not ready after 10 s; log: $DATA/$1.log" >&2
  tail -n 20 "$DATA/$1.log" >&2 || true
  return 1
}

"$BIN/avatar-core" >"$DATA/core.log" 2>&1 &
pids+=($!)
wait_ready core "http://127.0.0.1:$core_port"

# Demo data: dealership, users, documents, scenarios (avatarctl, when built).
if [ -x "$BIN/avatarctl" ] && [ -f deploy/dev/seed.sh ]; then
  bash deploy/dev/seed.sh || echo "run: seed: FAILED (see above); the core still runs" >&2
fi

# The edges' service key: they call the core with it when a trainee's access token expires
# during a long call (created once, kept in $DATA).
key_file="$DATA/edge-api-key"
if [ -x "$BIN/avatarctl" ] && [ ! -s "$key_file" ]; then
  AVATAR_EMAIL=$AVATAR_BOOTSTRAP_EMAIL AVATAR_PASSWORD=$AVATAR_BOOTSTRAP_PASSWORD \
    "$BIN/avatarctl" create-api-key -name "edges (make run)" -role edge | jq -r '.secret // empty' >"$key_file" || true
fi
if [ -s "$key_file" ]; then export AVATAR_EDGE_API_KEY=$(cat "$key_file"); fi

# One edge per demo region.
if [ -x "$BIN/avatar-edge" ]; then
  i=0
  for region in us-east eu-west; do
    port=$((8090 + i * 100)); udp=$((8091 + i * 100))
    AVATAR_REGION=$region AVATAR_EDGE_ID="edge-$region" AVATAR_EDGE_ADDR=":$port" AVATAR_EDGE_UDP_PORT=$udp \
      AVATAR_EDGE_URL="http://localhost:$port" AVATAR_TOKEN_ISSUER="$AVATAR_PUBLIC_URL" \
      "$BIN/avatar-edge" >"$DATA/edge-$region.log" 2>&1 &
    pids+=($!)
    wait_ready "edge-$region" "http://127.0.0.1:$port"
    i=$((i + 1))
  done
fi

# A finished demo session, so the trainee's analytics show something at once.
if [ -x "$BIN/avatar-edge" ] && [ -x "$BIN/avatarctl" ]; then
  bash deploy/dev/seed-session.sh || echo "run: seed-session: FAILED (see above); everything still runs" >&2
fi

echo "Avatar is up: open http://localhost:$core_port in a browser  (super admin $AVATAR_BOOTSTRAP_EMAIL / $AVATAR_BOOTSTRAP_PASSWORD)"
if [ -x "$BIN/avatar-edge" ]; then
  echo "Edges: us-east http://localhost:8090 (media udp 8091), eu-west http://localhost:8190 (media udp 8191)"
fi
echo "Demo users: manager@demo-motors.test / trainee@demo-motors.test, password ${AVATAR_DEMO_PASSWORD:-avatar-demo-password}"
if [ -x "$BIN/avatar-edge" ]; then
  echo "Role-play by text: AVATAR_EMAIL=trainee@demo-motors.test AVATAR_PASSWORD=${AVATAR_DEMO_PASSWORD:-avatar-demo-password} $BIN/avatarctl chat -scenario 'service contract'"
  echo "Ask the coach:     AVATAR_EMAIL=trainee@demo-motors.test AVATAR_PASSWORD=${AVATAR_DEMO_PASSWORD:-avatar-demo-password} $BIN/avatarctl chat -mode coach"
fi
echo "Logs in $DATA. Ctrl-C stops everything."
wait -n "${pids[@]}" || true
