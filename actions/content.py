"""The clinic's content as the action server sees it.

Every file is validated when the action server starts (a broken rules file
must stop the assistant rather than screen wrongly) and re-read when it
changes on disk, so the clinic edits prices, wording or rules without a
restart or a retraining.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from clinic_core.health_answers import unknown_avoid_types
from clinic_core.massage_types import (
    MassageType,
    current_massage_types,
    current_service_words,
    default_types_path,
)
from clinic_core.profile import ClinicProfile, current_profile
from clinic_core.screening.rules import RuleSet, default_rules_path, load_rules


def _mtime(path: Path) -> float:
    return path.stat().st_mtime


@lru_cache(maxsize=2)
def _rules(path: str, mtime: float) -> RuleSet:
    return load_rules(path)


def profile() -> ClinicProfile:
    return current_profile()


def massage_types() -> dict[str, MassageType]:
    return current_massage_types()  # read against the profile, which decides what is offered


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
    current_service_words()
    unknown = unknown_avoid_types(rules(), massage_types())
    if unknown:
        raise ValueError(
            f"{default_rules_path()}: avoid_types name massage types that "
            f"{default_types_path()} does not describe: {', '.join(unknown)}"
        )
    nlp()
