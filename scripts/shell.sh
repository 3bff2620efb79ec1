#!/usr/bin/env bash
# Chat with the assistant in the terminal. Uses the action server of a
# running `make run` if there is one, otherwise starts its own.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$(pwd)/.venv/bin:$PATH" TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1
if ! python -m clinic_core.wait_for http://127.0.0.1:5055/health 1 2>/dev/null; then
  python -m actions.serve --port 5055 > var/actions-shell.log 2>&1 &
  trap "kill $! 2>/dev/null || true" EXIT INT TERM
  python -m clinic_core.wait_for http://127.0.0.1:5055/health 60
fi
rasa shell -m models/clinic.tar.gz --endpoints endpoints.yml --port "${SHELL_PORT:-5006}"
