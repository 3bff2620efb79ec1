#!/usr/bin/env bash
# Runs the whole test suite: the lint gate (ruff, mypy: scripts/lint.sh), the
# checkout set up (venv, spaCy pipeline, fine-tuned encoder, model), the
# training data validated, then one pytest run over unit tests, model tests
# (held-out accuracy, conversation stories) and tests that drive the running
# assistant over HTTP.
#
# On a fresh machine most of the time before pytest is the encoder's
# fine-tune and the training (CPU), while the browser-test installs wait on
# the network and the lint gate needs only the pinned packages: those two run
# beside setup, each into its own log, and any failure of either still fails
# this script (printed in full) before pytest starts.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var

scripts/install_test_deps.sh > var/install_test_deps.log 2>&1 &  # Chromium, playwright-core
deps=$!
scripts/setup.sh deps        # .venv and its pinned packages: what lint's mypy reads
scripts/lint.sh > var/lint.log 2>&1 &
lint=$!
scripts/setup.sh             # spaCy pipeline, embedding, fine-tune, model

# Each side job's log in full, and its failure fails the run.
finish() {  # PID LOG WHAT
  local status=0
  wait "$1" || status=$?
  cat "$2"
  if [ "$status" -ne 0 ]; then echo "ERROR: $3 failed (log above: $2)" >&2; exit 1; fi
}
finish "$lint" var/lint.log "the lint gate (scripts/lint.sh)"
finish "$deps" var/install_test_deps.log "the browser-test installs (scripts/install_test_deps.sh)"

export PATH="$(pwd)/.venv/bin:$PATH" TF_CPP_MIN_LOG_LEVEL=2 PYTHONHASHSEED=0 \
  RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1
echo "==> rasa data validate"
rasa data validate --fail-on-warnings --quiet > var/validate.log 2>&1 || { cat var/validate.log; exit 1; }
echo "==> pytest"
exec python -m pytest "${@:-tests}"
