"""Load a file of scripts/ as a module, as the unit tests of those scripts do.

scripts/ is not a package: each script puts the project root and scripts/
on sys.path itself and imports its neighbours by name (compare_embeddings
imports compare_classifiers). The module is registered under its name
before it runs, because dataclasses look their module up while being
defined."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def load_script(name: str) -> ModuleType:
    """scripts/<name>.py as the module ``name``."""
    if str(SCRIPTS) not in sys.path:
        sys.path.insert(0, str(SCRIPTS))
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None, name
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
