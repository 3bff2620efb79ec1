"""At a glance: aggregate figures for the staff console's analytics page.

From Rasa's tracker store (table ``events``) and the clinic database, over
the last ``days`` days, in the clinic's time zone:

* conversations per day (distinct conversations with a client message);
* the most asked FAQ topics (the topic the classifier chose, read from the
  user event's ``parse_data.response_selector.faq``);
* the share of "can't answer" replies: client messages the assistant could
  not place (``nlu_fallback``) or that were outside what it answers
  (``out_of_scope``), of all client messages;
* pre-screen outcomes (the ``screenings`` table);
* bookings started (conversations where the booking form ran) and completed
  (bookings the assistant wrote), plus bookings staff made for phone callers.

Only counts leave this module. The ``data`` column of a user event holds the
message text too: it is parsed here for the topic key and dropped at once,
never returned, stored or logged.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import column, func, select, table

from .booking_store import Booking, BookingStore, Screening, utcnow
from .privacy import tracker_engine

UNANSWERED_INTENTS = ("nlu_fallback", "out_of_scope")
BOOKING_FORM = "booking_form"
OUTCOMES = ("ok", "modify", "clearance", "postpone", "emergency")

_EVENTS = table(
    "events",
    column("sender_id"),
    column("type_name"),
    column("timestamp"),
    column("intent_name"),
    column("action_name"),
    column("data"),
)


@dataclass
class Summary:
    days: list[dt.date]
    conversations: list[int]
    faq_topics: list[tuple[str, int]]
    messages: int
    unanswered: int
    outcomes: dict[str, int]
    bookings_started: int
    bookings_completed: int
    bookings_by_staff: int
    tracker: str = "ok"
    notes: list[str] = field(default_factory=list)

    @property
    def unanswered_share(self) -> float:
        return self.unanswered / self.messages if self.messages else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "conversations_per_day": [
                {"day": d.isoformat(), "conversations": n}
                for d, n in zip(self.days, self.conversations, strict=True)
            ],
            "faq_topics": [{"topic": t, "count": n} for t, n in self.faq_topics],
            "messages": self.messages,
            "unanswered": self.unanswered,
            "unanswered_share": round(self.unanswered_share, 4),
            "screening_outcomes": self.outcomes,
            "bookings": {
                "started": self.bookings_started,
                "completed": self.bookings_completed,
                "by_staff": self.bookings_by_staff,
            },
            "tracker": self.tracker,
        }


def faq_topic(data: str | None) -> str | None:
    """The FAQ topic of a stored user event ("faq/prices" -> "prices"), or None."""
    try:
        parse = (json.loads(data or "{}") or {}).get("parse_data") or {}
    except (TypeError, ValueError):
        return None
    selector = (parse.get("response_selector") or {}).get("faq") or {}
    key = (selector.get("response") or {}).get("intent_response_key") or ""
    return key.split("/", 1)[1] if "/" in key else None


def summary(
    store: BookingStore,
    profile: Any,
    *,
    days: int = 14,
    tracker_url: str | None = None,
    now: dt.datetime | None = None,
    top: int = 8,
) -> Summary:
    now = now or utcnow()
    tz = profile.tz
    today = now.astimezone(tz).date()
    day_list = [today - dt.timedelta(days=i) for i in range(days - 1, -1, -1)]
    since = dt.datetime.combine(day_list[0], dt.time(0), tzinfo=tz)

    per_day: dict[dt.date, set] = {d: set() for d in day_list}
    topics: Counter = Counter()
    messages = unanswered = started = 0
    engine, note = tracker_engine(tracker_url)
    if engine is not None:
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    select(_EVENTS.c.sender_id, _EVENTS.c.timestamp, _EVENTS.c.intent_name).where(
                        _EVENTS.c.type_name == "user", _EVENTS.c.timestamp >= since.timestamp()
                    )
                )
                for sender, stamp, intent in rows:
                    day = dt.datetime.fromtimestamp(float(stamp), tz).date()
                    if day in per_day:
                        per_day[day].add(sender)
                    messages += 1
                    if intent in UNANSWERED_INTENTS:
                        unanswered += 1
                faq_rows = conn.execute(
                    select(_EVENTS.c.data).where(
                        _EVENTS.c.type_name == "user",
                        _EVENTS.c.intent_name == "faq",
                        _EVENTS.c.timestamp >= since.timestamp(),
                    )
                )
                for (data,) in faq_rows:
                    topic = faq_topic(data)
                    if topic:
                        topics[topic] += 1
                started = int(
                    conn.execute(
                        select(func.count(func.distinct(_EVENTS.c.sender_id))).where(
                            _EVENTS.c.type_name == "action",
                            _EVENTS.c.action_name == BOOKING_FORM,
                            _EVENTS.c.timestamp >= since.timestamp(),
                        )
                    ).scalar_one()
                )
        finally:
            engine.dispose()

    with store.session() as s:
        outcome_rows = s.execute(
            select(Screening.outcome, func.count())
            .where(Screening.created_at >= since)
            .group_by(Screening.outcome)
        ).all()
        completed = int(
            s.execute(
                select(func.count())
                .select_from(Booking)
                .where(Booking.created_at >= since, Booking.sender_id.isnot(None))
            ).scalar_one()
        )
        by_staff = int(
            s.execute(
                select(func.count())
                .select_from(Booking)
                .where(
                    Booking.created_at >= since,
                    Booking.sender_id.is_(None),
                    Booking.erased_at.is_(None),
                )
            ).scalar_one()
        )
    outcomes = {o: 0 for o in OUTCOMES}
    outcomes.update({o: int(n) for o, n in outcome_rows})
    return Summary(
        days=day_list,
        conversations=[len(per_day[d]) for d in day_list],
        faq_topics=topics.most_common(top),
        messages=messages,
        unanswered=unanswered,
        outcomes=outcomes,
        bookings_started=started,
        bookings_completed=completed,
        bookings_by_staff=by_staff,
        tracker=note,
    )
