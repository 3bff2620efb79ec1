#!/usr/bin/env bash
# Starts the assistant with embedded defaults: the action server and the
# Rasa server, an SQLite tracker store under var/, no external services.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$(pwd)/.venv/bin:$PATH" TF_CPP_MIN_LOG_LEVEL=2 PYTHONHASHSEED=0 RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1

RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
STAFF_PORT=${STAFF_PORT:-5080}    # the staff console (issue 14, docs/console.md)
# The HTTP API (trackers, model) is on, behind a token; the clinic sets its own.
RASA_API_TOKEN=${RASA_API_TOKEN:-$(python -c 'import secrets; print(secrets.token_urlsafe(24))')}

# The website widget (served by Rasa at /widget/, see channels/edge.py) may
# connect from these origins: the demo page's own, plus the clinic's site.
export CLINIC_SITE_ORIGINS="${CLINIC_SITE_ORIGINS:+$CLINIC_SITE_ORIGINS,}http://localhost:$RASA_PORT,http://127.0.0.1:$RASA_PORT"

# endpoints.yml names the action server on 5055; another port gets its own copy.
ENDPOINTS=endpoints.yml
if [ "$ACTIONS_PORT" != 5055 ]; then
  sed "s#127.0.0.1:5055#127.0.0.1:$ACTIONS_PORT#" endpoints.yml > var/endpoints.yml
  ENDPOINTS=var/endpoints.yml
fi

# The action server listens on loopback only, and answers only Rasa: both get
# the same token (clinic_core/action_token.py), a new one per start unless the
# clinic sets CLINIC_ACTION_TOKEN. `make shell` reads it from var/action_token.
export CLINIC_ACTION_TOKEN=${CLINIC_ACTION_TOKEN:-$(python -c 'import secrets; print(secrets.token_urlsafe(32))')}
(umask 077 && printf '%s\n' "$CLINIC_ACTION_TOKEN" > var/action_token)

python -m actions.serve --host 127.0.0.1 --port "$ACTIONS_PORT" > var/actions.log 2>&1 &
ACTIONS_PID=$!
trap 'kill $ACTIONS_PID 2>/dev/null || true; rm -f var/action_token' EXIT INT TERM
python -m clinic_core.wait_for "http://127.0.0.1:$ACTIONS_PORT/health" 60 || { cat var/actions.log; exit 1; }

# The staff console (its own process): signs its cookies with STAFF_SECRET_KEY.
# A key generated here lasts until the next start (everyone signs in again);
# set your own to keep sessions across restarts.
STAFF_KEY_NOTE="from STAFF_SECRET_KEY"
if [ -z "${STAFF_SECRET_KEY:-}" ]; then
  STAFF_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(48))')
  STAFF_KEY_NOTE="generated for this run (set STAFF_SECRET_KEY to keep sign-ins across restarts)"
fi
STAFF_SECRET_KEY="$STAFF_SECRET_KEY" STAFF_PORT="$STAFF_PORT" STAFF_HOST="${STAFF_HOST:-127.0.0.1}" \
  RASA_URL="http://127.0.0.1:$RASA_PORT" RASA_API_TOKEN="$RASA_API_TOKEN" \
  RASA_TRACKER_DB_URL="${RASA_TRACKER_DB_URL:-sqlite:///$(pwd)/var/rasa_tracker.db}" \
  python -m staff_console > var/console.log 2>&1 &
CONSOLE_PID=$!
trap 'kill $ACTIONS_PID $CONSOLE_PID 2>/dev/null || true; rm -f var/action_token' EXIT INT TERM
python -m clinic_core.wait_for "http://127.0.0.1:$STAFF_PORT/healthz" 60 || { cat var/console.log; exit 1; }
HAS_ADMIN=$(python -c 'from clinic_core.booking_store import BookingStore; from clinic_core.staff import StaffDirectory; print(int(StaffDirectory(BookingStore()).has_admin()))')

cat <<MSG
==> action server on http://127.0.0.1:$ACTIONS_PORT, loopback only, behind a token (log: var/actions.log)
==> starting the assistant on http://127.0.0.1:$RASA_PORT
    chat in the terminal:   make shell   (in another terminal)
    website widget (open in a browser): http://localhost:$RASA_PORT/widget/
    REST:  curl -s localhost:$RASA_PORT/webhooks/rest/webhook -d '{"sender":"me","message":"hi"}'
    API token (for /conversations/...): $RASA_API_TOKEN
==> staff console on http://${STAFF_HOST:-127.0.0.1}:$STAFF_PORT/login (log: var/console.log; secret key $STAFF_KEY_NOTE)
MSG
if [ "$HAS_ADMIN" != 1 ]; then
  echo "    no staff account yet: create the first admin (asks for the password):"
  echo "      .venv/bin/python -m staff_console.accounts create-admin --username YOU --name \"Your Name\""
fi
rasa run -m models/clinic.tar.gz --endpoints "$ENDPOINTS" --credentials credentials.yml \
  --port "$RASA_PORT" --enable-api --auth-token "$RASA_API_TOKEN" --cors "${RASA_CORS:-http://localhost:$RASA_PORT}"
