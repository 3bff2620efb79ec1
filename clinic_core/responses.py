"""The assistant's wording, read from the domain's responses, for senders
outside Rasa (the staff console appends lines to a conversation through
Rasa's HTTP API, and must say them in the reviewed wording of
``domain.yml`` and ``data/responses/``, not in Python strings).

``render(name, profile, **values)`` returns the first variation of response
``name`` with its ``{placeholders}`` filled from ``values``, then from the
profile's facts (``clinic_name``, ``phone``, ...) as rasa_ext/nlg.py fills
them for Rasa. Plain YAML: no Rasa import. Files are re-read when they change.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
#: the files that hold responses, as Rasa reads them: the domain and the
#: training data's responses (the FAQ answers)
DOMAIN_FILE = ROOT / "domain.yml"
RESPONSES_DIR = ROOT / "data" / "responses"
_PLACEHOLDER = re.compile(r"(?<!\{)\{(\w+)\}(?!\})")


class MissingResponse(KeyError):
    """No such response in the domain (a typo, or a domain file missing)."""


@lru_cache(maxsize=4)
def _load(directory: str, stamp: tuple[tuple[str, float], ...]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for name, _mtime in stamp:
        data = yaml.safe_load(Path(name).read_text(encoding="utf-8")) or {}
        found.update(data.get("responses") or {})
    return found


def responses(directory: Path | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every response, by name. ``directory``: a checkout to read instead of
    this one (its domain.yml and data/responses/)."""
    root = Path(directory) if directory else ROOT
    files = [root / DOMAIN_FILE.name] + sorted(
        (root / RESPONSES_DIR.relative_to(ROOT)).glob("*.yml")
    )
    return _load(str(root), tuple((str(f), f.stat().st_mtime) for f in files))


def render(
    name: str, profile: Any = None, directory: Path | None = None, **values: Any
) -> dict[str, Any]:
    """``{"text": ..., "buttons": [...]}`` of response ``name``, placeholders filled
    in the text and the buttons, and ``{{``/``}}`` read as ``{``/``}`` (a
    payload with entities is written so in the domain, as Rasa fills it).

    A placeholder with no value stays as written, which a test catches
    (clinic wording must never reach a client half-filled silently)."""
    variations = responses(directory).get(name)
    if not variations:
        raise MissingResponse(name)
    chosen = variations[0]
    facts: dict[str, Any] = dict(profile.answer_values()) if profile is not None else {}
    facts.update({k: v for k, v in values.items() if v is not None})

    def fill(template: Any) -> str:
        text = _PLACEHOLDER.sub(
            lambda m: str(facts.get(m.group(1), m.group(0))), str(template or "")
        )
        return text.replace("{{", "{").replace(
            "}}", "}"
        )  # Rasa's escaped braces, as Rasa reads them

    buttons = [
        {**b, "title": fill(b.get("title")), "payload": fill(b.get("payload"))}
        for b in chosen.get("buttons") or []
    ]
    return {"text": fill(chosen.get("text")), "buttons": buttons}


def placeholders(name: str, directory: Path | None = None) -> set:
    """The {names} response ``name`` expects (for tests and checks)."""
    return {
        p
        for v in responses(directory).get(name) or []
        for p in _PLACEHOLDER.findall(str(v.get("text") or ""))
    }
