#!/usr/bin/env bash
# Runs the whole test suite: the lint gate first (ruff, mypy: scripts/lint.sh),
# then sets the checkout up (venv, spaCy pipeline, model), validates the
# training data, then one pytest run over unit tests, model tests (held-out
# accuracy, conversation stories) and tests that drive the running assistant
# over HTTP.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/lint.sh
scripts/setup.sh
scripts/install_test_deps.sh   # Debian's chromium, playwright-core (browser test)
export PATH="$(pwd)/.venv/bin:$PATH" TF_CPP_MIN_LOG_LEVEL=2 PYTHONHASHSEED=0 \
  RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1
echo "==> rasa data validate"
rasa data validate --fail-on-warnings --quiet > var/validate.log 2>&1 || { cat var/validate.log; exit 1; }
echo "==> pytest"
exec python -m pytest "${@:-tests}"
