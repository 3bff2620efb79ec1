"""Shared value types of the pre-screen.

They sit in their own module because two halves of the project meet here: the
text reader (spaCy) produces them and the rules engine consumes them, and
neither should import the other's internals. Everything is frozen and made of
plain values so it can be stored in a Rasa slot as JSON and compared in tests.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: Outcomes from the strictest to the most lenient (screening.md, contract.md).
OUTCOME_ORDER: tuple[str, ...] = ("emergency", "clearance", "postpone", "modify", "ok")

SERVICES: tuple[str, ...] = ("body", "facial")

#: Outcomes after which a client may book (contract.md: "offers booking"),
#: in the chat and by phone in the staff console.
BOOKABLE_OUTCOMES: tuple[str, ...] = ("ok", "modify")
#: Outcomes that never book: the client is offered a therapist's call instead.
CALL_BACK_OUTCOMES: tuple[str, ...] = ("clearance", "postpone")


def may_book(outcome: str | None) -> bool:
    """Whether a pre-screen with this outcome lets the client book."""
    return outcome in BOOKABLE_OUTCOMES


def offers_call_back(outcome: str | None) -> bool:
    """Whether this outcome sends the client to a therapist's call."""
    return outcome in CALL_BACK_OUTCOMES


@dataclass(frozen=True)
class Finding:
    """One condition the client mentioned, or explicitly denied.

    ``negated`` keeps denials ("no clots, never had one") so that a later
    correction can clear an earlier positive answer.
    """

    condition: str
    negated: bool = False
    evidence: str = ""
    medication: str | None = None
    body_area: str | None = None
    days_ago: int | None = None
    weeks_pregnant: int | None = None
    qualifiers: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["qualifiers"] = list(self.qualifiers)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        data = dict(data)
        data["qualifiers"] = tuple(data.get("qualifiers") or ())
        return cls(**data)


#: the qualifier the reader gives a finding said as a habit or a condition
#: ("I bruise a bit after sport", "whenever I use cheap cream I get a rash",
#: "if I have a temperature..."): for a condition that counts only when it is
#: there now (the rules file's ``current_only``), it is no finding unless the
#: question asks about that condition (clinic_core/screening/interview.py)
HABITUAL = "habitual"


@dataclass(frozen=True)
class Reading:
    """What the reader understood in one client message."""

    polarity: bool | None = None
    findings: tuple[Finding, ...] = ()
    body_areas: tuple[str, ...] = ()
    massage_types: tuple[str, ...] = ()
    durations_days: tuple[int, ...] = ()
    weeks_pregnant: int | None = None
    qualifiers: tuple[str, ...] = field(default_factory=tuple)
    #: whether ``polarity`` came from a yes / no word ("yes", "nope", "I
    #: haven't") rather than from the conditions named; None: not known
    #: (taken as from words)
    polarity_from_words: bool | None = None
    #: conditions the message says are someone else's ("the cold is my
    #: son's"): not findings, but at the summary a correction of one noted
    someone_elses: tuple[str, ...] = ()
    #: the message named something the clinic lists as not a
    #: contraindication ("my flu jab", "tension headaches", "vitamins")
    harmless: bool = False

    def positive(self) -> tuple[Finding, ...]:
        """Findings the client affirmed (not denied)."""
        return tuple(f for f in self.findings if not f.negated)


@dataclass(frozen=True)
class Outcome:
    """The engine's verdict: one outcome, the condition ids behind it, and
    the notes a therapist needs (adaptations, follow-up advice)."""

    outcome: str
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
