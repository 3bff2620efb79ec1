"""The clinic's massage types: loading, describing, comparing, recommending.

The knowledge lives in ``clinic/massage_types.yml`` so that the clinic can edit
it without touching code or retraining; this module only validates it and turns
it into short chat answers. It has no Rasa imports so that the answers can be
unit-tested on their own and reused by any action or channel.

Recommendation is a deliberately simple, deterministic keyword score: the
clinic can see (and edit) exactly which words lead to which type, and the reply
names the words that matched, so a client can tell why a type was suggested.
It never diagnoses and is not a safety check: the pre-screen decides whether a
client may be booked at all.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence

import yaml

from .screening.model import SERVICES

#: The canonical values of the ``massage_type`` entity (shared/spec/contract.md).
CONTRACT_TYPES: tuple[str, ...] = (
    "therapeutic",
    "swedish",
    "deep_tissue",
    "trigger_point",
    "myofascial_release",
    "sports",
    "facial_therapeutic",
    "cosmetic_facial",
)

#: Allowed pressure levels, lightest first, so answers stay comparable.
PRESSURE_LEVELS: tuple[str, ...] = ("light", "light-medium", "medium", "medium-firm", "firm")

_REQUIRED_FIELDS: tuple[str, ...] = (
    "name",
    "summary",
    "focus",
    "pressure",
    "techniques",
    "good_for",
    "not_for",
    "duration_minutes",
    "keywords",
    "bookable_service",
    "source",
)
_OPTIONAL_FIELDS: tuple[str, ...] = ("note", "screening_service")
_TYPE_ID = re.compile(r"^[a-z][a-z0-9_]*$")

#: Soft limit for one chat bubble; describe() trims list items to stay under it.
DESCRIBE_MAX_CHARS = 500


@dataclass(frozen=True)
class MassageType:
    """One massage type as the clinic describes it (frozen: shared, read-only)."""

    id: str
    name: str
    summary: str
    focus: str
    pressure_level: str
    pressure_note: str
    techniques: tuple[str, ...]
    good_for: tuple[str, ...]
    not_for: tuple[str, ...]
    duration_minutes: tuple[int, ...]
    keywords: tuple[str, ...]
    bookable_service: Optional[str]
    source: str
    note: Optional[str] = None
    #: the pre-screen's service it belongs to (body / facial), if any
    screening_service: Optional[str] = None

    @property
    def bookable(self) -> bool:
        """Whether the clinic offers it (a null service means it does not)."""
        return self.bookable_service is not None


@dataclass(frozen=True)
class Recommendation:
    """The outcome of :func:`recommend`.

    ``type_id`` is None when nothing bookable matched, so the caller can ask a
    clarifying question; ``not_offered`` then names a type the client seems to
    want but the clinic does not offer (the reason text says so politely).
    """

    type_id: Optional[str]
    reason: str
    score: int
    alternatives: tuple[str, ...] = ()
    matched: tuple[str, ...] = ()
    not_offered: Optional[str] = None


# --------------------------------------------------------------------------
# Loading and validation
# --------------------------------------------------------------------------


def default_types_path() -> Path:
    """The clinic's file, found relative to the package so any cwd works."""
    return Path(__file__).resolve().parents[1] / "clinic" / "massage_types.yml"


def load_massage_types(path: Path | str | None = None) -> dict[str, MassageType]:
    """Read and validate the clinic's massage-type file.

    Validation happens here, at start-up, so that a typo made by the clinic
    fails loudly with the file, type and field named instead of producing a
    wrong answer to a client later. Raises ``ValueError`` for bad content.
    """
    path = Path(path) if path is not None else default_types_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, Mapping) or not isinstance(raw.get("massage_types"), Mapping):
        raise ValueError(f"{path}: expected a top-level mapping 'massage_types:' of type id -> fields")

    types: dict[str, MassageType] = {}
    for type_id, entry in raw["massage_types"].items():
        types[str(type_id)] = _parse_type(path, type_id, entry)

    missing = [t for t in CONTRACT_TYPES if t not in types]
    if missing:
        raise ValueError(
            f"{path}: missing massage type(s) required by the contract: {', '.join(missing)}"
        )
    return types


def _parse_type(path: Path, type_id: Any, entry: Any) -> MassageType:
    """Validate one entry; every error names file, type and field."""
    where = f"{path}: massage type '{type_id}'"
    if not isinstance(type_id, str) or not _TYPE_ID.match(type_id):
        raise ValueError(f"{where}: type id must be lower-case snake_case")
    if not isinstance(entry, Mapping):
        raise ValueError(f"{where}: expected a mapping of fields, got {type(entry).__name__}")
    for field_name in _REQUIRED_FIELDS:
        if field_name not in entry:
            raise ValueError(f"{where}: missing field '{field_name}'")
    unknown = sorted(set(entry) - set(_REQUIRED_FIELDS) - set(_OPTIONAL_FIELDS))
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {', '.join(map(repr, unknown))}")

    def text(field_name: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{where}: field '{field_name}' must be a non-empty string")
        return " ".join(value.split())

    def text_list(field_name: str, allow_empty: bool = False) -> tuple[str, ...]:
        value = entry[field_name]
        if not isinstance(value, list) or (not value and not allow_empty):
            raise ValueError(f"{where}: field '{field_name}' must be a non-empty list of strings")
        return tuple(text(f"{field_name}[{i}]", v) for i, v in enumerate(value))

    pressure = entry["pressure"]
    if not isinstance(pressure, Mapping) or "level" not in pressure or "note" not in pressure:
        raise ValueError(f"{where}: field 'pressure' must be a mapping with 'level' and 'note'")
    level = pressure["level"]
    if level not in PRESSURE_LEVELS:
        raise ValueError(
            f"{where}: field 'pressure': unknown level {level!r} "
            f"(expected one of: {', '.join(PRESSURE_LEVELS)})"
        )

    service = entry["bookable_service"]
    if service is not None:
        service = text("bookable_service", service)

    durations = entry["duration_minutes"]
    if not isinstance(durations, list) or any(
        isinstance(d, bool) or not isinstance(d, int) or d <= 0 for d in durations
    ):
        raise ValueError(
            f"{where}: field 'duration_minutes' must be a list of positive whole minutes, got {durations!r}"
        )
    if service is not None and not durations:
        raise ValueError(f"{where}: field 'duration_minutes' is empty but the type is bookable")

    note = entry.get("note")
    if note is not None:
        note = text("note", note)
    if service is None and note is None:
        raise ValueError(
            f"{where}: field 'note' is required when bookable_service is null "
            "(it tells clients politely that the clinic does not offer this type)"
        )

    screening_service = entry.get("screening_service")
    if screening_service is not None and screening_service not in SERVICES:
        raise ValueError(
            f"{where}: field 'screening_service' must be one of {', '.join(SERVICES)}, got {screening_service!r}"
        )

    keywords = tuple(k.lower() for k in text_list("keywords"))
    return MassageType(
        id=type_id,
        name=text("name", entry["name"]),
        summary=text("summary", entry["summary"]),
        focus=text("focus", entry["focus"]),
        pressure_level=level,
        pressure_note=text("pressure.note", pressure["note"]),
        techniques=text_list("techniques"),
        good_for=text_list("good_for"),
        not_for=text_list("not_for"),
        duration_minutes=tuple(durations),
        keywords=keywords,
        bookable_service=service,
        source=text("source", entry["source"]),
        note=note,
        screening_service=screening_service,
    )


# --------------------------------------------------------------------------
# The words that name the pre-screen's services
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceWords:
    """The plain words clients use for one of the pre-screen's services.

    ``words`` answer "body or facial?" ("the body one", "facial please");
    the booking form also takes ``booking_words`` ("the jaw one", "shoulders")
    when a client names the treatment to book.
    """

    service: str
    words: tuple[str, ...]
    booking_words: tuple[str, ...] = ()


def load_service_words(path: Path | str | None = None) -> dict[str, ServiceWords]:
    """The file's ``screening_services`` section, validated: one entry per
    pre-screen service, each with a non-empty ``words`` list."""
    path = Path(path) if path is not None else default_types_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from exc
    section = raw.get("screening_services") if isinstance(raw, Mapping) else None
    if not isinstance(section, Mapping) or set(section) != set(SERVICES):
        raise ValueError(f"{path}: expected 'screening_services:' with exactly {', '.join(SERVICES)}")
    found: dict[str, ServiceWords] = {}
    for service, entry in section.items():
        where = f"{path}: screening_services.{service}"
        if not isinstance(entry, Mapping) or set(entry) - {"words", "booking_words"}:
            raise ValueError(f"{where}: expected 'words' and optionally 'booking_words'")
        lists = {}
        for key in ("words", "booking_words"):
            value = entry.get(key) or []
            if not isinstance(value, list) or any(not isinstance(w, str) or not w.strip() for w in value):
                raise ValueError(f"{where}.{key}: must be a list of words")
            lists[key] = tuple(w.strip().lower() for w in value)
        if not lists["words"]:
            raise ValueError(f"{where}.words: must not be empty")
        found[str(service)] = ServiceWords(str(service), lists["words"], lists["booking_words"])
    return found


@lru_cache(maxsize=2)
def _types_at(path: str, mtime: float) -> dict[str, MassageType]:
    return load_massage_types(path)


@lru_cache(maxsize=2)
def _words_at(path: str, mtime: float) -> dict[str, ServiceWords]:
    return load_service_words(path)


def current_massage_types() -> dict[str, MassageType]:
    """The clinic's file as it is now on disk (re-read when it changes)."""
    path = default_types_path()
    return _types_at(str(path), path.stat().st_mtime)


def current_service_words() -> dict[str, ServiceWords]:
    """The ``screening_services`` words as they are now on disk."""
    path = default_types_path()
    return _words_at(str(path), path.stat().st_mtime)


def screening_services_of(type_ids: Iterable[str], types: Mapping[str, MassageType] | None = None) -> set[str]:
    """The pre-screen services (body / facial) the named massage types belong
    to; a service's own name ("facial") stands for itself."""
    catalogue = types if types is not None else current_massage_types()
    found = set()
    for type_id in type_ids:
        value = str(type_id).lower()
        entry = catalogue.get(value)
        if entry is not None and entry.screening_service:
            found.add(entry.screening_service)
        elif value in SERVICES:
            found.add(value)
    return found


# --------------------------------------------------------------------------
# Chat answers
# --------------------------------------------------------------------------


def _durations(mt: MassageType) -> str:
    """'60 or 90 min', or a plain 'not offered here' for unbookable types."""
    if not mt.bookable or not mt.duration_minutes:
        return "not offered here"
    values = [str(d) for d in mt.duration_minutes]
    joined = values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]
    return f"{joined} min"


def describe(mt: MassageType) -> str:
    """A short answer about one type, sized for one chat bubble.

    List items are dropped from the end (never cut mid-phrase) until the answer
    fits, because a phone screen shows little and a half sentence misleads.
    """
    head = f"{mt.name}: {mt.summary}"
    if not mt.bookable:
        return f"{head}\n{mt.note}" if mt.note else head
    pressure = f"Pressure: {mt.pressure_level} ({mt.pressure_note})."
    sessions = f"Sessions: {_durations(mt)}."
    good = list(mt.good_for)
    while True:
        parts = [head, pressure]
        if good:
            parts.append("Good for: " + "; ".join(good) + ".")
        parts.append(sessions)
        answer = "\n".join(parts)
        if len(answer) <= DESCRIBE_MAX_CHARS or not good:
            return answer
        good.pop()


def compare(a: MassageType, b: MassageType) -> str:
    """A side-by-side answer for any two types, one short line per aspect.

    Each line reads "aspect: A | B" in the order of the title, which stays
    readable in a narrow chat window without a table.
    """
    if a.id == b.id:
        return (
            describe(a)
            + "\n(That's the same type twice; name another one and I'll compare them.)"
        )

    def few(items: Sequence[str], n: int) -> str:
        # "; " because items may themselves contain commas
        return "; ".join(items[:n])

    lines = [
        f"{a.name} vs {b.name}",
        f"• Focus: {a.focus} | {b.focus}",
        f"• Pressure: {a.pressure_level} | {b.pressure_level}",
        f"• Techniques: {few(a.techniques, 2)} | {few(b.techniques, 2)}",
        f"• Good for: {few(a.good_for, 2)} | {few(b.good_for, 2)}",
        f"• Length: {_durations(a)} | {_durations(b)}",
    ]
    for mt in (a, b):
        if not mt.bookable and mt.note:
            lines.append(mt.note)
    if a.bookable and b.bookable:
        lines.append("Not sure which? Tell me what you'd like help with and I'll suggest one.")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Recommendation
# --------------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_BREAK = "\x00"  # separates text from areas so a phrase never spans both


def _stem(word: str) -> str:
    """A crude, predictable stemmer: plural, -ing and -ed endings only.

    Applied to both the client's words and the keywords, so consistency
    matters more than linguistic accuracy ("knots" ~ "knot",
    "grinding" ~ "grind", "running" ~ "run", "stressed" ~ "stress",
    "aching" ~ "ache").
    """
    w = word.lower()
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix, keep in (("ing", 3), ("ed", 3)):
        if w.endswith(suffix) and len(w) - len(suffix) >= keep:
            w = w[: -len(suffix)]
            if len(w) >= 3 and w[-1] == w[-2] and w[-1] not in "aeiouslz":
                w = w[:-1]  # running -> runn -> run
            break
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]  # ache / aches / ached share a stem
    return w


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def _join_words(words: Sequence[str]) -> str:
    quoted = [f'"{w}"' for w in words]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def recommend(
    text: str,
    types: Mapping[str, MassageType],
    areas: Iterable[str] = (),
) -> Recommendation:
    """Suggest a bookable type from a client's description of their need.

    Scores each type by the keywords found in ``text`` (and in ``areas``, body
    areas the NLU already extracted). At each position the longest keyword
    phrase wins and its words are used up, so "run down" counts for tiredness
    and not for running; a phrase scores one point per word because it is the
    more specific signal. Ties go to the type listed first in the clinic's
    file, which keeps the answer deterministic. Types the clinic does not offer
    are never recommended; if one of them is clearly what the client wants,
    ``type_id`` is None and the reason says so.
    """
    surface: list[str] = _tokens(text)
    for area in areas:
        surface.append(_BREAK)
        surface.extend(_tokens(area))
    stems = [_stem(w) if w != _BREAK else _BREAK for w in surface]

    index: dict[tuple[str, ...], list[str]] = {}
    for type_id, mt in types.items():
        for keyword in mt.keywords:
            key = tuple(_stem(w) for w in _tokens(keyword))
            if key and type_id not in index.setdefault(key, []):
                index[key].append(type_id)
    longest = max((len(k) for k in index), default=0)

    scores: dict[str, int] = {t: 0 for t in types}
    matched: dict[str, list[str]] = {t: [] for t in types}
    i = 0
    while i < len(stems):
        for length in range(min(longest, len(stems) - i), 0, -1):
            key = tuple(stems[i : i + length])
            if key in index:
                phrase = " ".join(surface[i : i + length])
                for type_id in index[key]:
                    scores[type_id] += length
                    if phrase not in matched[type_id]:
                        matched[type_id].append(phrase)
                i += length
                break
        else:
            i += 1

    order = {t: n for n, t in enumerate(types)}
    ranked = sorted((t for t in types if scores[t] > 0), key=lambda t: (-scores[t], order[t]))
    bookable = [t for t in ranked if types[t].bookable]

    if ranked and not types[ranked[0]].bookable and (
        not bookable or scores[ranked[0]] > scores[bookable[0]]
    ):
        wanted = types[ranked[0]]
        reason = (
            f"You mentioned {_join_words(matched[wanted.id])}, which points to: "
            f"{wanted.name}. {wanted.note or ''}"
        ).strip()
        return Recommendation(
            type_id=None,
            reason=reason,
            score=0,
            alternatives=tuple(bookable[:2]),
            matched=tuple(matched[wanted.id]),
            not_offered=wanted.id,
        )
    if not bookable:
        return Recommendation(type_id=None, reason="", score=0)

    best = types[bookable[0]]
    reason = (
        f"You mentioned {_join_words(matched[best.id])}. My suggestion: "
        f"{best.name}. {best.summary}"
    )
    return Recommendation(
        type_id=best.id,
        reason=reason,
        score=scores[best.id],
        alternatives=tuple(bookable[1:3]),
        matched=tuple(matched[best.id]),
    )
