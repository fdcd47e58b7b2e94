#!/usr/bin/env bash
# deploy/dev/services.sh — install what is missing and start what is stopped for a
# development / CI machine running Debian 12 (bookworm), idempotently:
#
#   * Debian packages: PostgreSQL 15 + server headers, Redis 7, NATS (JetStream), and the
#     C libraries / tools the Go modules need for cgo and ingestion (see PACKAGES below).
#   * PostgreSQL 15 cluster listening on $AVATAR_PGHOST:$AVATAR_PGPORT (reused if up).
#   * pgvector 0.8, built from Debian trixie's `pgvector` *source* package against the
#     installed server (bookworm has no 0.8), fetched with a private, isolated apt state.
#   * Redis on 127.0.0.1:6379, nats-server -js on 127.0.0.1:4222 (reused if up).
#   * Databases `avatar` and `avatar_test`, each with the `vector` extension.
#
# Output: exactly one line per thing on stdout, `services: <thing>: <action>` with action
# one of ok | installed | built | started | created | configured. A failure prints
# `services: <thing>: FAILED: <reason>` on stderr and exits non-zero. Details of slow
# steps (apt, make) go to $AVATAR_DEV_STATE/services.log.
#
# Environment (all optional):
#   AVATAR_PGHOST (127.0.0.1)  AVATAR_PGPORT (5432)  AVATAR_PGUSER (postgres)
#   AVATAR_REDIS_PORT (6379)  AVATAR_NATS_PORT (4222): local Redis / NATS ports
#   AVATAR_DEV_STATE (/var/cache/avatar-dev): private state (apt state, build dir, log)
#
# The no-op path (everything in place) runs no apt-get/apt-cache at all: one dpkg-query,
# a few port probes and a handful of psql queries — well under a second.
set -euo pipefail
set -E

PGVER=15
PGHOST_="${AVATAR_PGHOST:-127.0.0.1}"
PGPORT_="${AVATAR_PGPORT:-5432}"
PGUSER_="${AVATAR_PGUSER:-postgres}"
STATE="${AVATAR_DEV_STATE:-/var/cache/avatar-dev}"
LOG="$STATE/services.log"
REDIS_PORT="${AVATAR_REDIS_PORT:-6379}"
NATS_PORT="${AVATAR_NATS_PORT:-4222}"
DATABASES=(avatar avatar_test)
PGVECTOR_WANT='0.8'       # accepted major.minor of pgvector
PGVECTOR_SUITE=trixie     # Debian suite whose source package we build
MIRROR=http://deb.debian.org/debian   # same mirror host as /etc/apt/sources.list.d/debian.sources
ARCHIVE_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

# Exact Debian 12 package names (checked with apt-cache policy on bookworm).
PACKAGES=(
  "postgresql-$PGVER" "postgresql-server-dev-$PGVER"   # server + headers/pgxs (pgvector build)
  redis-server                                         # Redis 7.0
  nats-server                                          # NATS 2.9.10, JetStream with -js
  libopus-dev libopusfile-dev pkg-config               # media: opus codec via cgo
  libpocketsphinx-dev libsphinxbase-dev                # speech recognition via cgo
  pocketsphinx-en-us                                   # en-us acoustic model, cmudict, generic LM
  libespeak-ng-dev espeak-ng-data                      # speech synthesis via cgo
  flite1-dev libflite1                                 # Flite voices (slt, rms, awb, kal) via cgo
  poppler-utils                                        # pdftotext for document ingestion
  gcc make dpkg-dev                                    # cgo + pgvector build, dpkg-source
  jq curl                                              # make run: seeding and readiness probes
  prometheus                                           # promtool: make lint checks and unit-tests the alert rules
  chromium fonts-liberation                            # make test-web: headless browser for playwright-core
)

export DEBIAN_FRONTEND=noninteractive
export PGCONNECT_TIMEOUT=5

THING=setup
say()  { printf 'services: %s: %s\n' "$1" "$2"; }
fail() { printf 'services: %s: FAILED: %s\n' "$1" "$2" >&2; exit 1; }
on_err() {
  local rc=$? line=$1 cmd=$2
  printf 'services: %s: FAILED: command failed (exit %s, line %s): %s; see %s\n' \
    "$THING" "$rc" "$line" "$cmd" "$LOG" >&2
  exit "$rc"
}
trap 'on_err "$LINENO" "$BASH_COMMAND"' ERR

mkdir -p "$STATE"
# One run at a time (make test may call this concurrently with make run).
exec 9>"$STATE/lock"
if ! flock -w 600 9; then fail setup "another services.sh holds $STATE/lock"; fi
if [[ -f $LOG ]] && (($(stat -c %s "$LOG") > 1048576)); then mv -f "$LOG" "$LOG.1"; fi
printf '\n==== %s services.sh start\n' "$(date -Is)" >>"$LOG"

log_run() { # run a command with its output appended to the log
  printf '+ %s\n' "$*" >>"$LOG"
  "$@" >>"$LOG" 2>&1 9>&- # 9: the run lock, which started daemons must not inherit
}

port_open() { # host port -> 0 if something accepts TCP connections
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

wait_for() { # thing, command...: poll up to ~15 s
  local thing=$1; shift
  local i
  for ((i = 0; i < 60; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  fail "$thing" "did not come up within 15 s after start; see $LOG"
}

is_loopback() { [[ $1 == 127.* || $1 == localhost || $1 == ::1 ]]; }

psql_() { # db, sql -> unaligned tuples-only output
  psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$PGHOST_" -p "$PGPORT_" -U "$PGUSER_" -d "$1" -c "$2"
}

pg_config_bin() {
  if [[ -x /usr/lib/postgresql/$PGVER/bin/pg_config ]]; then
    echo "/usr/lib/postgresql/$PGVER/bin/pg_config"
  else
    command -v pg_config
  fi
}

# pgvector default_version from vector.control in the server's share dir ("" if absent).
pgvector_installed_version() {
  local pgc sharedir libdir ctl
  pgc=$(pg_config_bin 2>/dev/null) || { echo ""; return 0; }
  sharedir=$("$pgc" --sharedir 2>/dev/null) || { echo ""; return 0; }
  libdir=$("$pgc" --pkglibdir 2>/dev/null) || { echo ""; return 0; }
  ctl="$sharedir/extension/vector.control"
  if [[ -f $ctl && -f $libdir/vector.so ]]; then
    sed -n "s/^[[:space:]]*default_version[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" "$ctl"
  else
    echo ""
  fi
}
pgvector_ok() { [[ $(pgvector_installed_version) == "$PGVECTOR_WANT".* ]]; }

trixie_keys_present() {
  # bookworm's debian-archive-keyring >= 2023.3+deb12u1 ships the trixie keys (both in the
  # combined keyring and as per-release files); older ones do not.
  [[ -s /usr/share/keyrings/debian-archive-trixie-automatic.gpg && -s $ARCHIVE_KEYRING ]]
}

# ---------------------------------------------------------------------------------------
# 1. Debian packages: one dpkg-query over the whole list, one update + one install if needed.
# ---------------------------------------------------------------------------------------
THING=packages
declare -A have=()
while IFS=' ' read -r name status; do
  if [[ $status == "install ok installed" ]]; then have[$name]=1; fi
done < <(dpkg-query -W -f='${Package} ${Status}\n' "${PACKAGES[@]}" 2>/dev/null || true)

missing=()
for p in "${PACKAGES[@]}"; do
  if [[ -z ${have[$p]:-} ]]; then missing+=("$p"); fi
done

# The private trixie apt update needs the trixie archive keys. If pgvector will have to be
# built and the keyring predates them, upgrade debian-archive-keyring from bookworm (its
# point releases carry the trixie keys) in the same install call.
keyring_upgrade=0
if ! pgvector_ok && ! trixie_keys_present; then missing+=(debian-archive-keyring); keyring_upgrade=1; fi

installed_pg=0
if ((${#missing[@]})); then
  for p in "${missing[@]}"; do
    if [[ $p == "postgresql-$PGVER" ]]; then installed_pg=1; fi
  done
  if ! log_run apt-get update; then fail packages "apt-get update failed; see $LOG"; fi
  if ! log_run apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=120 "${missing[@]}"; then
    fail packages "apt-get install ${missing[*]} failed; see $LOG"
  fi
fi
for p in "${PACKAGES[@]}"; do
  if [[ -n ${have[$p]:-} ]]; then say "package $p" ok; else say "package $p" installed; fi
done
if ((keyring_upgrade)); then
  trixie_keys_present || fail "package debian-archive-keyring" "installed keyring still lacks the Debian 13/trixie archive keys"
  say "package debian-archive-keyring" installed
fi

# ---------------------------------------------------------------------------------------
# 2. PostgreSQL: reuse whatever listens on PGHOST:PGPORT, else start (or create) a local
#    PostgreSQL 15 cluster on that port.
# ---------------------------------------------------------------------------------------
THING="postgresql $PGVER ($PGHOST_:$PGPORT_)"
pg_ready() { pg_isready -q -h "$PGHOST_" -p "$PGPORT_" -U "$PGUSER_"; }

# The name of the local cluster of version $PGVER configured for $PGPORT_ (empty if none).
pg_cluster() {
  local ver name port _
  while read -r ver name port _; do
    if [[ $ver == "$PGVER" && $port == "$PGPORT_" ]]; then echo "$name"; return; fi
  done < <(pg_lsclusters -h 2>/dev/null || true)
}

# Loopback trust auth, dev only: first-match lines prepended to pg_hba.conf.
configure_trust() { # conf dir
  local hba="$1/pg_hba.conf"
  if ! grep -q '^# avatar-dev: loopback trust' "$hba"; then
    local tmp
    tmp=$(mktemp)
    {
      echo '# avatar-dev: loopback trust (development machines only; added by deploy/dev/services.sh)'
      echo 'host    all    all    127.0.0.1/32    trust'
      echo 'host    all    all    ::1/128         trust'
      cat "$hba"
    } >"$tmp"
    cat "$tmp" >"$hba"   # keep owner/mode of the original file
    rm -f "$tmp"
    say "postgresql loopback trust auth" created
  fi
}

if port_open "$PGHOST_" "$PGPORT_"; then
  wait_for "$THING" pg_ready
  say "$THING" ok
else
  is_loopback "$PGHOST_" || fail "$THING" "nothing listens on $PGHOST_:$PGPORT_ and it is not a local address"
  cluster=$(pg_cluster)
  if [[ -z $cluster ]]; then
    if [[ -d /etc/postgresql/$PGVER/main ]]; then
      fail "$THING" "cluster $PGVER/main exists but is not configured for port $PGPORT_"
    fi
    log_run pg_createcluster --port "$PGPORT_" "$PGVER" main
    cluster=main
    installed_pg=1   # a cluster of ours: give it the same dev auth as a fresh install
    say "postgresql cluster $PGVER/main" created
  fi
  if ((installed_pg)); then configure_trust "/etc/postgresql/$PGVER/$cluster"; fi
  # The machine's own start command (go-svc.md), for our version/cluster.
  log_run pg_ctlcluster --skip-systemctl-redirect "$PGVER" "$cluster" start ||
    fail "$THING" "pg_ctlcluster $PGVER $cluster start failed; see $LOG and /var/log/postgresql/"
  wait_for "$THING" pg_ready
  say "$THING" started
fi
# A server we installed ourselves but that was started by the package's postinst already:
# make sure the trust lines are there and loaded.
if ((installed_pg)) && is_loopback "$PGHOST_" && [[ -f /etc/postgresql/$PGVER/main/pg_hba.conf ]] &&
  ! grep -q '^# avatar-dev: loopback trust' "/etc/postgresql/$PGVER/main/pg_hba.conf"; then
  configure_trust "/etc/postgresql/$PGVER/main"
  log_run pg_ctlcluster --skip-systemctl-redirect "$PGVER" main reload || true
fi
# Connectivity check, and the database list for step 6 in the same round trip.
if ! existing=" $(psql_ postgres "SELECT string_agg(datname, ' ') FROM pg_database" 2>>"$LOG") "; then
  fail "$THING" "cannot connect as $PGUSER_ via $PGHOST_:$PGPORT_ (trust auth expected); see $LOG"
fi

# ---------------------------------------------------------------------------------------
# 2b. PostgreSQL memory and WAL settings for the knowledge write path (local servers only;
#     AVATAR_PG_TUNE=0 leaves the server as it is).
#
# The server's defaults (128 MB shared_buffers, 1 GB max_wal_size, 5 min checkpoints) suit
# a small shared machine. With them a 100,000-chunk dealership's search indexes (about
# 4 GB) do not stay in PostgreSQL's buffers, and the checkpoints that 1 GB of WAL forces
# every few seconds make each first touch of an index page after them log the whole page:
# make bench-retrieval measured ~1 MB of WAL and ~125 full-page images per ingested chunk,
# and ingestion at 124-138 chunks/s; with the settings below 186-198 chunks/s
# (core/internal/knowledge/README.md). Values follow PostgreSQL's own guidance for a
# dedicated server: shared_buffers a quarter of RAM (at most 8 GB), max_wal_size an eighth
# of the data directory's free disk (1-8 GB), checkpoints every 15 min, lz4 compression of
# full-page images. A setting is only ever raised, never lowered. shared_buffers needs a
# restart: done here when the server is a local cluster of ours (pg_ctlcluster), else
# left pending (and logged).
# ---------------------------------------------------------------------------------------
THING="postgresql settings"
if [[ ${AVATAR_PG_TUNE:-1} != 0 ]] && is_loopback "$PGHOST_"; then
  mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
  sb_mb=$((mem_kb / 4 / 1024))
  if ((sb_mb > 8192)); then sb_mb=8192; fi
  if ((sb_mb < 128)); then sb_mb=128; fi
  datadir=$(psql_ postgres 'SHOW data_directory' 2>>"$LOG") || datadir=""
  free_gb=$(df -P -k "${datadir:-/}" 2>/dev/null | awk 'NR == 2 {print int($4 / 1048576)}')
  wal_gb=$((${free_gb:-8} / 8))
  if ((wal_gb > 8)); then wal_gb=8; fi
  if ((wal_gb < 1)); then wal_gb=1; fi
  # The settings below what we want, as name=value (sizes compared in bytes, times in s).
  lower=$(psql_ postgres "WITH w(name, val, want) AS (VALUES
      ('shared_buffers', '${sb_mb}MB', ${sb_mb}::numeric * 1048576),
      ('max_wal_size', '${wal_gb}GB', ${wal_gb}::numeric * 1073741824),
      ('checkpoint_timeout', '15min', 900),
      ('wal_compression', 'lz4', NULL))
    SELECT string_agg(w.name || '=' || w.val, ' ' ORDER BY w.name) FROM w JOIN pg_settings s USING (name)
    WHERE s.pending_restart OR CASE
      WHEN s.unit IS NULL THEN s.setting IN ('off', 'pglz')
      WHEN s.unit = 's' THEN s.setting::numeric < w.want
      ELSE s.setting::numeric * pg_size_bytes(CASE WHEN s.unit ~ '^[0-9]' THEN s.unit ELSE '1' || s.unit END) < w.want
    END" 2>>"$LOG") || fail "$THING" "cannot read pg_settings; see $LOG"
  if [[ -z $lower ]]; then
    say "$THING" ok
  else
    for kv in $lower; do
      psql_ postgres "ALTER SYSTEM SET ${kv%%=*} = '${kv#*=}'" >>"$LOG" 2>&1 ||
        fail "$THING" "ALTER SYSTEM SET $kv failed (superuser needed; AVATAR_PG_TUNE=0 skips this); see $LOG"
    done
    psql_ postgres 'SELECT pg_reload_conf()' >>"$LOG" 2>&1 || fail "$THING" "pg_reload_conf failed; see $LOG"
    sleep 0.2
    if [[ -n $(psql_ postgres "SELECT string_agg(name, ' ') FROM pg_settings WHERE pending_restart" 2>>"$LOG") ]]; then
      cluster=$(pg_cluster)
      if [[ -n $cluster ]]; then
        log_run pg_ctlcluster --skip-systemctl-redirect "$PGVER" "$cluster" restart ||
          fail "$THING" "pg_ctlcluster $PGVER $cluster restart failed; see $LOG and /var/log/postgresql/"
        wait_for "$THING" pg_ready
      else
        printf 'services.sh: %s set; a restart of the server on port %s applies shared_buffers\n' "$lower" "$PGPORT_" >>"$LOG"
      fi
    fi
    printf 'services.sh: postgresql settings raised: %s\n' "$lower" >>"$LOG"
    say "$THING" configured
  fi
else
  say "$THING" ok
fi

# ---------------------------------------------------------------------------------------
# 3. pgvector 0.8 from Debian trixie's source package, built against the installed server.
#
# Apt isolation: a private APT_CONFIG (read before anything else) points every piece of
# state apt would touch at $STATE/apt: its own sources.list (deb-src trixie only), empty
# sources.list.d / preferences.d / apt.conf.d, its own Dir::State (lists, extended_states),
# Dir::Cache (pkgcache, archives) and an empty dpkg status file. The machine's
# /etc/apt/apt.conf.d is not read at all (so none of its update hooks run); only its
# network policy (the Acquire:: tree: proxies, date/validity checks, retries) is copied
# over. /etc/apt and /var/lib/apt, /var/cache/apt are left untouched.
#
# Signatures: the sources entry is `signed-by` the Debian archive keyring from bookworm's
# debian-archive-keyring package, which carries the Debian 13/trixie archive and release
# keys; apt verifies the trixie InRelease with it (gpgv) and refuses the index if the
# signature fails — verification is never disabled. The downloaded .dsc/.orig/.debian
# files are checked by apt against the hashes in the signed Sources index.
# ---------------------------------------------------------------------------------------
THING=pgvector
pgc=$(pg_config_bin) || fail pgvector "pg_config not found (postgresql-server-dev-$PGVER missing?)"
[[ -f $("$pgc" --includedir-server)/postgres.h ]] || fail pgvector "server headers missing for $pgc"

if pgvector_ok; then
  say "pgvector $(pgvector_installed_version)" ok
else
  trixie_keys_present || fail pgvector "no Debian 13/trixie archive keys in $ARCHIVE_KEYRING"
  apt_dir="$STATE/apt"
  mkdir -p "$apt_dir"/{etc/sources.list.d,etc/preferences.d,etc/apt.conf.d,state/lists/partial,cache/archives/partial}
  : >"$apt_dir/state/dpkg-status"
  printf 'deb-src [signed-by=%s] %s %s main\n' "$ARCHIVE_KEYRING" "$MIRROR" "$PGVECTOR_SUITE" \
    >"$apt_dir/etc/sources.list"
  {
    # The machine's network policy (proxies, Check-Valid-Until/Check-Date for the
    # snapshot mirror, retries); not its index targets, hooks or Dir settings.
    apt-config dump Acquire 2>/dev/null | grep -v -e '^Acquire::IndexTargets' -e '^Acquire::Languages' -e '^Acquire::GzipIndexes' || true
    cat <<EOF
Dir::Etc::parts "$apt_dir/etc/apt.conf.d";
Dir::Etc::main "/dev/null";
Dir::Etc::sourcelist "$apt_dir/etc/sources.list";
Dir::Etc::sourceparts "$apt_dir/etc/sources.list.d";
Dir::Etc::preferences "$apt_dir/etc/preferences";
Dir::Etc::preferencesparts "$apt_dir/etc/preferences.d";
Dir::Etc::trusted "$apt_dir/etc/trusted.gpg";
Dir::Etc::trustedparts "$apt_dir/etc/trusted.gpg.d";
Dir::State "$apt_dir/state";
Dir::State::lists "$apt_dir/state/lists";
Dir::State::status "$apt_dir/state/dpkg-status";
Dir::State::extended_states "$apt_dir/state/extended_states";
Dir::Cache "$apt_dir/cache";
Dir::Cache::archives "$apt_dir/cache/archives";
Dir::Cache::pkgcache "$apt_dir/cache/pkgcache.bin";
Dir::Cache::srcpkgcache "$apt_dir/cache/srcpkgcache.bin";
Acquire::Languages "none";
Acquire::PDiffs "false";
Acquire::AllowInsecureRepositories "false";
Acquire::AllowWeakRepositories "false";
Acquire::AllowDowngradeToInsecureRepositories "false";
APT::Get::Only-Source "true";
EOF
  } >"$apt_dir/apt.conf"
  mkdir -p "$apt_dir/etc/trusted.gpg.d"

  THING="pgvector (apt-get update $PGVECTOR_SUITE, private state)"
  if ! APT_CONFIG="$apt_dir/apt.conf" log_run apt-get update; then
    fail "$THING" "failed; see $LOG"
  fi
  if ! compgen -G "$apt_dir/state/lists/*_dists_${PGVECTOR_SUITE}_main_source_Sources*" >/dev/null; then
    fail "$THING" "no verified $PGVECTOR_SUITE Sources index (signature or download failure); see $LOG"
  fi

  THING="pgvector (apt-get source)"
  src_dir="$STATE/src"
  rm -rf "$src_dir"
  mkdir -p "$src_dir"
  chown _apt:root "$src_dir" 2>/dev/null || true   # apt downloads as the sandbox user _apt
  if ! (cd "$src_dir" && APT_CONFIG="$apt_dir/apt.conf" log_run apt-get source --download-only pgvector); then
    fail "$THING" "apt-get source --download-only pgvector failed; see $LOG"
  fi
  dsc=$(compgen -G "$src_dir/pgvector_*.dsc" | head -n1) || true
  [[ -n $dsc ]] || fail "$THING" "no pgvector .dsc downloaded; see $LOG"
  srcver=${dsc##*/pgvector_}; srcver=${srcver%.dsc}; upver=${srcver%%-*}; upver=${upver#*:}
  [[ $upver == "$PGVECTOR_WANT".* ]] ||
    fail "$THING" "$PGVECTOR_SUITE has pgvector $srcver, want $PGVECTOR_WANT.x"

  THING="pgvector $upver"
  build_dir="$STATE/build"
  rm -rf "$build_dir"
  mkdir -p "$build_dir"
  # dpkg-source checks the files against the .dsc checksums and applies the Debian patches.
  log_run dpkg-source -x "$dsc" "$build_dir/pgvector" || fail "$THING" "dpkg-source -x failed; see $LOG"
  # OPTFLAGS="" instead of pgvector's default -march=native, so the module keeps working
  # if the VM lands on another CPU model (Debian builds it the same way).
  log_run make -C "$build_dir/pgvector" -j"$(nproc)" USE_PGXS=1 PG_CONFIG="$pgc" OPTFLAGS="" ||
    fail "$THING" "make failed; see $LOG"
  log_run make -C "$build_dir/pgvector" USE_PGXS=1 PG_CONFIG="$pgc" OPTFLAGS="" install ||
    fail "$THING" "make install failed; see $LOG"
  # The 50+ MB trixie Sources index and caches are only needed for this build.
  rm -rf "$build_dir" "$apt_dir/state/lists" "$apt_dir/cache"
  pgvector_ok || fail "$THING" "installed but $("$pgc" --sharedir)/extension/vector.control is not $PGVECTOR_WANT.x"
  say "pgvector $(pgvector_installed_version)" built
fi

# ---------------------------------------------------------------------------------------
# 4. Redis 7 on 127.0.0.1:6379.
# ---------------------------------------------------------------------------------------
THING="redis 127.0.0.1:$REDIS_PORT"
redis_ping() { [[ $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }
if port_open 127.0.0.1 "$REDIS_PORT"; then
  action=ok
else
  mkdir -p /var/lib/redis /var/log/redis
  chown redis:redis /var/lib/redis /var/log/redis 2>/dev/null || true
  redis_log=/var/log/redis/ci.log
  [[ $REDIS_PORT == 6379 ]] || redis_log=/var/log/redis/ci-$REDIS_PORT.log
  # The machine's own start command (go-svc.md); it keeps nothing on disk.
  log_run redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
    --appendonly no --dir /var/lib/redis --logfile "$redis_log" ||
    fail "$THING" "redis-server failed to start; see $LOG"
  action=started
fi
wait_for "$THING" redis_ping
rv=$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" INFO server 2>/dev/null | sed -n 's/^redis_version:\([0-9]*\).*/\1/p')
[[ ${rv:-0} -ge 7 ]] || fail "$THING" "Redis on port $REDIS_PORT is version ${rv:-unknown}, want 7+"
say "$THING" "$action"

# ---------------------------------------------------------------------------------------
# 5. NATS with JetStream on 127.0.0.1:4222.
# ---------------------------------------------------------------------------------------
THING="nats-server jetstream 127.0.0.1:$NATS_PORT"
nats_info() { # prints the server's INFO line
  local line
  exec 8<>"/dev/tcp/127.0.0.1/$NATS_PORT" || return 1
  IFS= read -r -t 3 line <&8 || { exec 8<&-; return 1; }
  exec 8<&-
  printf '%s\n' "$line"
}
if port_open 127.0.0.1 "$NATS_PORT"; then
  action=ok
else
  nats_sd=/var/lib/nats-server nats_log=/var/log/nats-server.log
  if [[ $NATS_PORT != 4222 ]]; then # never share a JetStream store between two servers
    nats_sd=/var/lib/nats-server-$NATS_PORT nats_log=/var/log/nats-server-$NATS_PORT.log
  fi
  mkdir -p "$nats_sd"
  # The machine's own start command (go-svc.md), plus a per-port pidfile: with --exec
  # alone, a nats-server running on another port would make this start a silent no-op.
  log_run start-stop-daemon --start --oknodo --background \
    --make-pidfile --pidfile "/run/avatar-dev-nats-$NATS_PORT.pid" --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$nats_sd" -l "$nats_log" ||
    fail "$THING" "start-stop-daemon failed; see $LOG"
  action=started
fi
wait_for "$THING" port_open 127.0.0.1 "$NATS_PORT"
info=$(nats_info) || fail "$THING" "no INFO from the server on port $NATS_PORT"
[[ $info == *'"jetstream":true'* ]] ||
  fail "$THING" "a NATS server listens on $NATS_PORT but JetStream is not enabled (restart it with -js)"
say "$THING" "$action"

# ---------------------------------------------------------------------------------------
# 6. Databases with the vector extension.
# ---------------------------------------------------------------------------------------
for db in "${DATABASES[@]}"; do
  THING="database $db"
  if [[ $existing == *" $db "* ]]; then
    say "$THING" ok
  else
    psql_ postgres "CREATE DATABASE \"$db\"" >>"$LOG" 2>&1 || fail "$THING" "CREATE DATABASE failed; see $LOG"
    say "$THING" created
  fi
  THING="extension vector in $db"
  ev=$(psql_ "$db" "SELECT extversion FROM pg_extension WHERE extname='vector'" 2>>"$LOG")
  if [[ $ev == "$PGVECTOR_WANT".* ]]; then
    say "extension vector $ev in $db" ok
  elif [[ -z $ev ]]; then
    psql_ "$db" 'CREATE EXTENSION IF NOT EXISTS vector' >>"$LOG" 2>&1 || fail "$THING" "CREATE EXTENSION failed; see $LOG"
    ev=$(psql_ "$db" "SELECT extversion FROM pg_extension WHERE extname='vector'")
    say "extension vector $ev in $db" created
  else
    psql_ "$db" 'ALTER EXTENSION vector UPDATE' >>"$LOG" 2>&1 || fail "$THING" "ALTER EXTENSION vector UPDATE from $ev failed; see $LOG"
    ev=$(psql_ "$db" "SELECT extversion FROM pg_extension WHERE extname='vector'")
    [[ $ev == "$PGVECTOR_WANT".* ]] || fail "$THING" "extension is at $ev after update, want $PGVECTOR_WANT.x"
    say "extension vector $ev in $db" installed
  fi
done

printf '==== %s services.sh done\n' "$(date -Is)" >>"$LOG"
