"""The pre-screen as an interview: a pure state machine over a JSON-serialisable
dict (kept in a Rasa slot between turns).

The action layer loops::

    state = new_state(service)              # or prefill(state, reading, rules)
    q = next_question(rules, state)         # None: finished (or emergency)
    ... ask q.text (with q.preface), read the reply into a Reading ...
    state = apply_answer(rules, state, q.id, reading)
    ...
    result = outcome(rules, state)          # Outcome(outcome, reasons, notes)
    lines = summary(rules, state)           # for the client to confirm
    record = stored_record(rules, state, now)   # what may be stored

Every function returns a new state; the input is never modified. Plain Python,
no Rasa imports. The text reader (clinic_core.nlp.reader) turns messages into
:class:`Reading` objects; this module never reads text itself.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from ..massage_types import current_service_words, screening_services_of
from ..profile import current_profile, load_profile
from .engine import (
    UnknownConditionError,
    evaluate_finding,
    evaluate_many,
    finding_qualifiers,
    is_refined,
    is_settled,
)
from .model import HABITUAL, SERVICES, Finding, Outcome, Reading
from .rules import Condition, QuestionRule, RuleSet, strictness

__all__ = [
    "Question",
    "STATE_VERSION",
    "new_state",
    "prefill",
    "next_question",
    "apply_answer",
    "reset_question",
    "note_off_topic",
    "change_service",
    "questions_added_by",
    "reopen",
    "new_findings",
    "outcome",
    "summary",
    "client_notes",
    "stored_record",
    "consent_text",
    "load_retention_days",
    "service_from_massage_types",
    "service_from_text",
    "service_wanted",
]

STATE_VERSION = 1
EXTRA = "extra"  # question id used for follow-ups of conditions no question asks about

_FINDING_FIELDS = (
    "condition",
    "negated",
    "evidence",
    "medication",
    "body_area",
    "days_ago",
    "weeks_pregnant",
    "qualifiers",
)


@dataclass(frozen=True)
class Question:
    """What to ask next.

    ``id`` is what to pass back to :func:`apply_answer`: the rules question
    id for a main question (and its retry), ``<qid>:follow_up`` for the
    question's own follow-up, ``<qid>:follow_up:<condition>`` for a
    condition's follow-up. ``preface`` (optional) goes before ``text``.
    """

    id: str
    question_id: str
    kind: str  # main | retry | service | free_text | follow_up
    text: str
    condition: str | None = None
    conditions: tuple[str, ...] = ()
    preface: str | None = None

    @property
    def full_text(self) -> str:
        return f"{self.preface} {self.text}" if self.preface else self.text


# ----------------------------------------------------------------- state basics


def new_state(service: str | None = None) -> dict[str, Any]:
    """A fresh screening. ``service``: body, facial, or None (asked)."""
    if service is not None and service not in SERVICES:
        raise ValueError(f"unknown service {service!r} (services: {', '.join(SERVICES)})")
    return {
        "version": STATE_VERSION,
        "service": service,
        "service_tries": 0,
        "answers": {},
        "tries": {},
        "asked": [],
        "findings": [],
        "denied": [],
        "mentioned": {},
        "emergency": False,
        "emergency_reasons": [],
        "detours": [],
    }


def _copy(state: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
        raise ValueError("not a screening state (use new_state())")
    return copy.deepcopy(state)


def _finding(d: dict[str, Any]) -> Finding:
    return Finding.from_dict({k: d.get(k) for k in _FINDING_FIELDS if k in d})


def _fdict(f: Finding, source: str, assumed: bool = False) -> dict[str, Any]:
    d = f.to_dict()
    d["negated"] = False
    d["source"] = source
    d["assumed"] = assumed
    return d


def _active(state: dict[str, Any], cid: str | None = None) -> list[dict[str, Any]]:
    return [d for d in state["findings"] if cid is None or d["condition"] == cid]


def _services(state: dict[str, Any]) -> tuple[str, ...]:
    s = state.get("service")
    return (s,) if s in SERVICES else tuple(SERVICES)


def _applies(q: QuestionRule, state: dict[str, Any]) -> bool:
    s = state.get("service")
    return q.applies_to(s if s in SERVICES else None)


def service_from_massage_types(types: Iterable[str]) -> str | None:
    """body / facial from massage_type values (each type's screening_service
    in clinic/massage_types.yml); 'both' if both; None if none."""
    found = screening_services_of(types)
    if len(found) == 2:
        return "both"
    return found.pop() if found else None


def service_from_text(text: str, massage_types: Iterable[str] = ()) -> str | None:
    """The answer to "body or facial?": from massage types the reader found
    ("deep tissue" is a body massage) or the plain words clients use ("the
    body one", "facial please": the screening_services words of
    clinic/massage_types.yml). 'both' when both are named; None when
    neither, so the question is asked again."""
    found = screening_services_of(massage_types)
    words = current_service_words()
    said = set(re.findall(r"[a-z]+", text.lower()))
    for service, entry in words.items():
        known = set(entry.words)
        # one slip of the keyboard is still the word ("bodey", "facail")
        typos = [w for w in said if len(w) >= 5]  # "boy" is not a slip for "body"
        if said & known or any(get_close_matches(w, known, n=1, cutoff=0.8) for w in typos):
            found.add(service)
    if len(found) == 2:
        return "both"
    return found.pop() if found else None


_NOT_THIS = re.compile(
    r"\b(not|instead of|rather than|no longer|n't want|dont want|don't want)\W+(?:\w+\W+){0,2}$"
)


def service_wanted(text: str, massage_types: Iterable[str] = ()) -> str | None:
    """Like :func:`service_from_text`, for a change of mind: when both
    services are named, the one the client turns away from ("a facial
    instead of a body massage", "facial, not body") is dropped. 'both'
    only when neither is turned away from."""
    found = service_from_text(text, massage_types)
    if found != "both":
        return found
    words = current_service_words()
    lowered = text.lower()
    kept = []
    for service, entry in words.items():
        spots = [
            m.start()
            for w in entry.words
            for m in re.finditer(r"(?<![a-z])" + re.escape(w) + r"(?![a-z])", lowered)
        ]
        if not spots or not all(_NOT_THIS.search(lowered[:spot]) for spot in spots):
            kept.append(service)
    return kept[0] if len(kept) == 1 else "both"


def _check_ids(rules: RuleSet, reading: Reading) -> None:
    for f in reading.findings:
        if f.condition not in rules.conditions:
            raise UnknownConditionError(
                f"the reader returned condition {f.condition!r}, which {rules.path} does not define"
            )


def _reading_details(reading: Reading) -> dict[str, Any]:
    """Message-level details (not tied to a finding)."""
    return {
        "days_ago": reading.durations_days[0] if reading.durations_days else None,
        "weeks_pregnant": reading.weeks_pregnant,
        "qualifiers": list(reading.qualifiers),
        "body_area": ", ".join(reading.body_areas) if reading.body_areas else None,
    }


def _has_details(reading: Reading) -> bool:
    return bool(
        reading.durations_days
        or reading.weeks_pregnant is not None
        or reading.qualifiers
        or reading.body_areas
    )


def _fill(d: dict[str, Any], details: dict[str, Any]) -> None:
    """Fill the finding's missing details; qualifiers are added."""
    for key in ("days_ago", "weeks_pregnant", "body_area", "medication"):
        if d.get(key) is None and details.get(key) is not None:
            d[key] = details[key]
    quals = list(d.get("qualifiers") or [])
    for q in details.get("qualifiers") or []:
        if q not in quals:
            quals.append(q)
    d["qualifiers"] = quals


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = ("condition", "medication", "body_area", "days_ago", "weeks_pregnant")
    return all(a.get(k) == b.get(k) for k in keys) and sorted(a.get("qualifiers") or []) == sorted(
        b.get("qualifiers") or []
    )


def _bare(d: dict[str, Any]) -> bool:
    """A mention with no details at all ("since my stent")."""
    return not any(
        d.get(k) for k in ("days_ago", "weeks_pregnant", "body_area", "qualifiers", "medication")
    )


def _add(state: dict[str, Any], f: Finding, source: str, assumed: bool = False) -> dict[str, Any]:
    d = _fdict(f, source, assumed)
    for old in state["findings"]:
        if _same(old, d) or (
            old["condition"] == d["condition"] and _bare(d) and not old.get("assumed")
        ):
            # the same thing again, or named again without details: not a
            # second condition (its details stay those already given)
            old["assumed"] = old.get("assumed", False) and assumed
            return old
    state["findings"].append(d)
    if f.condition in state["denied"]:
        state["denied"].remove(f.condition)
    return d


def _retract_answers(state: dict[str, Any]) -> None:
    """A "yes" whose every named condition was since denied (a correction
    at the summary: "no spots after all") becomes a "no", so the question's
    follow-up is not asked again."""
    for qid, named in state["mentioned"].items():
        if (
            state["answers"].get(qid) == "yes"
            and named
            and all(c in state["denied"] for c in named)
        ):
            state["answers"][qid] = "no"


def _as_current(
    rules: RuleSet | None, reading: Reading, asked: Iterable[str] | None = ()
) -> Reading:
    """The reading without what was said only as a habit or a condition
    ("I bruise a bit after sport", the reader's HABITUAL) of a condition that
    counts only when there now (the rules file's ``current_only``), unless
    the question asks about that condition (``asked``; None: a question
    about anything). Other habits stay findings ("I get seizures when
    stressed"): the marker itself is dropped. Without rules nothing is
    dropped (cautious)."""
    if not any(HABITUAL in f.qualifiers for f in reading.findings):
        return reading
    wanted = None if asked is None else set(asked)
    kept: list[Finding] = []
    for f in reading.findings:
        if HABITUAL in f.qualifiers:
            if (
                rules is not None
                and wanted is not None
                and f.condition not in wanted
                and rules.condition(f.condition).current_only
            ):
                continue
            f = replace(f, qualifiers=tuple(q for q in f.qualifiers if q != HABITUAL))
        kept.append(f)
    polarity = reading.polarity
    if reading.polarity_from_words is False and polarity and not any(not f.negated for f in kept):
        polarity = None  # the yes was only the habit
    return replace(reading, findings=tuple(kept), polarity=polarity)


def _withdrawn(cond: Condition, reading: Reading) -> bool:
    """A plain no to a follow-up that has no yes / no part and takes the
    condition back ("no, not me" to "where on your body is it?")."""
    return (
        cond.follow_up is not None
        and cond.follow_up.no_withdraws
        and reading.polarity is False
        and not reading.positive()
        and not _has_details(reading)
    )


def _absorb(state: dict[str, Any], reading: Reading, source: str) -> None:
    """Take every finding of a message: denials first (corrections clear
    earlier positives of that condition), then affirmations."""
    for f in reading.findings:
        if f.negated:
            state["findings"] = [d for d in state["findings"] if d["condition"] != f.condition]
            if f.condition not in state["denied"]:
                state["denied"].append(f.condition)
    for f in reading.positive():
        _add(state, f, source)


def _judge(
    rules: RuleSet, state: dict[str, Any], services: tuple[str, ...] | None = None
) -> Outcome:
    findings = [_finding(d) for d in state["findings"]]
    return evaluate_many(rules, services or _services(state), findings)


def _update_emergency(rules: RuleSet, state: dict[str, Any]) -> None:
    """Mark the state as an emergency as soon as any finding is one (for any
    service: cautious). Sticky: later answers cannot undo it."""
    if state["emergency"]:
        return
    findings = [_finding(d) for d in state["findings"]]
    present = frozenset(f.condition for f in findings)
    ids: list[str] = []
    for service in SERVICES:
        for f in findings:
            r = evaluate_finding(rules, service, f, present - {f.condition})
            if r.outcome == "emergency":
                ids.extend(c for c in r.ids if c not in ids)
    if ids:
        state["emergency"] = True
        state["emergency_reasons"] = sorted(ids)


# ----------------------------------------------------------------- prefill


def prefill(
    state: dict[str, Any], reading: Reading, rules: RuleSet | None = None
) -> dict[str, Any]:
    """Take findings (and the service) from messages before the form started,
    e.g. "hi, I'm 20 weeks pregnant". Pass ``rules`` to validate condition ids
    and to flag an emergency at once; :func:`next_question` also checks."""
    state = _copy(state)
    if state["emergency"]:
        return state
    if rules is not None:
        _check_ids(rules, reading)
    reading = _as_current(rules, reading)
    noted = {d["condition"]: d for d in _active(state)}
    again = [f for f in reading.positive() if f.condition in noted]
    # A condition already noted, named again with new details ("the spot is
    # gone now" at the summary): the details complete the noted finding
    # rather than adding a second one.
    for f in again:
        fd = f.to_dict()
        _fill(
            noted[f.condition],
            {
                k: fd.get(k)
                for k in ("days_ago", "weeks_pregnant", "body_area", "medication", "qualifiers")
            },
        )
    rest = Reading(
        polarity=reading.polarity,
        findings=tuple(f for f in reading.findings if f.negated or f.condition not in noted),
        massage_types=reading.massage_types,
    )
    _absorb(state, rest, "prefill")
    _retract_answers(state)
    if state.get("service") is None:
        service = service_from_massage_types(reading.massage_types)
        if service in SERVICES:
            state["service"] = service
    if rules is not None:
        _update_emergency(rules, state)
    return state


# ----------------------------------------------------------------- next question


def _complete(rules: RuleSet, state: dict[str, Any], d: dict[str, Any]) -> bool:
    """Whether a finding needs no (more) follow-up."""
    cond = rules.condition(d["condition"])
    fu = cond.follow_up
    if fu is None or d.get("assumed") or f"c:{cond.id}" in state["asked"]:
        return True
    if not any(cond.concerns(s) for s in _services(state)):
        return True
    present = frozenset(x["condition"] for x in _active(state)) - {cond.id}
    if all(is_settled(rules, s, _finding(d), present) for s in _services(state)):
        return True  # nothing the client could add would change the outcome
    if present & frozenset(fu.settled_with):
        return True  # "apixaban for my AF": what it is for is known
    if not fu.needs:
        return False
    for need in fu.needs:
        if need == "qualifier":
            # known when the details decide the outcome ("a stent 4 years
            # ago" alone does not say whether it is controlled now)
            if any(is_refined(rules, s, _finding(d), present) for s in _services(state)):
                return True
            if finding_qualifiers(cond, _finding(d)) & fu.settles():
                return True  # "healed" already said to "has it fully healed?"
        elif d.get(need) is not None:
            return True
    return False


def _home(rules: RuleSet, state: dict[str, Any], cid: str) -> QuestionRule | None:
    for q in rules.questions:
        if q.kind == "conditions" and cid in q.conditions and _applies(q, state):
            return q
    return None


def _labels(rules: RuleSet, cids: Iterable[str]) -> str:
    seen: list[str] = []
    for cid in cids:
        label = rules.condition(cid).label
        if label not in seen:
            seen.append(label)
    return "; ".join(seen)


def _follow_up_question(rules: RuleSet, qid: str, cid: str) -> Question:
    cond = rules.condition(cid)
    assert cond.follow_up is not None
    return Question(
        id=f"{qid}:follow_up:{cid}",
        question_id=qid,
        kind="follow_up",
        text=cond.follow_up.text,
        condition=cid,
        conditions=(cid,),
        preface=rules.message("already_noted", labels=cond.label),
    )


def _is_emergency(rules: RuleSet, state: dict[str, Any]) -> bool:
    return state["emergency"] or _judge(rules, state, tuple(SERVICES)).outcome == "emergency"


def next_question(rules: RuleSet, state: dict[str, Any]) -> Question | None:
    """The next thing to ask, or None when the screening is finished (or an
    emergency was found: the flow ends with the emergency message)."""
    if _is_emergency(rules, state):
        return None
    answers = state["answers"]
    for q in rules.questions:
        if not _applies(q, state):
            continue
        if q.kind == "service":
            if state.get("service") is None:
                retry = state["service_tries"] > 0
                return Question(
                    id=q.id,
                    question_id=q.id,
                    kind="service",
                    text=(rules.message("service_hint") + " " + q.text) if retry else q.text,
                )
            continue
        # Follow-ups of findings this question is home to (from any answer).
        for d in _active(state):
            home = _home(rules, state, d["condition"])
            if home is not None and home.id == q.id and not _complete(rules, state, d):
                return _follow_up_question(rules, q.id, d["condition"])
        if q.id not in answers:
            if _answered_by_findings(q, state) or not _with_its_condition(q, state):
                continue
            known = [d["condition"] for d in _active(state) if d["condition"] in q.conditions]
            tries = state["tries"].get(q.id, 0)
            if q.id in state.get("detours", []):
                hint = rules.message("back_to_question")  # after an FAQ or a booking wish
            else:
                hint = q.hint or rules.message("retry_hint")
            preface = _preface(q, state)
            if known:
                preface = rules.message("already_noted", labels=_labels(rules, known))
            return Question(
                id=q.id,
                question_id=q.id,
                kind="retry" if tries else ("free_text" if q.kind == "free_text" else "main"),
                text=f"{hint} {q.text}" if tries else q.text,
                conditions=q.conditions,
                preface=preface,
            )
        if (
            answers[q.id] == "yes"
            and q.follow_up
            and f"q:{q.id}" not in state["asked"]
            and not _found_for(q, state)
        ):
            return Question(
                id=f"{q.id}:follow_up",
                question_id=q.id,
                kind="follow_up",
                text=q.follow_up,
                conditions=q.conditions,
            )
    # Conditions no applicable question asks about (mentioned in passing).
    for d in _active(state):
        if _home(rules, state, d["condition"]) is None and not _complete(rules, state, d):
            return _follow_up_question(rules, EXTRA, d["condition"])
    return None


def _with_its_condition(q: QuestionRule, state: dict[str, Any]) -> bool:
    """Whether a question asked only with a condition (``only_with``, e.g.
    complications only in pregnancy) applies to what the client said."""
    if not q.only_with:
        return True
    return any(d["condition"] in q.only_with for d in _active(state))


def _preface(q: QuestionRule, state: dict[str, Any]) -> str | None:
    """The question's confirmation of what the client already said ("You
    mentioned you're 20 weeks pregnant."), filled from the finding that
    made it apply; None when a detail it names is not known."""
    if not q.preface:
        return None
    details: dict[str, Any] = {}
    for d in _active(state):
        if d["condition"] in q.only_with:
            details.update({k: v for k, v in d.items() if v is not None and k not in details})
    try:
        return q.preface.format(**details)
    except (KeyError, IndexError, ValueError):
        return None


def _answered_by_findings(q: QuestionRule, state: dict[str, Any]) -> bool:
    """A question is skipped when earlier findings fully answer it: a
    finding of one of its ``answered_by`` conditions, or every one of its
    conditions explicitly denied."""
    if q.kind != "conditions":
        return False
    if any(d["condition"] in q.answered_by for d in _active(state)):
        return True
    return bool(q.conditions) and all(c in state["denied"] for c in q.conditions)


def _found_for(q: QuestionRule, state: dict[str, Any]) -> bool:
    """Whether something specific is known for a question answered yes."""
    mentioned = state["mentioned"].get(q.id) or []
    if q.kind == "free_text":
        return bool(mentioned)
    if any(c in q.explained_by for c in mentioned):
        return True  # "I had a tooth out last week" to "an operation?"
    return any(d["condition"] in q.conditions for d in _active(state))


# ----------------------------------------------------------------- answers


def _parse_id(rules: RuleSet, question_id: str) -> tuple[str, str, str | None]:
    parts = str(question_id).split(":")
    qid = parts[0]
    if qid != EXTRA:
        rules.question(qid)  # raises KeyError for an unknown id
    if len(parts) == 1 and qid != EXTRA:
        return qid, "main", None
    if len(parts) == 2 and parts[1] == "follow_up" and qid != EXTRA:
        return qid, "follow_up", None
    if len(parts) == 3 and parts[1] == "follow_up":
        rules.condition(parts[2])
        return qid, "condition_follow_up", parts[2]
    raise KeyError(f"unknown screening question id {question_id!r}")


def apply_answer(
    rules: RuleSet, state: dict[str, Any], question_id: str, reading: Reading
) -> dict[str, Any]:
    """Take the client's answer to ``question_id`` (a :attr:`Question.id`).

    * yes / no / unclear: an unclear answer is re-asked once with a hint, then
      treated cautiously (the question's ``default_if_unclear`` is assumed);
    * a red flag in any answer marks the state as an emergency at once (and
      then no further answer changes it);
    * denied conditions clear earlier affirmations of them (corrections);
    * findings for conditions other than the question's are kept too.
    """
    state = _copy(state)
    if state["emergency"]:
        return state
    _check_ids(rules, reading)
    qid, stage, cid = _parse_id(rules, question_id)
    q = rules.question(qid) if qid != EXTRA else None
    if stage == "condition_follow_up":
        asked: tuple[str, ...] | None = (str(cid),)
    elif q is None or q.kind == "service":
        asked = ()
    else:
        asked = None if q.kind == "free_text" else tuple(q.conditions)
    reading = _as_current(rules, reading, asked)

    # _parse_id: a condition follow-up names its condition; the other stages
    # are never the EXTRA question's, so q is a question of the rules file
    if stage == "condition_follow_up":
        assert cid is not None
        _apply_condition_follow_up(rules, state, qid, cid, reading)
    elif q is not None and q.kind == "service":
        _absorb(state, reading, qid)
        service = service_from_massage_types(reading.massage_types)
        if service in SERVICES:
            state["service"] = service
        elif service == "both":
            state["service"] = "both"
        else:
            state["service_tries"] += 1
            if state["service_tries"] >= 2:
                state["service"] = "both"  # cautious: ask everything, judge both
    elif stage == "follow_up":
        assert q is not None
        _apply_question_follow_up(rules, state, q, reading)
    else:
        assert q is not None
        _apply_main(rules, state, q, reading)

    _update_emergency(rules, state)
    return state


def _apply_main(rules: RuleSet, state: dict[str, Any], q: QuestionRule, reading: Reading) -> None:
    _absorb(state, reading, q.id)
    if q.id in state["answers"]:
        return  # answered before; the message's findings were still taken
    if q.kind == "free_text":
        mine = [f for f in reading.positive()]
        denied_mine = False
    else:
        mine = [f for f in reading.positive() if f.condition in q.conditions]
        denied_mine = any(f.negated and f.condition in q.conditions for f in reading.findings)
    # Everything the answer named is kept, and explains its "yes" ("I had a
    # tooth out" to the operation question is that, not also an operation).
    _mention(state, q.id, reading.positive())
    if mine or reading.polarity is True:
        state["answers"][q.id] = "yes"
        if not mine and q.yes_means:
            d = _add(state, Finding(condition=q.yes_means), q.id)
            _fill(d, _reading_details(reading))
            _mention(state, q.id, [Finding(condition=q.yes_means)])
    elif reading.polarity is False or denied_mine or (reading.harmless and not reading.findings):
        # "I take vitamins and had my flu jab": only what the clinic lists
        # as no contraindication is a no
        state["answers"][q.id] = "no"
    else:
        tries = state["tries"].get(q.id, 0) + 1
        state["tries"][q.id] = tries
        if tries >= 2:
            state["answers"][q.id] = "unclear"
            _assume_default(state, q, reading)


def _mention(state: dict[str, Any], qid: str, findings: Iterable[Finding]) -> None:
    """Remember which conditions an answer to ``qid`` named."""
    named = state["mentioned"].setdefault(qid, [])
    for f in findings:
        if f.condition not in named:
            named.append(f.condition)


def _assume_default(state: dict[str, Any], q: QuestionRule, reading: Reading) -> None:
    if q.default_if_unclear is None:
        return
    d = _add(state, Finding(condition=q.default_if_unclear), q.id, assumed=True)
    _fill(d, _reading_details(reading))
    _mention(state, q.id, [Finding(condition=q.default_if_unclear)])


def _apply_question_follow_up(
    rules: RuleSet, state: dict[str, Any], q: QuestionRule, reading: Reading
) -> None:
    if f"q:{q.id}" not in state["asked"]:
        state["asked"].append(f"q:{q.id}")
    _absorb(state, reading, q.id)
    _mention(state, q.id, reading.positive())
    if _found_for(q, state):
        return
    if reading.polarity is False and not reading.findings and not _has_details(reading):
        state["answers"][q.id] = "no"  # "actually, no": the client corrects the yes
        return
    _assume_default(state, q, reading)


def _apply_condition_follow_up(
    rules: RuleSet, state: dict[str, Any], qid: str, cid: str, reading: Reading
) -> None:
    key = f"c:{cid}"
    if key not in state["asked"]:
        state["asked"].append(key)
    cond = rules.condition(cid)
    if _withdrawn(cond, reading):
        _absorb(state, Reading(findings=(Finding(condition=cid, negated=True),)), qid)
        _retract_answers(state)
        return
    targets = [d for d in _active(state, cid)]
    same = [f for f in reading.positive() if f.condition == cid]
    others = Reading(
        polarity=reading.polarity,
        findings=tuple(f for f in reading.findings if not (f.condition == cid and not f.negated)),
    )
    _absorb(state, others, qid)  # denials of cid (corrections) and other conditions
    targets = [d for d in targets if d in state["findings"]]
    if not targets:
        for f in same:
            _add(state, f, qid)
        return
    details = _reading_details(reading)
    for f in same:
        # The details given now belong to the finding asked about.
        fd = f.to_dict()
        details = {
            "days_ago": fd["days_ago"] if fd["days_ago"] is not None else details["days_ago"],
            "weeks_pregnant": fd["weeks_pregnant"]
            if fd["weeks_pregnant"] is not None
            else details["weeks_pregnant"],
            "body_area": fd["body_area"] or details["body_area"],
            "medication": fd["medication"],
            "qualifiers": list(details["qualifiers"])
            + [x for x in fd["qualifiers"] if x not in details["qualifiers"]],
        }
        if f.evidence:
            # Qualifier phrases in the newly matched words (e.g. "in a cast").
            quals = finding_qualifiers(cond, Finding(condition=cid, evidence=f.evidence))
            details["qualifiers"] += [x for x in sorted(quals) if x not in details["qualifiers"]]
    polarity = reading.polarity
    denied_no = False
    if same and reading.polarity_from_words is False:
        # "osteoporosis, no fractures" to "is it severe, or with a
        # fracture?": naming the condition again is not a yes; denying what
        # the condition's refine rules look at is an explicit no
        looked_at = {c for rule in cond.refine for c in rule.when.with_condition_any or ()}
        denied_no = any(f.negated and f.condition in looked_at for f in reading.findings)
        polarity = False if denied_no else None
    if cond.follow_up is not None and polarity is not None:
        adds = cond.follow_up.yes_adds if polarity else cond.follow_up.no_adds
        # A yes / no to the follow-up adds its qualifiers. One that can make
        # the outcome more lenient ("healed", "controlled") needs a bare yes /
        # no, so "I'm 20 weeks, all fine" read as a yes cannot relax a rule; a
        # cautious one ("accident", "uncontrolled") is added whenever the
        # polarity is clear and the client named no qualifier themselves.
        bare = denied_no or (not same and not _has_details(reading) and not reading.findings)
        named = bool(reading.qualifiers) or any(f.qualifiers for f in same)
        if adds and (bare or (not named and _cautious(cond, adds))):
            details["qualifiers"] = list(details["qualifiers"]) + [
                a for a in adds if a not in details["qualifiers"]
            ]
    for d in targets:
        _fill(d, details)


def _cautious(cond: Condition, qualifiers: Iterable[str]) -> bool:
    """Whether adding ``qualifiers`` can only keep or tighten the outcome:
    every refine rule that looks for them is at least as strict as the
    condition's outcome for every service."""
    names = set(qualifiers)
    for rule in cond.refine:
        if (
            rule.when.qualifier_any
            and names & rule.when.qualifier_any
            or (rule.when.qualifier_none and names & rule.when.qualifier_none)
        ):
            if any(strictness(rule.outcome[s]) > strictness(cond.outcome[s]) for s in SERVICES):
                return False
    return True


def note_off_topic(rules: RuleSet, state: dict[str, Any], question_id: str) -> dict[str, Any]:
    """The client answered something else (an FAQ, a booking wish, a
    massage-type question) instead of ``question_id``: the action answers
    that, and the question comes back once ("Back to my question: ...").
    A question is never shown a third time: the second time it goes
    unanswered it is taken cautiously, exactly as an unreadable answer is
    (its ``default_if_unclear``), which the summary says in plain words."""
    state = _copy(state)
    if state["emergency"]:
        return state
    qid, stage, _ = _parse_id(rules, question_id)
    q = rules.question(qid) if qid != EXTRA else None
    if q is not None and q.kind == "service":
        state["service_tries"] += 1
        if state["service_tries"] >= 2:
            state["service"] = "both"  # cautious: every question, judged for both
        return state
    tries = state["tries"].get(question_id, 0)
    if tries >= 1:
        return apply_answer(rules, state, question_id, Reading())
    state["tries"][question_id] = 1
    detours = state.setdefault("detours", [])
    if question_id not in detours:
        detours.append(question_id)
    return state


def change_service(rules: RuleSet, state: dict[str, Any], service: str) -> dict[str, Any]:
    """The client changes body <-> facial (item 5: "actually a body
    massage"). Every answer given so far is kept; :func:`next_question`
    then asks only the questions the new service adds that were not
    answered yet (:func:`questions_added_by`), and the outcome is judged for
    the new service. ``service``: body, facial or both."""
    if service not in SERVICES and service != "both":
        raise ValueError(f"unknown service {service!r}")
    state = _copy(state)
    state["service"] = service
    return state


def questions_added_by(rules: RuleSet, state: dict[str, Any], service: str) -> list[str]:
    """Ids of the questions a change to ``service`` would still ask (they
    apply to it and were not answered, nor answered by earlier findings):
    what to tell a client who switches services, or whether the pre-screen
    must reopen at all (an empty list: it need not)."""
    probe = change_service(rules, state, service)
    return [
        q.id
        for q in rules.questions
        if q.kind == "conditions"
        and _applies(q, probe)
        and q.id not in probe["answers"]
        and not _answered_by_findings(q, probe)
        and _with_its_condition(q, probe)
    ]


def reopen(rules: RuleSet, state: dict[str, Any], reading: Reading) -> dict[str, Any]:
    """Health news after the pre-screen ended (item 6: "I'm 30 weeks
    pregnant", typed while booking). The news is taken as an answer would
    be (a denial clears an earlier finding, a red flag is an emergency at
    once); :func:`next_question` then asks only what the news makes
    necessary (its condition's follow-up, a question that now applies such
    as pregnancy complications) and :func:`outcome` is the new outcome.
    Returns a new state; the old outcome no longer holds."""
    state = _copy(state)
    if state["emergency"]:
        return state
    _check_ids(rules, reading)
    reading = _as_current(rules, reading)
    _absorb(state, reading, "reopened")
    for f in reading.positive():
        d = next((x for x in _active(state, f.condition)), None)
        if d is not None:
            _fill(d, _reading_details(reading))
    _update_emergency(rules, state)
    return state


def reset_question(rules: RuleSet, state: dict[str, Any], question_id: str) -> dict[str, Any]:
    """Forget the answer to a question so that it is asked again ("change an
    answer" at the summary): its answer, retries, follow-ups and the findings
    it produced (for a condition question: every finding of its conditions).
    An emergency is never forgotten."""
    state = _copy(state)
    q = rules.question(str(question_id).split(":")[0])
    for key in ("answers", "tries", "mentioned"):
        state[key].pop(q.id, None)
    state["asked"] = [
        k
        for k in state["asked"]
        if k != f"q:{q.id}" and not (k.startswith("c:") and k[2:] in q.conditions)
    ]
    state["findings"] = [
        d
        for d in state["findings"]
        if d.get("source") != q.id and d["condition"] not in q.conditions
    ]
    state["denied"] = [c for c in state["denied"] if c not in q.conditions]
    if q.kind == "service":
        state["service"] = None
        state["service_tries"] = 0
    return state


def new_findings(
    state: dict[str, Any], reading: Reading, rules: RuleSet | None = None
) -> list[str]:
    """Conditions in ``reading`` the screening does not know yet (health
    news during booking: "I'm 30 weeks pregnant"); already noted or denied
    conditions that are said again are not news, a condition denied before
    is. With ``rules``, a habit of a condition that counts only when there
    now ("I bruise a bit after sport") is no news either."""
    reading = _as_current(rules, reading)
    known = {d["condition"] for d in _active(state)}
    return sorted(
        {f.condition for f in reading.findings if not f.negated and f.condition not in known}
    )


# ----------------------------------------------------------------- results


def outcome(rules: RuleSet, state: dict[str, Any]) -> Outcome:
    """The screening outcome so far (final once next_question is None).
    When the service is not known, the strictest over body and facial."""
    result = _judge(rules, state)
    if state["emergency"] and result.outcome != "emergency":
        # Sticky: an emergency, once found, is never downgraded.
        reasons = tuple(dict.fromkeys(list(state["emergency_reasons"]) + list(result.reasons)))
        return Outcome(outcome="emergency", reasons=reasons, notes=result.notes)
    return result


_QUALIFIER_WORDS = {
    "controlled": "well controlled",
    "uncontrolled": "not well controlled",
    "severe": "severe",
    "recent": "recent",
    "healed": "healed",
    "unhealed": "not yet healed",
    "widespread": "widespread",
    "high_risk": "high-risk",
    "complication": "with complications",
}


def _when_text(days: int) -> str:
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 14:
        return f"about {days} days ago"
    if days < 70:
        return f"about {round(days / 7)} weeks ago"
    if days < 730:
        return f"about {round(days / 30)} months ago"
    return f"about {round(days / 365)} years ago"


def summary(rules: RuleSet, state: dict[str, Any]) -> list[str]:
    """Short client-facing lines for the confirmation summary: what was
    understood, in words from the rules file (never the client's own text)."""
    lines: list[str] = []
    service = state.get("service")
    if service in SERVICES:
        lines.append(f"Service: {service} massage")
    findings = list(_active(state))
    order = {q.id: i for i, q in enumerate(rules.questions)}

    def rank(d: dict[str, Any]) -> int:
        home = rules.home_question(d["condition"])
        return order.get(home.id, len(order)) if home else len(order)

    for d in sorted(findings, key=rank):
        cond = rules.condition(d["condition"])
        parts = []
        if d.get("weeks_pregnant") is not None:
            parts.append(f"{d['weeks_pregnant']} weeks")
        if d.get("days_ago") is not None and cond.uses_detail("days_ago"):
            parts.append(_when_text(int(d["days_ago"])))
        if d.get("medication") and cond.medication_class:
            parts.append("medication noted")
        for qual in d.get("qualifiers") or []:
            words = _QUALIFIER_WORDS.get(qual)
            if words and words not in parts:
                parts.append(words)
        line = cond.label + (f" ({', '.join(parts)})" if parts else "")
        if d.get("assumed"):
            # a truly unclear answer, taken cautiously: said in plain words
            line = rules.message("summary_assumed", label=line)
        if line not in lines:
            lines.append(line)
    if not findings:
        lines.append(rules.message("summary_none"))
    return lines


def client_notes(rules: RuleSet, state: dict[str, Any]) -> list[str]:
    """Client-facing advice attached to the conditions behind the outcome
    (e.g. 'ask your GP to look at it')."""
    notes: list[str] = []
    for cid in outcome(rules, state).reasons:
        note = rules.condition(cid).client_note
        if note and note not in notes:
            notes.append(note)
    return notes


def load_retention_days(profile_path: str | Path | None = None) -> int:
    """``retention.screening_days`` of the clinic profile as clinic_core.profile
    loads and validates it (the current one, or the file at ``profile_path``);
    an invalid profile raises ProfileError, a ValueError."""
    profile = load_profile(profile_path) if profile_path is not None else current_profile()
    return profile.retention.screening_days


def consent_text(rules: RuleSet, retention_days: int | None = None) -> str:
    days = retention_days if retention_days is not None else load_retention_days()
    return rules.message("consent", retention_days=days)


def _answers(rules: RuleSet, state: dict[str, Any]) -> dict[str, str]:
    """yes / no / unclear per question asked, plus the questions that earlier
    messages answered (so they were not asked)."""
    answers = dict(state["answers"])
    for q in rules.questions:
        if q.id not in answers and _applies(q, state) and _answered_by_findings(q, state):
            answers[q.id] = (
                "yes" if any(d["condition"] in q.answered_by for d in _active(state)) else "no"
            )
    return {q.id: answers[q.id] for q in rules.questions if q.id in answers}


def stored_record(
    rules: RuleSet, state: dict[str, Any], now: datetime, retention_days: int | None = None
) -> dict[str, Any]:
    """What may be stored (data minimisation, GDPR Art. 9): the outcome, the
    condition ids behind it, and only the details the rules used to reach it
    (yes / no per question, days ago, weeks, medication CLASS, the qualifiers
    and areas the rules look at). No free text, no matched words, no drug
    names. ``retain_until`` = now + the profile's retention.screening_days."""
    days = retention_days if retention_days is not None else load_retention_days()
    result = outcome(rules, state)
    reasons = set(result.reasons)
    conditions: list[dict[str, Any]] = []
    for d in _active(state):
        if d["condition"] not in reasons:
            continue  # did not affect the outcome: not needed
        cond = rules.condition(d["condition"])
        item: dict[str, Any] = {"id": cond.id}
        if d.get("assumed"):
            item["assumed"] = True
        if d.get("days_ago") is not None and cond.uses_detail("days_ago"):
            item["days_ago"] = int(d["days_ago"])
        if d.get("weeks_pregnant") is not None and cond.uses_detail("weeks_pregnant"):
            item["weeks_pregnant"] = int(d["weeks_pregnant"])
        if d.get("medication") and cond.medication_class:
            item["medication_class"] = cond.medication_class
        quals = sorted(finding_qualifiers(cond, _finding(d)) & cond.referenced_qualifiers())
        if quals:
            item["qualifiers"] = quals
        if d.get("body_area") and cond.uses_detail("body_area"):
            item["body_area"] = d["body_area"]
        if item not in conditions:
            conditions.append(item)
    return {
        "outcome": result.outcome,
        "reasons": list(result.reasons),
        "service": state.get("service"),
        "conditions": conditions,
        "answers": _answers(rules, state),
        "rules_version": rules.version,
        "recorded_at": now.isoformat(),
        "retain_until": (now + timedelta(days=days)).isoformat(),
    }
