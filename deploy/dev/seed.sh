#!/usr/bin/env bash
# Seeds demo data into a running core, idempotently: the dealership "Demo Motors", an admin
# and a trainee. Uses avatarctl with the bootstrap super admin's credentials.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-$PWD/bin}
export AVATAR_CORE_URL=${AVATAR_CORE_URL:-http://127.0.0.1:8080}
export AVATAR_EMAIL=${AVATAR_BOOTSTRAP_EMAIL:?}
export AVATAR_PASSWORD=${AVATAR_BOOTSTRAP_PASSWORD:?}
ctl() { "$BIN/avatarctl" "$@"; }

dealer=$(ctl list-dealerships | jq -r '.dealerships[]? | select(.name=="Demo Motors") | .id' | head -n1)
if [ -z "$dealer" ]; then
  dealer=$(ctl create-dealership -name "Demo Motors" | jq -r '.dealership.id')
  echo "seed: dealership Demo Motors: created"
else
  echo "seed: dealership Demo Motors: ok"
fi

existing=$(ctl list-users -dealership "$dealer" | jq -r '.users[]?.email')
add_user() { # email role name
  if grep -qx "$1" <<<"$existing"; then echo "seed: user $1: ok"; return; fi
  AVATAR_NEW_PASSWORD=${AVATAR_DEMO_PASSWORD:-avatar-demo-password} \
    ctl create-user -dealership "$dealer" -email "$1" -role "$2" -name "$3" >/dev/null
  echo "seed: user $1: created"
}
add_user manager@demo-motors.test admin "Dana Manager"
add_user trainee@demo-motors.test trainee "Terry Trainee"

# Knowledge documents, uploaded by the dealership admin (uploads are de-duplicated by
# content, so re-running is a no-op).
for doc in deploy/dev/demo/*.md; do
  status=$(AVATAR_EMAIL=manager@demo-motors.test AVATAR_PASSWORD=${AVATAR_DEMO_PASSWORD:-avatar-demo-password} \
    ctl upload-document -file "$doc" -tags demo | jq -r '.document.status')
  echo "seed: document $(basename "$doc"): $status"
done

# Scenarios: the six built-in ones come with the core; Demo Motors also has a copy of one,
# edited for its own menu, to show dealership scenarios beside the built-ins.
if ! AVATAR_EMAIL=manager@demo-motors.test AVATAR_PASSWORD=${AVATAR_DEMO_PASSWORD:-avatar-demo-password} \
    ctl list-scenarios | jq -e '.scenarios[]? | select(.title=="Demo Motors: service contract on a used truck")' >/dev/null; then
  AVATAR_EMAIL=manager@demo-motors.test AVATAR_PASSWORD=${AVATAR_DEMO_PASSWORD:-avatar-demo-password} \
    ctl copy-scenario -from "service contract" -title "Demo Motors: service contract on a used truck" >/dev/null
  echo "seed: scenario Demo Motors: service contract on a used truck: created"
else
  echo "seed: scenario Demo Motors: service contract on a used truck: ok"
fi
