"""The pre-screen rules engine: findings in, one outcome out.

Deterministic and pure. For every affirmed finding the condition's outcome for
the booked service is looked up; if refine rules match the finding's details,
the strictest matching refine outcome applies instead. Across findings the
strictest outcome wins (emergency > clearance > postpone > modify > ok).

Plain Python, no Rasa imports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from .model import OUTCOME_ORDER, SERVICES, Finding, Outcome
from .rules import Condition, Refine, RuleSet, strictness

__all__ = [
    "UnknownConditionError",
    "FindingResult",
    "evaluate",
    "evaluate_many",
    "evaluate_finding",
    "is_refined",
    "is_settled",
    "finding_qualifiers",
    "finding_areas",
]


class UnknownConditionError(ValueError):
    """A finding names a condition id that the rules file does not define."""


@dataclass(frozen=True)
class FindingResult:
    """How one affirmed finding was judged."""

    condition: str
    outcome: str
    ids: tuple[str, ...]  # the condition id, plus counts_as ids of the deciding rule(s)
    reason: str
    adaptation: str | None = None
    policy: str | None = None


@lru_cache(maxsize=4096)
def _phrase_re(phrase: str) -> re.Pattern:
    # Start at a word boundary; allow endings ("antibiotic" -> "antibiotics").
    return re.compile(r"(?<!\w)" + re.escape(phrase))


def _norm(text: str | None) -> str:
    return " ".join(str(text or "").lower().replace("\u2019", "'").split())


def finding_qualifiers(cond: Condition, finding: Finding) -> frozenset[str]:
    """The reader's qualifiers plus those implied by the matched phrase
    (the condition's ``recognise.qualifiers``)."""
    quals = {_norm(q).replace(" ", "_") for q in finding.qualifiers if q}
    evidence = _norm(finding.evidence)
    if evidence:
        for name, phrases in cond.qualifier_phrases.items():
            if any(_phrase_re(p).search(evidence) for p in phrases):
                quals.add(name)
    return frozenset(quals)


def finding_areas(finding: Finding, qualifiers: frozenset[str]) -> frozenset[str]:
    """The body area as a set of words/phrases, plus ``face`` when the reader
    qualified the finding as on the face."""
    areas = set()
    area = _norm(finding.body_area)
    if area:
        areas.add(area)
    if "face" in qualifiers:
        areas.add("face")
    return frozenset(areas)


def _condition(rules: RuleSet, cid: str) -> Condition:
    cond = rules.conditions.get(cid)
    if cond is None:
        raise UnknownConditionError(
            f"unknown screening condition id {cid!r} (not defined in {rules.path})"
        )
    return cond


def evaluate_finding(
    rules: RuleSet, service: str, finding: Finding, other_conditions: Iterable[str] = ()
) -> FindingResult:
    """Judge one affirmed finding for ``service``; ``other_conditions`` are the
    ids of the client's other affirmed findings (for combination rules)."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r} (services: {', '.join(SERVICES)})")
    cond = _condition(rules, finding.condition)
    quals = finding_qualifiers(cond, finding)
    areas = finding_areas(finding, quals)
    medication = _norm(finding.medication) or None
    others = frozenset(other_conditions)
    matching: list[Refine] = []
    for rule in cond.refine:
        if rule.when.matches(
            days_ago=finding.days_ago,
            weeks_pregnant=finding.weeks_pregnant,
            qualifiers=quals,
            areas=areas,
            medication=medication,
            other_conditions=others,
        ):
            matching.append(rule)
    if not matching:
        outcome = cond.outcome[service]
        return FindingResult(
            condition=cond.id,
            outcome=outcome,
            ids=(cond.id,),
            reason=cond.reason,
            adaptation=cond.adaptation if outcome == "modify" else None,
        )
    outcome = min((r.outcome[service] for r in matching), key=strictness)
    deciding = [r for r in matching if r.outcome[service] == outcome]
    ids = [cond.id] + sorted(
        {r.counts_as for r in deciding if r.counts_as and r.counts_as != cond.id}
    )
    policy = next((r.policy for r in deciding if r.policy), None)
    return FindingResult(
        condition=cond.id,
        outcome=outcome,
        ids=tuple(ids),
        reason=deciding[0].reason,
        adaptation=cond.adaptation if outcome == "modify" else None,
        policy=policy,
    )


def is_refined(
    rules: RuleSet, service: str, finding: Finding, other_conditions: Iterable[str] = ()
) -> bool:
    """Whether the finding's details decide its outcome (a refine rule of
    its condition matches), rather than the cautious default for unknown
    details: what a follow-up question is for."""
    cond = _condition(rules, finding.condition)
    quals = finding_qualifiers(cond, finding)
    areas = finding_areas(finding, quals)
    medication = _norm(finding.medication) or None
    others = frozenset(other_conditions)
    return any(
        rule.when.matches(
            days_ago=finding.days_ago,
            weeks_pregnant=finding.weeks_pregnant,
            qualifiers=quals,
            areas=areas,
            medication=medication,
            other_conditions=others,
        )
        for rule in cond.refine
    )


def is_settled(
    rules: RuleSet, service: str, finding: Finding, other_conditions: Iterable[str] = ()
) -> bool:
    """Whether no further detail can change the finding's outcome: a refine
    rule matches that gives the strictest outcome the condition has for
    this service, and it rests on what was said, not on what is unknown (no
    ``*_known: false``, no ``qualifier_none``). "On antibiotics for a chest
    infection" is postpone whenever the symptoms stopped."""
    cond = _condition(rules, finding.condition)
    quals = finding_qualifiers(cond, finding)
    areas = finding_areas(finding, quals)
    medication = _norm(finding.medication) or None
    others = frozenset(other_conditions)
    strictest = min(
        [cond.outcome[service]] + [r.outcome[service] for r in cond.refine], key=strictness
    )
    for rule in cond.refine:
        w = rule.when
        if rule.outcome[service] != strictest:
            continue
        if False in (w.days_ago_known, w.weeks_pregnant_known, w.body_area_known):
            continue
        if w.qualifier_none:
            continue
        if w.matches(
            days_ago=finding.days_ago,
            weeks_pregnant=finding.weeks_pregnant,
            qualifiers=quals,
            areas=areas,
            medication=medication,
            other_conditions=others,
        ):
            return True
    return False


def evaluate(rules: RuleSet, service: str, findings: Iterable[Finding]) -> Outcome:
    """The outcome for ``service`` given the client's findings.

    Negated findings are ignored (the session uses them to clear earlier
    answers). ``reasons``: condition ids of every finding that is not ok,
    strictest first, then alphabetical (so the ids behind the final outcome
    come first); ``notes``: therapist-facing reasons, adaptations and advice
    given to the client, in the same order. Unknown condition ids raise
    :class:`UnknownConditionError`.
    """
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r} (services: {', '.join(SERVICES)})")
    return evaluate_many(rules, (service,), findings)


def evaluate_many(rules: RuleSet, services: Iterable[str], findings: Iterable[Finding]) -> Outcome:
    """Like :func:`evaluate` over several services at once (strictest wins),
    for a client whose service is not known yet. Notes name the service when
    more than one is judged."""
    services = tuple(services)
    if not services:
        raise ValueError("no service to evaluate")
    for service in services:
        if service not in SERVICES:
            raise ValueError(f"unknown service {service!r} (services: {', '.join(SERVICES)})")
    findings = tuple(findings)
    for f in findings:
        _condition(rules, f.condition)  # unknown ids raise, negated or not
    positive = [f for f in findings if not f.negated]
    present = frozenset(f.condition for f in positive)
    results = [
        (service, evaluate_finding(rules, service, f, present - {f.condition}))
        for service in services
        for f in positive
    ]

    final = "ok"
    level: dict[str, int] = {}
    for _, r in results:
        if strictness(r.outcome) < strictness(final):
            final = r.outcome
        if r.outcome == "ok":
            continue
        for cid in r.ids:
            level[cid] = min(level.get(cid, len(OUTCOME_ORDER)), strictness(r.outcome))
    reasons = tuple(sorted(level, key=lambda c: (level[c], c)))

    notes: list[str] = []
    prefix = len(services) > 1
    ordered = sorted(
        (x for x in results if x[1].outcome != "ok"),
        key=lambda x: (strictness(x[1].outcome), x[1].condition, x[0]),
    )
    for service, r in ordered:
        head = f"[{service}] " if prefix else ""
        lines = [
            f"{head}{r.condition} ({r.outcome}): {r.reason}"
            + (f" [clinic policy: {r.policy}]" if r.policy else "")
        ]
        if r.adaptation:
            lines.append(f"{head}{r.condition}: adapt - {r.adaptation}")
        note = rules.conditions[r.condition].client_note
        if note:
            lines.append(f"{r.condition}: client advised - {note}")
        for line in lines:
            if line not in notes:
                notes.append(line)
    return Outcome(outcome=final, reasons=reasons, notes=tuple(notes))
