# Sourced by loadtest/regions.sh (make loadtest) and loadtest/density.sh (make edge-density,
# turn-gap, capacity): a core and edges of their own on loopback ports from STACK_BASE, so a
# run sits beside `make run`; trainee accounts for the callers; everything started is stopped
# on exit.
#
# The core uses its own database (avatar_loadtest, created when missing), its own Redis
# database (fleet view, rate limits, cache) and an embedded NATS server on its own port, so a
# run neither touches the demo data nor sees other edges. Edges run with avatar-edge's
# production defaults; only the addresses (and whatever a caller passes) are set.
#
# Needs before sourcing: STACK_BASE (the core's HTTP port; NATS is STACK_BASE+2143), OUT (logs).
# Environment: BIN (./bin), LOADTEST_PG (postgres://postgres@127.0.0.1:5432),
# LOADTEST_REDIS_URL (redis://127.0.0.1:6379/7), AVATAR_BOOTSTRAP_PASSWORD.

BIN=${BIN:-$PWD/bin}
PG=${LOADTEST_PG:-postgres://postgres@127.0.0.1:5432}
mkdir -p "$OUT"

core_port=$STACK_BASE
core_url=http://127.0.0.1:$core_port
nats_addr=127.0.0.1:$((STACK_BASE + 2143))
export AVATAR_REDIS_URL=${LOADTEST_REDIS_URL:-redis://127.0.0.1:6379/7}
export AVATAR_BOOTSTRAP_EMAIL=loadtest-admin@avatar.local
export AVATAR_BOOTSTRAP_PASSWORD=${AVATAR_BOOTSTRAP_PASSWORD:-avatar-demo-password}
# The trainees the scripts seed share this password.
TRAINEE_PASSWORD=${AVATAR_DEMO_PASSWORD:-avatar-demo-password}

pids=()
stack_cleanup() {
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stack_cleanup EXIT INT TERM

# wait_ready NAME URL: until URL/readyz answers (30 s), else the log's tail and failure.
wait_ready() {
  for _ in $(seq 1 150); do
    if curl -fsS -o /dev/null "$2/readyz" 2>/dev/null; then echo "stack: $1: ready"; return 0; fi
    sleep 0.2
  done
  echo "stack: $1: not ready after 30 s; log: $OUT/$1.log" >&2
  tail -n 20 "$OUT/$1.log" >&2 || true
  return 1
}

# start_core: the core on core_url with the avatar_loadtest database.
start_core() {
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
}

# admin_token: an access token of the bootstrap super admin (one login).
admin_token() {
  curl -fsS -H 'Content-Type: application/json' \
    -d "{\"email\":\"$AVATAR_BOOTSTRAP_EMAIL\",\"password\":\"$AVATAR_BOOTSTRAP_PASSWORD\"}" \
    "$core_url/avatar.auth.v1.AuthService/Login" | jq -r .accessToken
}

# rpc TOKEN SERVICE/METHOD JSON: a Connect call; prints the response body.
rpc() {
  curl -fsS -H "Authorization: Bearer $1" -H 'Content-Type: application/json' -d "$3" "$core_url/avatar.$2"
}

# seed_trainees PATTERN COUNT: trainee accounts PATTERN with %d = 1..COUNT (password
# TRAINEE_PASSWORD) in the dealership Demo Motors (created when missing), idempotently and
# with one administrator login, so that each caller of a run signs in as its own trainee
# (avatar-loadtest and avatar-density -accounts COUNT).
seed_trainees() {
  local pattern=$1 count=$2 token dealer created=0 code email
  token=$(admin_token)
  dealer=$(rpc "$token" org.v1.OrgService/ListDealerships '{"pageSize":500}' |
    jq -r '.dealerships[]? | select(.name=="Demo Motors") | .id' | head -n1)
  if [ -z "$dealer" ]; then
    dealer=$(rpc "$token" org.v1.OrgService/CreateDealership '{"name":"Demo Motors"}' | jq -r .dealership.id)
  fi
  for i in $(seq 1 "$count"); do
    # shellcheck disable=SC2059 # the pattern is the format
    email=$(printf "$pattern" "$i")
    code=$(curl -sS -o "$OUT/seed-user.json" -w '%{http_code}' -H "Authorization: Bearer $token" \
      -H 'Content-Type: application/json' \
      -d "{\"dealershipId\":\"$dealer\",\"email\":\"$email\",\"password\":\"$TRAINEE_PASSWORD\",\"role\":\"ROLE_TRAINEE\",\"displayName\":\"Load caller $i\"}" \
      "$core_url/avatar.org.v1.OrgService/CreateUser")
    case $code in
      200) created=$((created + 1)) ;;
      409) ;; # already there
      *) echo "stack: create trainee $email: HTTP $code: $(cat "$OUT/seed-user.json")" >&2; return 1 ;;
    esac
  done
  echo "stack: $count trainees $pattern ($created created)"
}

# start_edge NAME PORT UDP [VAR=value...]: an avatar-edge with its production defaults on
# 127.0.0.1:PORT (media on UDP), region NAME, talking to this core; sets edge_pid.
start_edge() {
  local name=$1 port=$2 udp=$3
  shift 3
  env AVATAR_REGION="$name" AVATAR_EDGE_ID="loadtest-$name" AVATAR_EDGE_ADDR="127.0.0.1:$port" \
    AVATAR_EDGE_UDP_PORT="$udp" AVATAR_EDGE_URL="http://127.0.0.1:$port" AVATAR_CORE_URL="$core_url" \
    AVATAR_TOKEN_ISSUER="$core_url" AVATAR_NATS_URL="nats://$nats_addr" "$@" \
    "$BIN/avatar-edge" >"$OUT/edge-$name.log" 2>&1 &
  edge_pid=$!
  pids+=("$edge_pid")
  wait_ready "edge-$name" "http://127.0.0.1:$port"
}

# stop_edge PID: SIGTERM (the edge drains its calls) and wait for it to exit.
stop_edge() {
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  local keep=()
  for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  pids=("${keep[@]}")
}
