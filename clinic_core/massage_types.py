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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

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

#: Every entry has these.
_REQUIRED_FIELDS: tuple[str, ...] = ("name", "summary", "keywords", "source")
#: How the clinic does it: required for a type the clinic offers, optional
#: (all or none) for one it does not, whose summary then says what it is.
_DESCRIPTION_FIELDS: tuple[str, ...] = (
    "focus",
    "pressure",
    "techniques",
    "good_for",
    "not_for",
    "duration_minutes",
)
#: note: shown with the type (required when the clinic does not offer it: it
#: says so and names the closest type it does offer); closest: that type's id;
#: source_url: the public page a general description was written from;
#: screening_service: the pre-screen's service the type belongs to (body / facial).
_OPTIONAL_FIELDS: tuple[str, ...] = ("note", "closest", "source_url", "screening_service")
_TYPE_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_URL = re.compile(r"^https?://\S+$")

#: Soft limit for one chat bubble; describe() trims list items to stay under it.
DESCRIBE_MAX_CHARS = 500
#: How a description from a public page is marked in an answer: what it is,
#: never advice from the clinic or a health claim of its own.
GENERAL_INFO = "general information, not the clinic's advice"


@dataclass(frozen=True)
class MassageType:
    """One massage type as the clinic describes it (frozen: shared, read-only).

    ``bookable_service`` is the profile's service that offers it (None: the
    clinic does not): clinic/profile.yml decides, never this file. The
    description fields are empty for a type described only in general terms.
    """

    id: str
    name: str
    summary: str
    keywords: tuple[str, ...]
    source: str
    bookable_service: str | None = None
    focus: str = ""
    pressure_level: str = ""
    pressure_note: str = ""
    techniques: tuple[str, ...] = ()
    good_for: tuple[str, ...] = ()
    not_for: tuple[str, ...] = ()
    duration_minutes: tuple[int, ...] = ()
    note: str | None = None
    closest: str | None = None
    source_url: str | None = None
    #: the pre-screen's service it belongs to (body / facial), if any
    screening_service: str | None = None

    @property
    def bookable(self) -> bool:
        """Whether the clinic offers it (a null service means it does not)."""
        return self.bookable_service is not None

    @property
    def described(self) -> bool:
        """Whether the file says how the clinic does it (focus, pressure...)."""
        return bool(self.focus)


@dataclass(frozen=True)
class Recommendation:
    """The outcome of :func:`recommend`.

    ``type_id`` is None when nothing bookable matched, so the caller can ask a
    clarifying question; ``not_offered`` then names a type the client seems to
    want but the clinic does not offer (the reason text says so politely).
    ``ruled_out`` names the types that matched but were excluded (a health
    condition the client mentioned rules them out).
    """

    type_id: str | None
    reason: str
    score: int
    alternatives: tuple[str, ...] = ()
    matched: tuple[str, ...] = ()
    not_offered: str | None = None
    ruled_out: tuple[str, ...] = ()


# --------------------------------------------------------------------------
# Loading and validation
# --------------------------------------------------------------------------


def default_types_path() -> Path:
    """The clinic's file, found relative to the package so any cwd works."""
    return Path(__file__).resolve().parents[1] / "clinic" / "massage_types.yml"


def offered_types(profile: Any = None) -> dict[str, str]:
    """Type id -> the profile's service offering it (the first that lists it).

    The clinic says what it offers in one place, clinic/profile.yml
    (``services[].massage_types``); the types file only describes.
    """
    if profile is None:
        from clinic_core.profile import current_profile

        profile = current_profile()
    offered: dict[str, str] = {}
    for service in profile.services:
        for type_id in service.massage_types:
            offered.setdefault(type_id, service.id)
    return offered


def load_massage_types(
    path: Path | str | None = None, profile: Any = None
) -> dict[str, MassageType]:
    """Read and validate the clinic's massage-type file against its profile.

    Validation happens here, at start-up, so that a typo made by the clinic
    fails loudly with the file, type and field named instead of producing a
    wrong answer to a client later. ``profile`` (default: the current one)
    decides which types are offered. Raises ``ValueError`` for bad content.
    """
    path = Path(path) if path is not None else default_types_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, Mapping) or not isinstance(raw.get("massage_types"), Mapping):
        raise ValueError(
            f"{path}: expected a top-level mapping 'massage_types:' of type id -> fields"
        )

    offered = offered_types(profile)
    types: dict[str, MassageType] = {}
    for type_id, entry in raw["massage_types"].items():
        types[str(type_id)] = _parse_type(path, type_id, entry, offered.get(str(type_id)))

    missing = [t for t in CONTRACT_TYPES if t not in types]
    if missing:
        raise ValueError(
            f"{path}: missing massage type(s) required by the contract: {', '.join(missing)}"
        )
    undescribed = sorted(t for t in offered if t not in types)
    if undescribed:
        raise ValueError(
            f"{path}: clinic/profile.yml offers massage type(s) this file does not describe: "
            f"{', '.join(undescribed)}"
        )
    for mt in types.values():
        _check_closest(path, mt, types)
    return types


def _check_closest(path: Path, mt: MassageType, types: Mapping[str, MassageType]) -> None:
    """An unoffered type points to one the clinic offers, and its note names it."""
    where = f"{path}: massage type '{mt.id}'"
    if mt.bookable:
        return
    closest = types.get(mt.closest or "")
    if closest is None or not closest.bookable:
        raise ValueError(
            f"{where}: field 'closest' must name a type the clinic offers (profile.yml services), "
            f"got {mt.closest!r}"
        )
    if closest.name.lower() not in (mt.note or "").lower():
        raise ValueError(f"{where}: field 'note' must name the closest type, {closest.name!r}")


def _parse_type(path: Path, type_id: Any, entry: Any, service: str | None) -> MassageType:
    """Validate one entry; every error names file, type and field."""
    where = f"{path}: massage type '{type_id}'"
    if not isinstance(type_id, str) or not _TYPE_ID.match(type_id):
        raise ValueError(f"{where}: type id must be lower-case snake_case")
    if not isinstance(entry, Mapping):
        raise ValueError(f"{where}: expected a mapping of fields, got {type(entry).__name__}")
    if "bookable_service" in entry:
        raise ValueError(
            f"{where}: field 'bookable_service' is not read any more: whether the clinic offers "
            "a type is decided by clinic/profile.yml (services[].massage_types)"
        )
    for field_name in _REQUIRED_FIELDS:
        if field_name not in entry:
            raise ValueError(f"{where}: missing field '{field_name}'")
    unknown = sorted(
        set(entry) - set(_REQUIRED_FIELDS) - set(_DESCRIPTION_FIELDS) - set(_OPTIONAL_FIELDS)
    )
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {', '.join(map(repr, unknown))}")
    given = [f for f in _DESCRIPTION_FIELDS if f in entry]
    if given or service is not None:
        for field_name in _DESCRIPTION_FIELDS:
            if field_name not in entry:
                why = (
                    "the clinic offers it (profile.yml)"
                    if service
                    else "the description is partial"
                )
                raise ValueError(f"{where}: missing field '{field_name}' ({why})")

    def text(field_name: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{where}: field '{field_name}' must be a non-empty string")
        return " ".join(value.split())

    def text_list(field_name: str, allow_empty: bool = False) -> tuple[str, ...]:
        value = entry[field_name]
        if not isinstance(value, list) or (not value and not allow_empty):
            raise ValueError(f"{where}: field '{field_name}' must be a non-empty list of strings")
        return tuple(text(f"{field_name}[{i}]", v) for i, v in enumerate(value))

    description: dict[str, Any] = {}
    if given or service is not None:
        pressure = entry["pressure"]
        if not isinstance(pressure, Mapping) or "level" not in pressure or "note" not in pressure:
            raise ValueError(f"{where}: field 'pressure' must be a mapping with 'level' and 'note'")
        level = pressure["level"]
        if level not in PRESSURE_LEVELS:
            raise ValueError(
                f"{where}: field 'pressure': unknown level {level!r} "
                f"(expected one of: {', '.join(PRESSURE_LEVELS)})"
            )
        durations = entry["duration_minutes"]
        if not isinstance(durations, list) or any(
            isinstance(d, bool) or not isinstance(d, int) or d <= 0 for d in durations
        ):
            raise ValueError(
                f"{where}: field 'duration_minutes' must be a list of positive whole minutes, got {durations!r}"
            )
        if service is not None and not durations:
            raise ValueError(f"{where}: field 'duration_minutes' is empty but the type is bookable")
        description = dict(
            focus=text("focus", entry["focus"]),
            pressure_level=level,
            pressure_note=text("pressure.note", pressure["note"]),
            techniques=text_list("techniques"),
            good_for=text_list("good_for"),
            not_for=text_list("not_for"),
            duration_minutes=tuple(durations),
        )

    note = entry.get("note")
    if note is not None:
        note = text("note", note)
    closest = entry.get("closest")
    if service is None and (note is None or closest is None):
        raise ValueError(
            f"{where}: fields 'note' and 'closest' are required when clinic/profile.yml does not "
            "offer the type (the note tells clients politely and names the closest type it offers)"
        )
    if service is not None and closest is not None:
        raise ValueError(
            f"{where}: field 'closest' is for types the clinic does not offer, but profile.yml offers it"
        )
    source_url = entry.get("source_url")
    if source_url is not None and (not isinstance(source_url, str) or not _URL.match(source_url)):
        raise ValueError(
            f"{where}: field 'source_url' must be an http(s) address, got {source_url!r}"
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
        keywords=keywords,
        source=text("source", entry["source"]),
        bookable_service=service,
        note=note,
        closest=text("closest", closest) if closest is not None else None,
        source_url=source_url,
        screening_service=screening_service,
        **description,
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
        raise ValueError(
            f"{path}: expected 'screening_services:' with exactly {', '.join(SERVICES)}"
        )
    found: dict[str, ServiceWords] = {}
    for service, entry in section.items():
        where = f"{path}: screening_services.{service}"
        if not isinstance(entry, Mapping) or set(entry) - {"words", "booking_words"}:
            raise ValueError(f"{where}: expected 'words' and optionally 'booking_words'")
        lists = {}
        for key in ("words", "booking_words"):
            value = entry.get(key) or []
            if not isinstance(value, list) or any(
                not isinstance(w, str) or not w.strip() for w in value
            ):
                raise ValueError(f"{where}.{key}: must be a list of words")
            lists[key] = tuple(w.strip().lower() for w in value)
        if not lists["words"]:
            raise ValueError(f"{where}.words: must not be empty")
        found[str(service)] = ServiceWords(str(service), lists["words"], lists["booking_words"])
    return found


@lru_cache(maxsize=2)
def _types_at(
    path: str, mtime: float, profile_path: str, profile_mtime: float
) -> dict[str, MassageType]:
    from clinic_core.profile import current_profile

    return load_massage_types(path, profile=current_profile(profile_path))


@lru_cache(maxsize=2)
def _words_at(path: str, mtime: float) -> dict[str, ServiceWords]:
    return load_service_words(path)


def current_massage_types() -> dict[str, MassageType]:
    """The clinic's file as it is now on disk, read against the current
    profile (which decides what is offered): re-read when either changes."""
    from clinic_core.profile import profile_path

    path, profile = default_types_path(), profile_path()
    return _types_at(str(path), path.stat().st_mtime, str(profile), profile.stat().st_mtime)


def current_service_words() -> dict[str, ServiceWords]:
    """The ``screening_services`` words as they are now on disk."""
    path = default_types_path()
    return _words_at(str(path), path.stat().st_mtime)


def screening_services_of(
    type_ids: Iterable[str], types: Mapping[str, MassageType] | None = None
) -> set[str]:
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


def _about(mt: MassageType) -> str:
    """What a type is, marked as general information when it comes from a
    public page rather than the clinic's own texts."""
    if mt.source_url:
        return f"About **{mt.name}** ({GENERAL_INFO}): {mt.summary}\nSource: {mt.source_url}"
    return f"About **{mt.name}**: {mt.summary}"


def describe(mt: MassageType) -> str:
    """A short answer about one type, sized for one chat bubble.

    A type the clinic does not offer leads with that (and the closest it
    does offer), then what it is. List items are dropped from the end (never
    cut mid-phrase) until the answer fits, because a phone screen shows
    little and a half sentence misleads.
    """
    if not mt.bookable:
        return f"{mt.note}\n{_about(mt)}" if mt.note else _about(mt)
    head = f"{mt.name}: {mt.summary}"
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


def _few(items: Sequence[str], n: int) -> str:
    # "; " because items may themselves contain commas
    return "; ".join(items[:n])


def _block(mt: MassageType) -> str:
    """One type of a comparison: its name in bold, then one line per aspect.

    Blocks read the same on a phone, in the widget and in every messaging
    app (bold is the one markup they all show); "firm | light-medium" columns
    did not survive a narrow screen or WhatsApp.
    """
    lines = [f"**{mt.name}**"]
    if mt.described:
        lines += [
            f"Focus: {mt.focus}",
            f"Pressure: {mt.pressure_level}",
            f"Techniques: {_few(mt.techniques, 2)}",
            f"Good for: {_few(mt.good_for, 2)}",
            f"Sessions: {_durations(mt)}",
        ]
    else:
        marker = f" ({GENERAL_INFO})" if mt.source_url else ""
        lines.append(f"{mt.summary}{marker}")
    if not mt.bookable and mt.note:
        lines.append(mt.note)
    return "\n".join(lines)


def compare(a: MassageType, b: MassageType) -> str:
    """Two types side by side: one block per type, in the order asked."""
    if a.id == b.id:
        return (
            describe(a) + "\n(That's the same type twice; name another one and I'll compare them.)"
        )
    parts = [_block(a), _block(b)]
    if a.bookable and b.bookable:
        parts.append("Not sure which? Tell me what you'd like help with and I'll suggest one.")
    return "\n\n".join(parts)


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
    exclude: Iterable[str] = (),
) -> Recommendation:
    """Suggest a bookable type from a client's description of their need.

    Scores each type by the keywords found in ``text`` (and in ``areas``, body
    areas the NLU already extracted). At each position the longest keyword
    phrase wins and its words are used up, so "run down" counts for tiredness
    and not for running; a phrase scores one point per word because it is the
    more specific signal. Ties go to the type listed first in the clinic's
    file, which keeps the answer deterministic. Types the clinic does not offer
    are never recommended; if one of them is clearly what the client wants,
    ``type_id`` is None and the reason says so. Types in ``exclude`` (those a
    health condition the client mentioned rules out) are never recommended
    either, nor offered as alternatives: ``ruled_out`` names the ones that
    matched.
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
    said: set[str] = (
        set()
    )  # words the text itself matched: an area repeating one is no new evidence
    text_end = surface.index(_BREAK) if _BREAK in surface else len(surface)
    i = 0
    while i < len(stems):
        for length in range(min(longest, len(stems) - i), 0, -1):
            key = tuple(stems[i : i + length])
            if key in index:
                phrase = " ".join(surface[i : i + length])
                if i < text_end:
                    said.update(stems[i : i + length])
                elif set(key) <= said:
                    i += length
                    break
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
    excluded = set(exclude)
    ruled_out = tuple(t for t in ranked if types[t].bookable and t in excluded)
    bookable = [t for t in ranked if types[t].bookable and t not in excluded]

    if (
        ranked
        and not types[ranked[0]].bookable
        and (not bookable or scores[ranked[0]] > scores[bookable[0]])
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
            ruled_out=ruled_out,
        )
    if not bookable and ruled_out:
        first = types[ruled_out[0]]
        reason = (
            f"You mentioned {_join_words(matched[first.id])}, which would point to {first.name}, "
            "but with what you've told me about your health that isn't one I can suggest."
        )
        return Recommendation(
            type_id=None,
            reason=reason,
            score=0,
            matched=tuple(matched[first.id]),
            ruled_out=ruled_out,
        )
    if not bookable:
        return Recommendation(type_id=None, reason="", score=0)

    best = types[bookable[0]]
    reason = (
        f"You mentioned {_join_words(matched[best.id])}. My suggestion: {best.name}. {best.summary}"
    )
    return Recommendation(
        type_id=best.id,
        reason=reason,
        score=scores[best.id],
        alternatives=tuple(bookable[1:3]),
        matched=tuple(matched[best.id]),
        ruled_out=ruled_out,
    )


#: Words that make two neighbouring type names a comparison ("sports vs deep
#: tissue", "deep or swedish", "better than a regular massage").
COMPARING_WORDS = frozenset(
    {"vs", "vs.", "v", "v.", "versus", "or", "and", "than", "compared", "against", "over", "/"}
)
#: "and" joins two compared names only in a message that says it compares
#: ("the difference between sports and deep tissue"); elsewhere it is a
#: list ("I do sports and a deep tissue massage would help").
_AND_COMPARES_WITH = frozenset({"between", "difference", "differ", "compare", "comparison"})
#: Words a comparison may hold between the names without changing it.
_FILLER = frozenset({"a", "an", "the", "massage", "massages", "one", "ones", "treatment", "to"})
#: The most words (fillers aside) between two compared names ("more
#: painful than"); "and" only joins names it stands right between.
_MAX_GAP = 3


def comparison_mentions(
    words: Sequence[str],
    named: Sequence[tuple[int, int, str]],
    short_names: Mapping[str, str],
) -> list[tuple[int, str]]:
    """Short type names ("sports", "deep", "regular") that a message uses in
    a comparison, as (word index, type id).

    ``words`` are the message's lower-cased tokens, ``named`` the type names
    the ruler found as (start, end, type id) token spans, ``short_names``
    short name -> type id (data/lookups/massage_types.yml, ``in_comparisons``).
    A short name counts only when a comparing word stands between it and
    another type (a named one or another short name) with at most
    ``_MAX_GAP`` other words besides fillers: alone, "sports" or "deep" is
    an ordinary word."""
    taken = {i for start, end, _ in named for i in range(start, end)}
    shorts = [
        (i, short_names[w]) for i, w in enumerate(words) if i not in taken and w in short_names
    ]
    if not shorts:
        return []
    spans = [(s, e, t) for s, e, t in named] + [(i, i + 1, t) for i, t in shorts]
    and_compares = any(w in _AND_COMPARES_WITH for w in words)
    found = []
    for i, type_id in shorts:
        for start, end, other in spans:
            if other == type_id or start == i:
                continue
            gap = words[i + 1 : start] if start > i else words[end:i]
            if _compares(gap, and_compares):
                found.append((i, type_id))
                break
    return found


def _compares(gap: Sequence[str], and_compares: bool) -> bool:
    """Whether the words between two type names make them a comparison."""
    content = [w for w in gap if w not in _FILLER]
    comparing = [w for w in content if w in COMPARING_WORDS and (w != "and" or and_compares)]
    if not comparing or len(content) > _MAX_GAP:
        return False
    return comparing != ["and"] or content == ["and"]


#: Words that ask how named types differ (with two or more types named).
_ASKS_TO_COMPARE = (COMPARING_WORDS - {"and"}) | _AND_COMPARES_WITH | {"different", "same"}


def asks_to_compare(words: Sequence[str], type_ids: Iterable[str]) -> bool:
    """Whether a message naming these types asks how they differ: exactly two
    different types and a comparing word ("hot stone or relaxing, which is
    better?", "difference between sports and deep"). With three ("is
    lymphatic drainage like swedish or deep tissue?") it is a question about
    one of them, left to the classifier."""
    return len(set(type_ids)) == 2 and any(w in _ASKS_TO_COMPARE for w in words)
