""" "Can I have a massage if ...?" answered from the clinic's rules file.

A client who names a condition, a medication or a procedure before (or
without) the pre-screen gets what clinic/screening_rules.yml says about it:
each condition's ``client_answer`` (what the clinic adapts, when a doctor's
OK is needed, how long to wait) and the types its ``avoid_types`` rule out
for a recommendation. One source of truth: edit the rules file and the next
answer changes.

Nothing here stores anything or decides for the client: the consented
pre-screen does (clinic_core.screening.interview). The text is read with the
project's rule-based reader and never logged. Plain Python, no Rasa imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from clinic_core.screening.engine import evaluate_many
from clinic_core.screening.model import SERVICES, Reading
from clinic_core.screening.rules import RuleSet

#: At most this many conditions are answered in one reply (a phone screen);
#: the pre-screen covers the rest.
MAX_ANSWERS = 3


@dataclass(frozen=True)
class HealthAnswer:
    """What the rules file says about the conditions a message names."""

    conditions: tuple[str, ...]  # condition ids, in the rules file's order
    answers: tuple[str, ...]  # their client answers, same order (at most MAX_ANSWERS)
    avoid_types: frozenset[str]  # massage types none of them may be recommended
    emergency: bool  # the engine says emergency for some service

    def text(self, rules: RuleSet) -> str:
        """The reply: the lead-in, one line per condition, the offer of the
        pre-screen (all three worded in the rules file)."""
        lines = [rules.message("health_answer_intro")]
        lines += [f"• {answer}" for answer in self.answers]
        lines.append(rules.message("health_answer_offer"))
        return "\n".join(lines)


def health_answer(rules: RuleSet, reading: Reading) -> HealthAnswer | None:
    """The rules file's answer to the conditions the client affirmed in
    ``reading``, or None when there are none (denied ones, "no clots", and
    someone else's, "my mum had cancer", are not the client's).

    Conditions a rule counts a finding as (blood thinners taken for a clot
    count as a clot) are answered too, since they decide the outcome.
    """
    findings = reading.positive()
    if not findings:
        return None
    outcome = evaluate_many(rules, SERVICES, findings)
    named = {f.condition for f in findings} | set(outcome.reasons)
    ids = tuple(cid for cid in rules.conditions if cid in named)
    answers = tuple(answer for cid in ids if (answer := rules.conditions[cid].client_answer))[
        :MAX_ANSWERS
    ]
    avoid = frozenset(t for cid in ids for t in rules.conditions[cid].avoid_types)
    return HealthAnswer(
        conditions=ids, answers=answers, avoid_types=avoid, emergency=outcome.outcome == "emergency"
    )


def unknown_avoid_types(rules: RuleSet, type_ids: Mapping[str, object]) -> list[str]:
    """``conditions[id].avoid_types`` entries that name no massage type of
    the types file, as "condition: type" (empty when all are known): the two
    files are the clinic's, so a typo in one must stop the action server
    rather than let a ruled-out type through."""
    return [
        f"{cid}: {t}"
        for cid, cond in rules.conditions.items()
        for t in cond.avoid_types
        if t not in type_ids
    ]
