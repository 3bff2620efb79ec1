"""Which pre-screen outcomes bind a client, and which bookings they hold.

Why: a pre-screen that said "see your doctor first" (clearance), "wait until
you are well" (postpone) or "call 999" (emergency) could be undone by
starting again (/restart, a new session, "check it suits me" then "change an
answer", a new chat) and answering "no" to everything: the new `ok` booked.
So an outcome stricter than `ok` is bound to the client (the conversation,
and any phone or email they give us) for as long as the screening record is
kept (`retention.screening_days` of the profile, the record's
`retain_until`), and a later booking by the same client whose own outcome is
more lenient is not confirmed: it is held for a therapist's review.

The rules are here, in plain Python; clinic_core.booking_store applies them
inside the booking's transaction, so no caller (the assistant, a console)
can book around them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .model import OUTCOME_ORDER

OK = "ok"


@dataclass(frozen=True)
class PastOutcome:
    """One earlier pre-screen of a client, as the review shows it."""

    screening_id: int
    outcome: str
    reasons: tuple[str, ...]
    created_at: dt.datetime
    retain_until: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "screening_id": self.screening_id,
            "outcome": self.outcome,
            "reasons": list(self.reasons),
            "date": self.created_at.isoformat(),
            "retain_until": self.retain_until.isoformat(),
        }


def binds(outcome: str) -> bool:
    """Every outcome but `ok` binds the client: it tells the therapist
    something a later, more lenient pre-screen must not hide."""
    return outcome in OUTCOME_ORDER and outcome != OK


def stricter(outcome: str, than: str | None) -> bool:
    """Whether `outcome` is stricter than `than`; no outcome at all (a booking
    made without a pre-screen) is more lenient than any."""
    if than not in OUTCOME_ORDER:
        return outcome in OUTCOME_ORDER
    return OUTCOME_ORDER.index(outcome) < OUTCOME_ORDER.index(than)


def in_force(past: PastOutcome, now: dt.datetime) -> bool:
    """A binding outcome lasts as long as its record is kept."""
    return binds(past.outcome) and past.retain_until > now


def holding(
    booking_outcome: str | None, history: Iterable[PastOutcome], now: dt.datetime
) -> list[PastOutcome]:
    """The earlier outcomes that hold a booking made with `booking_outcome`
    for a therapist's review: those in force and stricter than it. Empty:
    the booking is confirmed."""
    return [
        past for past in history if in_force(past, now) and stricter(past.outcome, booking_outcome)
    ]
