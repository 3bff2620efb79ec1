"""The clinic's content as the action server sees it.

Every file is validated when the action server starts (a broken rules file
must stop the assistant rather than screen wrongly) and re-read when it
changes on disk, so the clinic edits prices, wording or rules without a
restart or a retraining.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from clinic_core.health_answers import unknown_avoid_types
from clinic_core.massage_types import (
    MassageType,
    default_types_path,
    load_massage_types,
)
from clinic_core.profile import DEFAULT_PROFILE_PATH, ClinicProfile, current_profile
from clinic_core.screening.rules import RuleSet, default_rules_path, load_rules


def _mtime(path: Path) -> float:
    return path.stat().st_mtime


@lru_cache(maxsize=2)
def _massage_types(path: str, mtime: float, profile_mtime: float) -> dict[str, MassageType]:
    # the profile decides which types are offered: its edits count too
    return load_massage_types(path, profile=current_profile())


@lru_cache(maxsize=2)
def _rules(path: str, mtime: float) -> RuleSet:
    return load_rules(path)


def profile() -> ClinicProfile:
    return current_profile()


def massage_types() -> dict[str, MassageType]:
    path = default_types_path()
    profile_path = Path(os.environ.get("CLINIC_PROFILE") or DEFAULT_PROFILE_PATH)
    return _massage_types(str(path), _mtime(path), _mtime(profile_path))


def rules() -> RuleSet:
    path = default_rules_path()
    return _rules(str(path), _mtime(path))


def nlp() -> Any:
    """The project's spaCy pipeline (loaded once per process)."""
    from clinic_core.nlp.reader import load_nlp

    return load_nlp()


def validate_all() -> None:
    """Load everything once, so a broken file fails at start-up."""
    profile()
    unknown = unknown_avoid_types(rules(), massage_types())
    if unknown:
        raise ValueError(
            f"{default_rules_path()}: avoid_types name massage types that "
            f"{default_types_path()} does not describe: {', '.join(unknown)}"
        )
    nlp()
