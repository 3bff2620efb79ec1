#!/usr/bin/env bash
# Chat with the assistant in the terminal. Uses the action server of a
# running `make run` if there is one, otherwise starts its own.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$(pwd)/.venv/bin:$PATH" TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1
if python -m clinic_core.wait_for http://127.0.0.1:5055/health 1 2>/dev/null; then
  # make run's action server answers only with its token (scripts/run.sh)
  [ -s var/action_token ] && export CLINIC_ACTION_TOKEN="$(cat var/action_token)"
else
  python -m actions.serve --host 127.0.0.1 --port 5055 > var/actions-shell.log 2>&1 &
  trap "kill $! 2>/dev/null || true" EXIT INT TERM
  python -m clinic_core.wait_for http://127.0.0.1:5055/health 60
fi
ENDPOINTS=endpoints.yml
if [ -n "${CLINIC_ACTION_TOKEN:-}" ]; then
  # rasa shell loads no channel, so the header goes into its endpoints (as a
  # ${CLINIC_ACTION_TOKEN} reference: the secret is not written to the file)
  python -m clinic_core.action_token endpoints.yml > var/endpoints-shell.yml
  ENDPOINTS=var/endpoints-shell.yml
fi
rasa shell -m models/clinic.tar.gz --endpoints "$ENDPOINTS" --port "${SHELL_PORT:-5006}"
