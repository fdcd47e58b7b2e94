#!/usr/bin/env bash
# Gives the demo trainee a finished role-play session, so a newcomer sees real analytics
# at once. Idempotent: when trainee@demo-motors.test already has a finished session (as
# AnalyticsService/ListSessions shows it), it does nothing; otherwise it plays a short
# text role-play ("service contract") through a running edge with avatarctl chat, and
# waits until the core has recorded the session with its scorecard. Needs the core, an
# edge and the demo users (seed.sh); deploy/dev/run.sh calls it once the edges are ready.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-$PWD/bin}
CORE=${AVATAR_CORE_URL:-http://127.0.0.1:8080}
export AVATAR_EDGE_URL=${AVATAR_EDGE_URL:-http://127.0.0.1:8090}
export AVATAR_CORE_URL=$CORE
export AVATAR_EMAIL=trainee@demo-motors.test
export AVATAR_PASSWORD=${AVATAR_DEMO_PASSWORD:-avatar-demo-password}

token=$(curl -fsS -H 'Content-Type: application/json' \
  -d "$(jq -n --arg e "$AVATAR_EMAIL" --arg p "$AVATAR_PASSWORD" '{email: $e, password: $p}')" \
  "$CORE/avatar.auth.v1.AuthService/Login" | jq -r '.accessToken // empty')
if [ -z "$token" ]; then
  echo "seed-session: cannot sign in as $AVATAR_EMAIL (run seed.sh first)" >&2
  exit 1
fi

finished() { # the number of the trainee's finished sessions
  curl -fsS -H 'Content-Type: application/json' -H "Authorization: Bearer $token" -d '{"pageSize": 200}' \
    "$CORE/avatar.analytics.v1.AnalyticsService/ListSessions" | jq '[.sessions[]? | select(.endTime != null)] | length'
}

if [ "$(finished)" -gt 0 ]; then
  echo "seed: demo session of $AVATAR_EMAIL: ok"
  exit 0
fi

# A short role-play along most of the rubric: rapport, discovery, the whole menu, value
# before price, the objection acknowledged, an alternative, the disclosure, the ask. The
# objection is not isolated, so the scorecard has something to work on.
"$BIN/avatarctl" chat -mode role-play -scenario 'service contract' >/dev/null <<'LINES'
Congratulations on the new truck, Ray! Thanks for choosing us today.
How many miles do you usually drive in a year?
How long do you plan to keep the truck?
Let me show you the whole menu side by side: the service contract, GAP and tire and wheel, so you can pick what fits.
The service contract covers repairs like the transmission and the electrical system after the factory warranty runs out, so a breakdown does not hit your budget.
I understand the price is a concern, that makes sense.
We could also do the powertrain-only plan, which costs less per month.
Everything on the menu is optional, it is not required for the loan approval, and you can cancel it for a refund.
Would you like to add the service contract today?
LINES

for _ in $(seq 1 150); do
  if [ "$(finished)" -gt 0 ]; then
    echo "seed: demo session of $AVATAR_EMAIL: recorded"
    exit 0
  fi
  sleep 0.2
done
echo "seed-session: the session was played but the core has not recorded it after 30 s (is NATS up? see the core's log)" >&2
exit 1
