#!/usr/bin/env bash
# deploy/dev/services_test.sh — runs services.sh twice and checks:
#   * both runs exit 0 and print only well-formed `services: <thing>: <action>` lines;
#   * the second run is a no-op: every action is `ok` (idempotence), and it is fast;
#   * databases avatar and avatar_test exist with the vector extension at 0.8.x, and it works;
#   * the machine's apt configuration and lists are untouched by the private trixie apt state.
# Ends with `N passed, M failed`; exits 1 if anything failed. Called from `make test`.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SERVICES_SH="${SERVICES_SH:-$here/services.sh}"
PGHOST_="${AVATAR_PGHOST:-127.0.0.1}"
PGPORT_="${AVATAR_PGPORT:-5432}"
PGUSER_="${AVATAR_PGUSER:-postgres}"
NOOP_MAX_SECONDS="${NOOP_MAX_SECONDS:-5}"

passed=0
failed=0
check() { # name, command...
  local name=$1; shift
  if "$@"; then
    passed=$((passed + 1)); echo "ok   - $name"
  else
    failed=$((failed + 1)); echo "FAIL - $name"
  fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

apt_etc_sum() {
  find /etc/apt -type f -print0 2>/dev/null | sort -z | xargs -0 -r sha256sum | sha256sum | cut -d' ' -f1
}
apt_lists() { find /var/lib/apt/lists -mindepth 1 -printf '%P\n' 2>/dev/null | sort; }

etc_before=$(apt_etc_sum)
apt_lists >"$tmp/lists.before"

run() { # n -> files $tmp/out.n, err.n, rc.n, secs.n
  local n=$1 start end rc=0
  start=$(date +%s%N)
  bash "$SERVICES_SH" >"$tmp/out.$n" 2>"$tmp/err.$n" || rc=$?
  end=$(date +%s%N)
  echo "$rc" >"$tmp/rc.$n"
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f\n", (e - s) / 1e9 }' >"$tmp/secs.$n"
  echo "# run $n: exit $rc in $(cat "$tmp/secs.$n") s"
  sed 's/^/#   /' "$tmp/out.$n" "$tmp/err.$n"
}
run 1
run 2

line_re='^services: .+: (ok|installed|built|started|created|configured)$'
well_formed() { [[ -s $1 ]] && ! grep -qvE "$line_re" "$1"; }
only_ok() { [[ -s $1 ]] && ! grep -qv ': ok$' "$1"; }
no_failed() { ! grep -q 'FAILED' "$1"; }
is_08() { [[ $1 == 0.8.* ]]; }
fast() { awk -v s="$(cat "$1")" -v m="$NOOP_MAX_SECONDS" 'BEGIN { exit !(s + 0 < m + 0) }'; }

check "first run exits 0" test "$(cat "$tmp/rc.1")" = 0
check "first run prints only well-formed lines" well_formed "$tmp/out.1"
check "first run reports no failure" no_failed "$tmp/err.1"
check "second run exits 0" test "$(cat "$tmp/rc.2")" = 0
check "second run prints only well-formed lines" well_formed "$tmp/out.2"
check "second run is a no-op (every action is ok)" only_ok "$tmp/out.2"
check "second run takes < ${NOOP_MAX_SECONDS}s ($(cat "$tmp/secs.2")s)" fast "$tmp/secs.2"
check "pgvector 0.8 reported" grep -qE '^services: pgvector 0\.8\.[0-9]+: (ok|built)$' "$tmp/out.2" "$tmp/out.1"

psql_() {
  psql -X -q -A -t -h "$PGHOST_" -p "$PGPORT_" -U "$PGUSER_" -d "$1" -c "$2" 2>/dev/null
}
for db in avatar avatar_test; do
  check "database $db exists" test "$(psql_ postgres "SELECT count(*) FROM pg_database WHERE datname='$db'")" = 1
  ev=$(psql_ "$db" "SELECT extversion FROM pg_extension WHERE extname='vector'" || true)
  check "vector extension in $db is 0.8.x (${ev:-none})" is_08 "$ev"
done
check "vector works: L2 distance [1,2,3] <-> [1,2,5] = 2" \
  test "$(psql_ avatar_test "SELECT '[1,2,3]'::vector <-> '[1,2,5]'::vector")" = 2
check "hnsw index builds (0.5+ access method)" \
  test "$(psql_ avatar_test "BEGIN; CREATE TEMP TABLE t (v vector(3)); CREATE INDEX ON t USING hnsw (v vector_l2_ops); INSERT INTO t VALUES ('[1,2,3]'); SELECT count(*) FROM t; ROLLBACK;" | tail -n1)" = 1

# apt isolation: /etc/apt byte-for-byte unchanged; /var/lib/apt/lists unchanged unless the
# first run installed packages (which legitimately runs the machine's `apt-get update`); in
# any case no trixie index ever lands in the machine's lists or sources.
check "/etc/apt unchanged" test "$(apt_etc_sum)" = "$etc_before"
apt_lists >"$tmp/lists.after"
if grep -q ': installed$' "$tmp/out.1"; then
  echo "# first run installed packages: machine apt lists may have been refreshed"
else
  check "/var/lib/apt/lists file list unchanged" cmp -s "$tmp/lists.before" "$tmp/lists.after"
fi
# shellcheck disable=SC2016 # expanded by the inner bash
check "no trixie index in /var/lib/apt/lists" bash -c '! grep -q trixie "$0"' "$tmp/lists.after"
check "no trixie source in the machine's apt sources" \
  bash -c '! grep -rqs "trixie" /etc/apt/sources.list /etc/apt/sources.list.d'
check "machine's apt does not see trixie" bash -c '! apt-cache policy 2>/dev/null | grep -q "n=trixie"'

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
