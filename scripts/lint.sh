#!/usr/bin/env bash
# The lint gate (`make lint`; `make test` runs it first): ruff's checks, ruff's
# formatter in check mode, and mypy on clinic_core/ and actions/. Rules and
# flags: pyproject.toml. Fix most findings with
#   .venv-dev/bin/ruff format . && .venv-dev/bin/ruff check --fix .
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DEV="$ROOT/.venv-dev"

hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }
purelib() { "$1" -c 'import os, sysconfig; print(os.path.realpath(sysconfig.get_paths()["purelib"]))'; }

# mypy reads the project's dependencies (rasa_sdk, SQLAlchemy, spaCy...) from
# .venv: only its Python and pinned packages, not the model (no training).
scripts/setup.sh deps

# The tools' own virtualenv, (re)filled when requirements-dev.txt changes.
# A .venv-dev that is a symlink (worktrees share one) is filled, never removed.
if [ ! -x "$DEV/bin/python" ]; then
  echo "==> creating .venv-dev (ruff, mypy, pre-commit)"
  "$ROOT/.venv/bin/python" -m venv "$DEV"
fi
link="$(purelib "$DEV/bin/python")/project_venv.pth"
dev_hash=$(hash_of requirements-dev.txt)
if [ "$(cat "$DEV/.requirements.sha" 2>/dev/null)" != "$dev_hash" ]; then
  echo "==> installing the pinned development tools"
  rm -f "$link"  # pip must not count .venv's packages as installed here
  "$DEV/bin/python" -m pip install -q --disable-pip-version-check -r requirements-dev.txt
  echo "$dev_hash" > "$DEV/.requirements.sha"
fi
# .venv's packages at the END of .venv-dev's path: the tools keep their own
# versions; mypy finds the project's dependencies (and the stubs beside it).
purelib "$ROOT/.venv/bin/python" > "$link"

echo "==> ruff check"
"$DEV/bin/ruff" check .
echo "==> ruff format --check"
"$DEV/bin/ruff" format --check .
echo "==> mypy"
"$DEV/bin/mypy"
