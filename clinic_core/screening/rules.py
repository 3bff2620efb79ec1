"""Load and validate the clinic's pre-screen rules (clinic/screening_rules.yml).

The file is owned by the clinic's lead therapist. A broken file must stop the
assistant from starting: every problem found is collected and raised together
in one :class:`RulesError` naming the file, the condition or question id, the
field and what is wrong. Nothing is defaulted silently.

Plain Python, no Rasa imports.
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from .model import OUTCOME_ORDER, SERVICES

__all__ = [
    "RulesError",
    "RuleSet",
    "Condition",
    "Refine",
    "When",
    "FollowUp",
    "QuestionRule",
    "load_rules",
    "default_rules_path",
    "WHEN_KEYS",
    "FOLLOW_UP_NEEDS",
    "REQUIRED_MESSAGES",
    "strictness",
    "strictest",
]


class RulesError(ValueError):
    """The rules file is missing, unreadable or invalid. ``errors`` lists
    every problem found, one line each."""

    def __init__(self, path: str | Path, errors: list[str]):
        self.path = str(path)
        self.errors = list(errors)
        lines = "\n  - ".join(self.errors)
        super().__init__(
            f"{self.path}: {len(self.errors)} problem(s) in the screening rules:\n  - {lines}"
        )


# --------------------------------------------------------------------- values

#: The closed vocabulary of ``when`` keys, with their expected value kinds.
WHEN_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "days_ago_max": "int",
        "days_ago_min": "int",
        "days_ago_known": "bool",
        "weeks_pregnant_max": "int",
        "weeks_pregnant_min": "int",
        "weeks_pregnant_known": "bool",
        "qualifier_any": "names",
        "qualifier_none": "names",
        "body_area_any": "names",
        "body_area_known": "bool",
        "medication_any": "names",
        "with_condition_any": "conditions",
    }
)

#: Details a condition's follow-up question can ask for.
FOLLOW_UP_NEEDS: frozenset[str] = frozenset(
    {"days_ago", "weeks_pregnant", "qualifier", "medication", "body_area"}
)

#: Message keys the assistant needs, with the placeholders each must / may use.
REQUIRED_MESSAGES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "opening": frozenset(),
        "consent": frozenset({"retention_days"}),
        "consent_declined": frozenset(),
        "clearance": frozenset(),
        "postpone": frozenset(),
        "modify": frozenset(),
        "ok": frozenset(),
        "always": frozenset(),
        "review": frozenset(),
        "not_saved": frozenset({"phone"}),
        "retry_hint": frozenset(),
        "service_hint": frozenset(),
        "already_noted": frozenset({"labels"}),
        "summary_none": frozenset(),
        "summary_assumed": frozenset({"label"}),
        # a question asked again after an FAQ or a booking wish answered
        # in its place (the interview's note_off_topic)
        "back_to_question": frozenset(),
        # "Can I have a massage if ...?" answered from the conditions'
        # client_answer (clinic_core/health_answers.py): the lead-in and the
        # offer of the pre-screen around them.
        "health_answer_intro": frozenset(),
        "health_answer_offer": frozenset(),
    }
)
#: Placeholders that must appear (not just may).
_REQUIRED_PLACEHOLDERS = {
    "consent": {"retention_days"},
    "already_noted": {"labels"},
    "summary_assumed": {"label"},
}

QUESTION_KINDS = ("conditions", "service", "free_text")

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")

_TOP_KEYS = {
    "version",
    "reviewed_by",
    "reviewed_on",
    "outcome_order",
    "areas",
    "messages",
    "not_contraindications",
    "questions",
    "conditions",
}
_CONDITION_KEYS = {
    "id",
    "label",
    "recognise",
    "medication_class",
    "outcome",
    "refine",
    "follow_up",
    "reason",
    "adaptation",
    "client_note",
    "client_answer",
    "avoid_types",
    "source",
    "current_only",
}
_RECOGNISE_KEYS = {"terms", "medications", "qualifiers"}
_REFINE_KEYS = {"when", "outcome", "reason", "counts_as", "policy"}
_FOLLOW_UP_KEYS = {
    "text",
    "needs",
    "yes_adds",
    "no_adds",
    "settled_by",
    "settled_with",
    "no_withdraws",
}
_QUESTION_KEYS = {
    "id",
    "kind",
    "text",
    "services",
    "conditions",
    "yes_means",
    "default_if_unclear",
    "answered_by",
    "follow_up",
    "hint",
    "only_with",
    "preface",
    "explained_by",
}


def strictness(outcome: str) -> int:
    """0 for the strictest outcome (emergency) up to 4 for ok."""
    return OUTCOME_ORDER.index(outcome)


def strictest(outcomes: Iterable[str]) -> str:
    """The strictest of ``outcomes`` (``ok`` for none)."""
    best = "ok"
    for o in outcomes:
        if strictness(o) < strictness(best):
            best = o
    return best


@lru_cache(maxsize=4096)
def _word_re(phrase: str) -> re.Pattern[str]:
    """``phrase`` as whole word(s): 'cheek' is found in 'left cheek'."""
    return re.compile(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)")


def normalise_phrase(text: str) -> str:
    return " ".join(str(text).split())


# --------------------------------------------------------------- rule objects


@dataclass(frozen=True)
class When:
    """A refine rule's condition on a finding's details; all set keys must hold."""

    days_ago_max: int | None = None
    days_ago_min: int | None = None
    days_ago_known: bool | None = None
    weeks_pregnant_max: int | None = None
    weeks_pregnant_min: int | None = None
    weeks_pregnant_known: bool | None = None
    qualifier_any: frozenset[str] | None = None
    qualifier_none: frozenset[str] | None = None
    body_area_any: frozenset[str] | None = None
    body_area_known: bool | None = None
    medication_any: frozenset[str] | None = None
    with_condition_any: frozenset[str] | None = None

    def matches(
        self,
        *,
        days_ago: int | None,
        weeks_pregnant: int | None,
        qualifiers: frozenset[str],
        areas: frozenset[str],
        medication: str | None,
        other_conditions: frozenset[str],
    ) -> bool:
        if self.days_ago_max is not None and (days_ago is None or days_ago > self.days_ago_max):
            return False
        if self.days_ago_min is not None and (days_ago is None or days_ago < self.days_ago_min):
            return False
        if self.days_ago_known is not None and (days_ago is not None) != self.days_ago_known:
            return False
        if self.weeks_pregnant_max is not None and (
            weeks_pregnant is None or weeks_pregnant > self.weeks_pregnant_max
        ):
            return False
        if self.weeks_pregnant_min is not None and (
            weeks_pregnant is None or weeks_pregnant < self.weeks_pregnant_min
        ):
            return False
        if (
            self.weeks_pregnant_known is not None
            and (weeks_pregnant is not None) != self.weeks_pregnant_known
        ):
            return False
        if self.qualifier_any is not None and not (qualifiers & self.qualifier_any):
            return False
        if self.qualifier_none is not None and (qualifiers & self.qualifier_none):
            return False
        if self.body_area_any is not None and not any(
            _word_re(name).search(area) for area in areas for name in self.body_area_any
        ):
            return False
        if self.body_area_known is not None and bool(areas) != self.body_area_known:
            return False
        if self.medication_any is not None and (
            medication is None or medication not in self.medication_any
        ):
            return False
        if self.with_condition_any is not None and not (other_conditions & self.with_condition_any):
            return False
        return True

    def keys(self) -> tuple[str, ...]:
        return tuple(k for k in WHEN_KEYS if getattr(self, k) is not None)


@dataclass(frozen=True)
class Refine:
    when: When
    outcome: Mapping[str, str]
    reason: str
    counts_as: str | None = None
    policy: str | None = None


@dataclass(frozen=True)
class FollowUp:
    text: str
    needs: tuple[str, ...] = ()
    yes_adds: tuple[str, ...] = ()
    no_adds: tuple[str, ...] = ()
    #: qualifiers that answer the follow-up as well as its yes / no would
    #: ("healed" to "has it fully healed?"): with one of these, or of
    #: yes_adds / no_adds, already known, the follow-up is not asked
    settled_by: tuple[str, ...] = ()
    #: other conditions that answer it when named too ("what is the blood
    #: thinner for?" answered by atrial fibrillation or a clot)
    settled_with: tuple[str, ...] = ()
    #: a plain "no" to it ("no, not me" to "where on your body is it?")
    #: takes the condition back: for a question with no yes / no part
    no_withdraws: bool = False

    def settles(self) -> frozenset[str]:
        return frozenset(self.yes_adds) | frozenset(self.no_adds) | frozenset(self.settled_by)


@dataclass(frozen=True)
class Condition:
    id: str
    label: str
    terms: tuple[str, ...]
    medications: tuple[str, ...]
    qualifier_phrases: Mapping[str, tuple[str, ...]]
    outcome: Mapping[str, str]
    refine: tuple[Refine, ...]
    reason: str
    source: str
    follow_up: FollowUp | None = None
    adaptation: str | None = None
    client_note: str | None = None
    medication_class: str | None = None
    #: What the assistant tells a client who asks "can I have a massage
    #: with ...?": what the clinic adapts, when a doctor's OK is needed, how
    #: long to wait. Every condition but the red flags (the emergency
    #: message answers those) has one.
    client_answer: str | None = None
    #: Massage type ids (clinic/massage_types.yml) never recommended to a
    #: client who mentions this condition: the adaptation, machine-readable.
    avoid_types: tuple[str, ...] = ()
    #: Counts only when it is there now (a fresh bruise, a rash, a fever): a
    #: habit ("I bruise a bit after sport") or a condition ("if I get a
    #: rash...") said of it is no finding unless the question asks about it.
    current_only: bool = False

    def concerns(self, service: str) -> bool:
        """Whether any outcome of this condition for ``service`` is not ok."""
        if self.outcome[service] != "ok":
            return True
        return any(r.outcome[service] != "ok" for r in self.refine)

    def referenced_qualifiers(self) -> frozenset[str]:
        """Qualifiers that some rule of this condition looks at."""
        names: set[str] = set()
        for r in self.refine:
            names |= set(r.when.qualifier_any or ())
            names |= set(r.when.qualifier_none or ())
        return frozenset(names)

    def uses_detail(self, detail: str) -> bool:
        """Whether a refine rule looks at ``detail`` (days_ago, weeks_pregnant,
        body_area, medication, qualifier)."""
        for r in self.refine:
            keys = r.when.keys()
            if detail == "qualifier" and any(k.startswith("qualifier") for k in keys):
                return True
            if detail != "qualifier" and any(k.startswith(detail) for k in keys):
                return True
        return False


@dataclass(frozen=True)
class QuestionRule:
    id: str
    kind: str
    text: str
    services: tuple[str, ...]
    conditions: tuple[str, ...] = ()
    yes_means: str | None = None
    default_if_unclear: str | None = None
    answered_by: tuple[str, ...] = ()
    follow_up: str | None = None
    hint: str | None = None
    #: asked only once one of these conditions was found ("any
    #: complications?" only for a client who is pregnant)
    only_with: tuple[str, ...] = ()
    #: said before the question to confirm what the client already told
    #: ("You mentioned you're {weeks_pregnant} weeks pregnant."); its
    #: {fields} come from the `only_with` finding, and a preface whose fields
    #: are unknown is left out
    preface: str | None = None
    #: other questions' conditions that explain a "yes" here when the
    #: answer names them (a tooth extraction to "an operation?"), so neither
    #: the follow-up nor the cautious default is added
    explained_by: tuple[str, ...] = ()

    def applies_to(self, service: str | None) -> bool:
        """``service`` None (not known) means every question applies."""
        return service is None or service in self.services


@dataclass(frozen=True)
class RuleSet:
    path: str
    version: int
    reviewed_by: str
    reviewed_on: str
    outcome_order: tuple[str, ...]
    messages: Mapping[str, str]
    questions: tuple[QuestionRule, ...]
    conditions: Mapping[str, Condition]
    not_contraindications: tuple[str, ...] = ()
    phrase_index: Mapping[str, str] = field(default_factory=dict)

    def condition(self, cid: str) -> Condition:
        try:
            return self.conditions[cid]
        except KeyError:
            raise KeyError(f"unknown screening condition id {cid!r} (not in {self.path})") from None

    def question(self, qid: str) -> QuestionRule:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(f"unknown screening question id {qid!r} (not in {self.path})")

    def home_question(self, cid: str) -> QuestionRule | None:
        """The first condition question that asks about ``cid``."""
        for q in self.questions:
            if q.kind == "conditions" and cid in q.conditions:
                return q
        return None

    def message(self, key: str, **values: Any) -> str:
        return self.messages[key].format(**values) if values else self.messages[key]


# ------------------------------------------------------------------- loading


def default_rules_path() -> Path:
    """``$CLINIC_SCREENING_RULES`` or <repo>/clinic/screening_rules.yml.

    The variable lets a clinic keep its reviewed file outside the checkout
    and lets tests start the assistant with a broken or edited copy."""
    override = os.environ.get("CLINIC_SCREENING_RULES")
    return (
        Path(override)
        if override
        else Path(__file__).resolve().parents[2] / "clinic" / "screening_rules.yml"
    )


def load_rules(path: str | Path | None = None) -> RuleSet:
    """Read and validate the rules file; raise :class:`RulesError` listing
    every problem if anything is wrong."""
    path = Path(path) if path is not None else default_rules_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(path, [f"cannot read the file: {exc.strerror or exc}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesError(path, [f"not valid YAML: {exc}"]) from None
    return _Validator(path).build(data)


class _Validator:
    def __init__(self, path: Path):
        self.path = path
        self.errors: list[str] = []
        # Ids declared in the file, valid or not: references to a condition
        # that has its own errors are not reported a second time.
        self.declared: set[str] = set()
        # (condition id, phrase) for every term and medication, valid or not.
        self.raw_phrases: list[tuple[str, str, str]] = []

    def err(self, where: str, msg: str) -> None:
        self.errors.append(f"{where}: {msg}")

    # -- small typed getters -------------------------------------------------

    def _str(self, where: str, value: Any, *, required: bool = True) -> str | None:
        if value is None:
            if required:
                self.err(where, "is missing")
            return None
        if not isinstance(value, str) or not value.strip():
            self.err(where, f"must be a non-empty text, got {value!r}")
            return None
        return " ".join(value.split())

    def _unknown_keys(self, where: str, data: Mapping, allowed: set[str]) -> None:
        for key in data:
            if key not in allowed:
                self.err(where, f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})")

    def _name_list(
        self, where: str, value: Any, *, allow_empty: bool = False, lower: bool = True
    ) -> tuple[str, ...]:
        if not isinstance(value, list):
            self.err(where, f"must be a list, got {type(value).__name__}")
            return ()
        if not value and not allow_empty:
            self.err(where, "must not be empty")
        out: list[str] = []
        seen: set[str] = set()
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.err(f"{where}[{i}]", f"must be a non-empty text, got {item!r}")
                continue
            norm = normalise_phrase(item)
            if lower and norm != norm.lower():
                self.err(f"{where}[{i}]", f"{item!r} must be lower-case")
                norm = norm.lower()
            if norm in seen:
                self.err(f"{where}[{i}]", f"{norm!r} is listed twice")
                continue
            seen.add(norm)
            out.append(norm)
        return tuple(out)

    def _outcome_map(self, where: str, value: Any) -> dict[str, str] | None:
        if not isinstance(value, dict):
            self.err(
                where, f"must map each service ({', '.join(SERVICES)}) to an outcome, got {value!r}"
            )
            return None
        ok = True
        for key in value:
            if key not in SERVICES:
                self.err(where, f"unknown service {key!r} (services: {', '.join(SERVICES)})")
                ok = False
        result: dict[str, str] = {}
        for service in SERVICES:
            if service not in value:
                self.err(where, f"no outcome for service {service!r}")
                ok = False
                continue
            out = value[service]
            if out not in OUTCOME_ORDER:
                self.err(
                    f"{where}.{service}",
                    f"unknown outcome {out!r} (allowed: {', '.join(OUTCOME_ORDER)})",
                )
                ok = False
                continue
            result[service] = out
        return result if ok else None

    # -- whole file ------------------------------------------------------------

    def build(self, data: Any) -> RuleSet:
        p = str(self.path)
        if not isinstance(data, dict):
            raise RulesError(p, ["the file must be a YAML mapping at the top level"])
        self._unknown_keys("top level", data, _TOP_KEYS)

        version: Any = data.get("version")  # a YAML value, checked here
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            self.err("version", f"must be a positive whole number, got {version!r}")
        reviewed_by = self._str("reviewed_by", data.get("reviewed_by")) or ""
        raw_on: Any = data.get("reviewed_on")
        if hasattr(raw_on, "isoformat"):
            # YAML turns an unquoted 2026-01-31 into a date: accept it as text.
            raw_on = raw_on.isoformat()
        reviewed_on = self._str("reviewed_on", raw_on) or ""

        order = data.get("outcome_order")
        if order != list(OUTCOME_ORDER):
            self.err(
                "outcome_order",
                f"must be exactly {list(OUTCOME_ORDER)} (strictest first; the order is fixed by "
                f"screening.md), got {order!r}",
            )

        messages = self._messages(data.get("messages"))
        not_ci: tuple[str, ...] = ()
        if "not_contraindications" in data:
            not_ci = self._name_list("not_contraindications", data["not_contraindications"])

        conditions = self._conditions(data.get("conditions"))
        questions = self._questions(data.get("questions"), conditions)
        phrase_index = self._phrases(conditions, not_ci)

        if "red_flag" not in self.declared:
            self.err("conditions", "no 'red_flag' condition: the emergency check cannot be missing")
        elif "red_flag" in conditions:
            rf = conditions["red_flag"]
            if any(rf.outcome[s] != "emergency" for s in SERVICES):
                self.err("conditions[red_flag].outcome", "must be emergency for every service")
            if rf.refine:
                self.err(
                    "conditions[red_flag].refine",
                    "red flags cannot be refined: they are always an emergency",
                )

        if self.errors:
            raise RulesError(p, self.errors)
        return RuleSet(
            path=p,
            version=version,
            reviewed_by=reviewed_by,
            reviewed_on=reviewed_on,
            outcome_order=tuple(OUTCOME_ORDER),
            messages=MappingProxyType(messages),
            questions=tuple(questions),
            conditions=MappingProxyType(conditions),
            not_contraindications=not_ci,
            phrase_index=MappingProxyType(phrase_index),
        )

    # -- messages --------------------------------------------------------------

    def _messages(self, value: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            self.err("messages", "is missing or not a mapping")
            return {}
        out: dict[str, str] = {}
        for key in value:
            if key == "emergency":
                self.err(
                    "messages.emergency",
                    "the emergency wording is the domain's utter_emergency "
                    "(domain.yml), so that it never needs the action server: edit it there",
                )
            elif key not in REQUIRED_MESSAGES:
                self.err(
                    "messages",
                    f"unknown message {key!r} (expected: {', '.join(REQUIRED_MESSAGES)})",
                )
        for key, allowed in REQUIRED_MESSAGES.items():
            where = f"messages.{key}"
            text = self._str(where, value.get(key))
            if text is None:
                continue
            try:
                names = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
            except ValueError as exc:
                self.err(where, f"bad {{placeholder}} syntax: {exc}")
                continue
            for name in names - allowed:
                self.err(
                    where, f"unknown placeholder {{{name}}} (allowed: {sorted(allowed) or 'none'})"
                )
            for name in _REQUIRED_PLACEHOLDERS.get(key, set()) - names:
                self.err(where, f"must contain the placeholder {{{name}}}")
            out[key] = text
        clearance = out.get("clearance", "")
        if clearance and "check with" not in clearance.lower():
            self.err(
                "messages.clearance",
                "must ask the client to 'check with' their doctor, midwife or specialist",
            )
        return out

    # -- conditions ------------------------------------------------------------

    def _conditions(self, value: Any) -> dict[str, Condition]:
        if not isinstance(value, list) or not value:
            self.err("conditions", "is missing or not a non-empty list")
            return {}
        raw: list[tuple[str, dict]] = []
        ids: set[str] = set()
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                self.err(f"conditions[{i}]", "must be a mapping")
                continue
            cid = item.get("id")
            if not isinstance(cid, str) or not _ID_RE.match(cid):
                self.err(f"conditions[{i}].id", f"must be a snake_case id, got {cid!r}")
                continue
            if cid in ids:
                self.err(f"conditions[{cid}]", "duplicate condition id")
                continue
            ids.add(cid)
            raw.append((cid, item))
        self.declared = set(ids)
        out: dict[str, Condition] = {}
        for cid, item in raw:
            cond = self._condition(cid, item, ids)
            if cond is not None:
                out[cid] = cond
        return out

    def _condition(self, cid: str, item: dict, ids: set[str]) -> Condition | None:
        w = f"conditions[{cid}]"
        n_errors = len(self.errors)
        self._unknown_keys(w, item, _CONDITION_KEYS)
        label = self._str(f"{w}.label", item.get("label"))
        reason = self._str(f"{w}.reason", item.get("reason"))
        source = self._str(f"{w}.source", item.get("source"))
        adaptation = self._str(f"{w}.adaptation", item.get("adaptation"), required=False)
        client_note = self._str(f"{w}.client_note", item.get("client_note"), required=False)
        client_answer = self._str(f"{w}.client_answer", item.get("client_answer"), required=False)
        avoid_types: tuple[str, ...] = ()
        if item.get("avoid_types") is not None:
            avoid_types = self._name_list(f"{w}.avoid_types", item["avoid_types"])
            for name in avoid_types:
                if not _ID_RE.match(name):
                    self.err(f"{w}.avoid_types", f"{name!r} must be a massage type id (snake_case)")
        medication_class = item.get("medication_class")
        current_only = item.get("current_only", False)
        if not isinstance(current_only, bool):
            self.err(f"{w}.current_only", "must be true or false")
            current_only = False

        terms: tuple[str, ...] = ()
        medications: tuple[str, ...] = ()
        qualifier_phrases: dict[str, tuple[str, ...]] = {}
        rec = item.get("recognise")
        if not isinstance(rec, dict):
            self.err(f"{w}.recognise", "is missing or not a mapping with 'terms'")
        else:
            self._unknown_keys(f"{w}.recognise", rec, _RECOGNISE_KEYS)
            if "terms" not in rec or rec.get("terms") is None:
                self.err(
                    f"{w}.recognise.terms",
                    "is missing: the reader could never recognise this condition",
                )
            else:
                terms = self._name_list(f"{w}.recognise.terms", rec["terms"])
            if "medications" in rec:
                medications = self._name_list(f"{w}.recognise.medications", rec["medications"])
            self.raw_phrases += [(cid, "terms", t) for t in terms] + [
                (cid, "medications", m) for m in medications
            ]
            q = rec.get("qualifiers")
            if q is not None:
                if not isinstance(q, dict):
                    self.err(
                        f"{w}.recognise.qualifiers",
                        "must map a qualifier name to a list of phrases",
                    )
                else:
                    for name, phrases in q.items():
                        if not isinstance(name, str) or not _ID_RE.match(name):
                            self.err(
                                f"{w}.recognise.qualifiers",
                                f"qualifier name {name!r} must be snake_case",
                            )
                            continue
                        qualifier_phrases[name] = self._name_list(
                            f"{w}.recognise.qualifiers.{name}", phrases
                        )
        if medications:
            if not isinstance(medication_class, str) or not _ID_RE.match(medication_class):
                self.err(
                    f"{w}.medication_class",
                    "is required (snake_case) when medications are listed: it is what gets stored instead of the drug name",
                )
        elif medication_class is not None:
            self.err(f"{w}.medication_class", "is given but the condition lists no medications")

        base = self._outcome_map(f"{w}.outcome", item.get("outcome"))

        refine: list[Refine] = []
        rv = item.get("refine", [])
        if rv is None:
            rv = []
        if not isinstance(rv, list):
            self.err(f"{w}.refine", "must be a list of rules")
            rv = []
        for i, r in enumerate(rv):
            rule = self._refine(f"{w}.refine[{i}]", r, ids, base, cid)
            if rule is not None:
                refine.append(rule)

        follow_up = None
        if item.get("follow_up") is not None:
            follow_up = self._follow_up(f"{w}.follow_up", item["follow_up"])

        outcomes_used = set((base or {}).values()) | {o for r in refine for o in r.outcome.values()}
        if "modify" in outcomes_used and adaptation is None:
            self.err(
                f"{w}.adaptation",
                "is required: an outcome is 'modify' but nothing says what the therapist changes",
            )
        if cid != "red_flag" and client_answer is None:  # the emergency message answers red flags
            self.err(
                f"{w}.client_answer",
                "is required: it is what the assistant says to 'can I have a massage with this?' "
                "(what is adapted, when a doctor's OK is needed, how long to wait)",
            )

        if (
            len(self.errors) != n_errors
            or base is None
            or label is None
            or reason is None
            or source is None
        ):
            return None
        return Condition(
            id=cid,
            label=label,
            terms=terms,
            medications=medications,
            qualifier_phrases=MappingProxyType(qualifier_phrases),
            outcome=MappingProxyType(base),
            refine=tuple(refine),
            reason=reason,
            source=source,
            follow_up=follow_up,
            adaptation=adaptation,
            client_note=client_note,
            medication_class=medication_class,
            client_answer=client_answer,
            avoid_types=avoid_types,
            current_only=current_only,
        )

    def _refine(self, w: str, r: Any, ids: set[str], base: dict | None, cid: str) -> Refine | None:
        if not isinstance(r, dict):
            self.err(w, "must be a mapping with when / outcome / reason")
            return None
        n_errors = len(self.errors)
        self._unknown_keys(w, r, _REFINE_KEYS)
        when_raw = r.get("when")
        kwargs: dict[str, Any] = {}
        if not isinstance(when_raw, dict) or not when_raw:
            self.err(f"{w}.when", "must be a non-empty mapping")
        else:
            for key, val in when_raw.items():
                kind = WHEN_KEYS.get(key)
                kw = f"{w}.when.{key}"
                if kind is None:
                    self.err(f"{w}.when", f"unknown key {key!r} (allowed: {', '.join(WHEN_KEYS)})")
                elif kind == "int":
                    if not isinstance(val, int) or isinstance(val, bool) or val < 0:
                        self.err(kw, f"must be a whole number >= 0, got {val!r}")
                    else:
                        kwargs[key] = val
                elif kind == "bool":
                    if not isinstance(val, bool):
                        self.err(kw, f"must be true or false, got {val!r}")
                    else:
                        kwargs[key] = val
                else:
                    names = self._name_list(kw, val)
                    if kind == "conditions":
                        for name in names:
                            if name not in ids:
                                self.err(kw, f"unknown condition {name!r}")
                            if name == cid:
                                self.err(kw, "a condition cannot depend on itself")
                    kwargs[key] = frozenset(names)
            for lo, hi in (
                ("days_ago_min", "days_ago_max"),
                ("weeks_pregnant_min", "weeks_pregnant_max"),
            ):
                if lo in kwargs and hi in kwargs and kwargs[lo] > kwargs[hi]:
                    self.err(f"{w}.when", f"{lo} is larger than {hi}: the rule can never apply")
        outcome = self._outcome_map(f"{w}.outcome", r.get("outcome"))
        reason = self._str(f"{w}.reason", r.get("reason"))
        counts_as = r.get("counts_as")
        if counts_as is not None and counts_as not in ids:
            self.err(f"{w}.counts_as", f"unknown condition {counts_as!r}")
        policy = r.get("policy")
        if policy is not None and (not isinstance(policy, str) or not _ID_RE.match(policy)):
            self.err(f"{w}.policy", f"must be a snake_case policy name, got {policy!r}")
        if outcome and base and "with_condition_any" in kwargs:
            # Monotonicity: another finding may only make this one stricter.
            for s in SERVICES:
                if strictness(outcome[s]) > strictness(base[s]):
                    self.err(
                        f"{w}.outcome.{s}",
                        f"a with_condition_any rule may only make the outcome stricter, but {outcome[s]!r} "
                        f"is more lenient than the condition's outcome {base[s]!r}",
                    )
        if len(self.errors) != n_errors or outcome is None or reason is None:
            return None
        return Refine(
            when=When(**kwargs),
            outcome=MappingProxyType(outcome),
            reason=reason,
            counts_as=counts_as,
            policy=policy,
        )

    def _follow_up(self, w: str, f: Any) -> FollowUp | None:
        if not isinstance(f, dict):
            self.err(w, "must be a mapping with text / needs (optional yes_adds, no_adds)")
            return None
        n_errors = len(self.errors)
        self._unknown_keys(w, f, _FOLLOW_UP_KEYS)
        text = self._str(f"{w}.text", f.get("text"))
        needs: tuple[str, ...] = ()
        if "needs" not in f:
            self.err(f"{w}.needs", "is missing (use [] to always ask once)")
        else:
            needs = self._name_list(f"{w}.needs", f["needs"], allow_empty=True)
            for n in needs:
                if n not in FOLLOW_UP_NEEDS:
                    self.err(
                        f"{w}.needs",
                        f"unknown detail {n!r} (allowed: {', '.join(sorted(FOLLOW_UP_NEEDS))})",
                    )
        yes_adds = self._name_list(f"{w}.yes_adds", f.get("yes_adds", []), allow_empty=True)
        no_adds = self._name_list(f"{w}.no_adds", f.get("no_adds", []), allow_empty=True)
        settled_by = self._name_list(f"{w}.settled_by", f.get("settled_by", []), allow_empty=True)
        settled_with = self._name_list(
            f"{w}.settled_with", f.get("settled_with", []), allow_empty=True
        )
        no_withdraws = f.get("no_withdraws", False)
        if not isinstance(no_withdraws, bool):
            self.err(f"{w}.no_withdraws", "must be true or false")
        elif no_withdraws and (yes_adds or no_adds):
            self.err(f"{w}.no_withdraws", "a no that takes the condition back cannot also add")
        if len(self.errors) != n_errors or text is None:
            return None
        return FollowUp(
            text=text,
            needs=needs,
            yes_adds=yes_adds,
            no_adds=no_adds,
            settled_by=settled_by,
            settled_with=settled_with,
            no_withdraws=no_withdraws,
        )

    # -- phrases ---------------------------------------------------------------

    def _phrases(self, conditions: dict[str, Condition], not_ci: tuple[str, ...]) -> dict[str, str]:
        index: dict[str, str] = {}
        for cid, _kind, phrase in self.raw_phrases:
            other = index.get(phrase)
            if other is not None and other != cid:
                self.err(
                    f"conditions[{cid}].recognise",
                    f"the term {phrase!r} is also claimed by condition {other!r}: a term may belong to one condition only",
                )
            elif other == cid:
                self.err(
                    f"conditions[{cid}].recognise",
                    f"the term {phrase!r} is listed in both terms and medications",
                )
            else:
                index[phrase] = cid
        for cid, cond in conditions.items():
            if cond.follow_up:
                for name in cond.follow_up.yes_adds + cond.follow_up.no_adds:
                    if name not in cond.referenced_qualifiers():
                        self.err(
                            f"conditions[{cid}].follow_up",
                            f"adds qualifier {name!r} that no refine rule of this condition looks at",
                        )
        for phrase in not_ci:
            if phrase in index:
                self.err(
                    f"conditions[{index[phrase]}].recognise",
                    f"the term {phrase!r} is listed under not_contraindications (it is an indication, not a contraindication)",
                )
        return index

    # -- questions -------------------------------------------------------------

    def _questions(self, value: Any, conditions: dict[str, Condition]) -> list[QuestionRule]:
        if not isinstance(value, list) or not value:
            self.err("questions", "is missing or not a non-empty list")
            return []
        # Ids declared in the file count as known even when the condition has
        # errors of its own, so one mistake is not reported twice.
        known = set(self.declared) or set(conditions)
        out: list[QuestionRule] = []
        seen: set[str] = set()
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                self.err(f"questions[{i}]", "must be a mapping")
                continue
            qid = item.get("id")
            if not isinstance(qid, str) or not _ID_RE.match(qid):
                self.err(f"questions[{i}].id", f"must be a snake_case id, got {qid!r}")
                continue
            w = f"questions[{qid}]"
            if qid in seen:
                self.err(w, "duplicate question id")
                continue
            seen.add(qid)
            n_errors = len(self.errors)
            self._unknown_keys(w, item, _QUESTION_KEYS)
            kind = item.get("kind", "conditions")
            if kind not in QUESTION_KINDS:
                self.err(
                    f"{w}.kind", f"unknown kind {kind!r} (allowed: {', '.join(QUESTION_KINDS)})"
                )
            text = self._str(f"{w}.text", item.get("text"))
            services_raw = item.get("services")
            services: tuple[str, ...] = ()
            if services_raw is None:
                self.err(f"{w}.services", "is missing (list body, facial or both)")
            else:
                services = self._name_list(f"{w}.services", services_raw)
                for s in services:
                    if s not in SERVICES:
                        self.err(
                            f"{w}.services",
                            f"unknown service {s!r} (services: {', '.join(SERVICES)})",
                        )
            conds: tuple[str, ...] = ()
            if kind == "conditions":
                if item.get("conditions") is None:
                    self.err(f"{w}.conditions", "is missing")
                else:
                    conds = self._name_list(f"{w}.conditions", item["conditions"])
            elif item.get("conditions") is not None:
                self.err(f"{w}.conditions", f"a {kind} question does not list conditions")

            # w and conds bound now: the helper belongs to this question only
            def ref(
                field_name: str,
                cid: Any,
                within: bool,
                w: str = w,
                conds: tuple[str, ...] = conds,
            ) -> str | None:
                if cid is None:
                    return None
                if not isinstance(cid, str) or cid not in known:
                    self.err(f"{w}.{field_name}", f"unknown condition {cid!r}")
                    return None
                if within and cid not in conds:
                    self.err(
                        f"{w}.{field_name}", f"{cid!r} is not one of this question's conditions"
                    )
                return cid

            for cid in conds:
                if cid not in known:
                    self.err(f"{w}.conditions", f"unknown condition {cid!r}")
            yes_means = ref("yes_means", item.get("yes_means"), within=True)
            default = ref(
                "default_if_unclear", item.get("default_if_unclear"), within=(kind == "conditions")
            )
            if kind in ("conditions", "free_text") and item.get("default_if_unclear") is None:
                self.err(
                    f"{w}.default_if_unclear",
                    "is missing: an unclear yes must map to a cautious condition",
                )
            answered_by: tuple[str, ...] = ()
            if item.get("answered_by") is not None:
                answered_by = self._name_list(f"{w}.answered_by", item["answered_by"])
                for cid in answered_by:
                    ref("answered_by", cid, within=True)
            follow_up = self._str(f"{w}.follow_up", item.get("follow_up"), required=False)
            if (
                kind != "service"
                and yes_means is None
                and follow_up is None
                and item.get("follow_up") is None
            ):
                self.err(
                    f"{w}.follow_up",
                    "is missing: a yes without details needs a follow-up question (or set yes_means)",
                )
            if kind == "service":
                for key in ("yes_means", "default_if_unclear", "answered_by", "follow_up"):
                    if item.get(key) is not None:
                        self.err(f"{w}.{key}", "does not apply to the service question")
            hint = self._str(f"{w}.hint", item.get("hint"), required=False)
            only_with: tuple[str, ...] = ()
            if item.get("only_with") is not None:
                only_with = self._name_list(f"{w}.only_with", item["only_with"])
                for cid in only_with:
                    ref("only_with", cid, within=False)
            preface = self._str(f"{w}.preface", item.get("preface"), required=False)
            explained_by: tuple[str, ...] = ()
            if item.get("explained_by") is not None:
                explained_by = self._name_list(f"{w}.explained_by", item["explained_by"])
                for cid in explained_by:
                    ref("explained_by", cid, within=False)
            if len(self.errors) != n_errors or text is None:
                continue
            out.append(
                QuestionRule(
                    id=qid,
                    kind=kind,
                    text=text,
                    services=services,
                    conditions=conds,
                    yes_means=yes_means,
                    default_if_unclear=default,
                    answered_by=answered_by,
                    follow_up=follow_up,
                    hint=hint,
                    only_with=only_with,
                    preface=preface,
                    explained_by=explained_by,
                )
            )
        # Structure of the flow.
        if (
            value
            and isinstance(value[0], dict)
            and "red_flag" not in (value[0].get("conditions") or [])
        ):
            self.err(
                "questions", "the first question must ask about red flags (conditions: [red_flag])"
            )
        kinds = [item.get("kind", "conditions") for item in value if isinstance(item, dict)]
        if kinds.count("service") != 1:
            self.err(
                "questions",
                f"there must be exactly one question of kind 'service', found {kinds.count('service')}",
            )
        if kinds.count("free_text") != 1:
            self.err(
                "questions",
                f"there must be exactly one question of kind 'free_text', found {kinds.count('free_text')}",
            )
        elif kinds and kinds[-1] != "free_text":
            self.err("questions", "the free_text (anything else) question must be the last one")
        for cid in ("red_flag",):
            if cid in known and not any(cid in q.conditions for q in out):
                self.err("questions", f"no question asks about {cid!r}")
        return out
