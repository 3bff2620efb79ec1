"""What each package may import (docs/architecture.md, "The packages and
what each may import"): the three processes load different code, and
clinic_core, which holds every business rule, is plain Python that any of
them (and a test) can load without a server.

Every import is read from the source (also those inside functions, where
the servers import lazily), so a new arrow fails here before it ships.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: the project's own packages, and the frameworks that decide which process
#: a module belongs to; any other library may be imported anywhere
OURS = {"clinic_core", "actions", "rasa_ext", "channels", "staff_console"}
FRAMEWORKS = {"rasa", "rasa_sdk", "sanic"}

#: package -> what it may import of OURS | FRAMEWORKS (itself always)
MAY_IMPORT: dict[str, set[str]] = {
    "clinic_core": set(),
    "actions": {"clinic_core", "rasa_sdk"},
    "rasa_ext": {"clinic_core", "rasa", "sanic"},
    "channels": {"clinic_core", "rasa_ext", "rasa", "sanic"},
    "staff_console": {"clinic_core", "sanic"},
}

#: single files allowed one more arrow, each with its reason
EXCEPTIONS: dict[str, set[str]] = {
    # the action server's entry point: Sanic middleware for the action
    # token, and the model's domain built by Rasa's own importer (for calls
    # that come without one, enable_selective_domain); never an action module
    "actions/serve.py": {"sanic", "rasa_ext", "rasa"},
}


def imported(path: Path) -> set[str]:
    """The top-level names of every module `path` imports (relative imports
    are its own package's)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif (  # importlib.import_module("pkg.mod")
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value.split(".")[0])
    return names


def files_of(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_each_package_imports_only_what_it_may(package: str) -> None:
    assert files_of(package), f"{package}/ has no Python files: is the table stale?"
    wrong = []
    for path in files_of(package):
        rel = path.relative_to(ROOT).as_posix()
        allowed = MAY_IMPORT[package] | {package} | EXCEPTIONS.get(rel, set())
        for name in sorted(imported(path) & (OURS | FRAMEWORKS)):
            if name not in allowed:
                wrong.append(f"{rel} imports {name}")
    assert not wrong, "imports across a boundary (docs/architecture.md):\n" + "\n".join(wrong)


def test_the_reader_sees_imports_inside_functions(tmp_path: Path) -> None:
    """The check is only as good as its reader: lazy and importlib imports count."""
    source = tmp_path / "lazy.py"
    source.write_text(
        "import importlib\n"
        "def f():\n"
        "    from rasa.core import agent\n"
        "    import sanic.response\n"
        "    from . import sibling\n"
        "    return importlib.import_module('rasa_sdk.events')\n"
    )
    assert imported(source) == {"importlib", "rasa", "sanic", "rasa_sdk"}


#: issue 13: a module a reader takes in at once; past it, split by concern
#: (docs/architecture.md, "A new form")
MAX_LINES = 500


def too_long(paths: list[Path], root: Path = ROOT, limit: int = MAX_LINES) -> list[str]:
    """Each of `paths` over `limit` lines, with its length (paths relative to `root`)."""
    lengths = {path: len(path.read_text(encoding="utf-8").splitlines()) for path in paths}
    return [
        f"{path.relative_to(root).as_posix()}: {n} lines"
        for path, n in lengths.items()
        if n > limit
    ]


def test_no_module_in_actions_is_over_500_lines() -> None:
    assert files_of("actions"), "actions/ has no Python files"
    over = too_long(files_of("actions"))
    assert not over, f"split by concern, each under {MAX_LINES} lines:\n" + "\n".join(over)


def test_the_length_check_sees_a_long_module(tmp_path: Path) -> None:
    """The check counts lines as a reader does: 501 is one too many."""
    (tmp_path / "pkg").mkdir()
    long, short = tmp_path / "pkg" / "long.py", tmp_path / "pkg" / "short.py"
    long.write_text("x = 1\n" * (MAX_LINES + 1))
    short.write_text("x = 1\n" * MAX_LINES)
    assert too_long([long, short], root=tmp_path) == [f"pkg/long.py: {MAX_LINES + 1} lines"]


def test_every_exception_names_a_file_that_exists() -> None:
    for rel in EXCEPTIONS:
        assert (ROOT / rel).is_file(), rel
