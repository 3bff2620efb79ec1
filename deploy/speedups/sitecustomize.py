"""Applies rasa_speedups when (and only if) Rasa's action module is imported.

Put this folder on PYTHONPATH (deploy/docker-compose.yml, the Helm values
and tests/scale do): every Python process then imports this file at start,
which only installs an import hook; processes that never import Rasa's
`rasa.core.actions.action` (the action server, pip, ...) are left alone.
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import sys

_TARGET = "rasa.core.actions.action"


class _PatchAfterImport(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):  # noqa: ANN001 - importlib protocol
        if name != _TARGET:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        original_exec = loader.exec_module

        def exec_module(module):  # noqa: ANN001
            original_exec(module)
            sys.meta_path[:] = [f for f in sys.meta_path if f is not self]
            import rasa_speedups

            rasa_speedups.apply()

        loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, _PatchAfterImport())
