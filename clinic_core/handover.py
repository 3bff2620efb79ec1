"""Live hand-over to a person, and the call-back promise when nobody can take it.

When a client asks for a person, the action server asks :func:`live_possible`
(the clinic is open by ``clinic/profile.yml``'s hours and holidays, live chat
is on in its ``handover`` section, and someone who may answer chats is
signed in to the staff console). If so it opens a :class:`Handover` request
(:meth:`HandoverDesk.request`), which the console's inbox lists; a staff
member takes it (:meth:`HandoverDesk.take`, one person only) and hands it
back (:meth:`HandoverDesk.close`). A request nobody takes within
``handover.wait_minutes`` expires (:meth:`HandoverDesk.expire_waiting`):
the console's sweep, or the client's next request for a person, whichever
comes first, offers the call-back instead. Otherwise the client is offered a
call-back by a time worked out here from the opening hours
(:func:`promised_callback`): ``handover.callback_within_hours`` of opening
time after now, so at 18:30 on a Friday with Saturday's 10:00 opening and
two hours it is "by 12pm tomorrow".

The hand-over row holds the conversation id (to find the transcript in the
tracker store, erased with it by :mod:`clinic_core.privacy`) and the channel
name, never message text: the transcript stays in Rasa's tracker store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Integer, String, select, update

from .booking_store import Base, BookingStore, UTCDateTime, utcnow
from .profile import format_time

STATUS_WAITING = "waiting"
STATUS_ACTIVE = "active"
STATUS_CLOSED = "closed"
STATUS_EXPIRED = "expired"  # nobody took it within the profile's handover.wait_minutes
OPEN_STATUSES = (STATUS_WAITING, STATUS_ACTIVE)


class Handover(Base):
    __tablename__ = "handovers"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=True, index=True)
    channel = Column(String(32), nullable=True)
    status = Column(String(16), nullable=False, index=True)
    requested_at = Column(UTCDateTime(), nullable=False, index=True)
    taken_by = Column(String(40), nullable=True)
    taken_by_name = Column(String(100), nullable=True)
    taken_at = Column(UTCDateTime(), nullable=True)
    closed_at = Column(UTCDateTime(), nullable=True)


@dataclass(frozen=True)
class HandoverRecord:
    id: int
    sender_id: str | None
    channel: str | None
    status: str
    requested_at: dt.datetime
    taken_by: str | None
    taken_by_name: str | None
    taken_at: dt.datetime | None
    closed_at: dt.datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "channel": self.channel,
            "status": self.status,
            "requested_at": self.requested_at.isoformat(),
            "taken_by": self.taken_by,
            "taken_by_name": self.taken_by_name,
            "taken_at": self.taken_at.isoformat() if self.taken_at else None,
        }


class HandoverTaken(ValueError):
    """Someone else took this conversation first, or it is closed."""


def _record(h: Handover) -> HandoverRecord:
    return HandoverRecord(
        h.id,
        h.sender_id,
        h.channel,
        h.status,
        h.requested_at,
        h.taken_by,
        h.taken_by_name,
        h.taken_at,
        h.closed_at,
    )


class HandoverDesk:
    """The hand-over requests on the clinic database of ``store``."""

    def __init__(self, store: BookingStore) -> None:
        self.store = store

    def request(
        self, sender_id: str, channel: str | None, now: dt.datetime | None = None
    ) -> HandoverRecord:
        """Opens a request, or returns the conversation's open one (asking twice is one request)."""
        now = now or utcnow()
        with self.store.session() as s, s.begin():
            existing = (
                s.execute(
                    select(Handover).where(
                        Handover.sender_id == sender_id, Handover.status.in_(OPEN_STATUSES)
                    )
                )
                .scalars()
                .first()
            )
            if existing is not None:
                return _record(existing)
            row = Handover(
                sender_id=sender_id,
                channel=(channel or None),
                status=STATUS_WAITING,
                requested_at=now,
            )
            s.add(row)
            s.flush()
            return _record(row)

    def open_requests(self) -> list[HandoverRecord]:
        with self.store.session() as s:
            rows = (
                s.execute(
                    select(Handover)
                    .where(Handover.status.in_(OPEN_STATUSES))
                    .order_by(Handover.requested_at, Handover.id)
                )
                .scalars()
                .all()
            )
            return [_record(h) for h in rows]

    def get(self, handover_id: int) -> HandoverRecord | None:
        with self.store.session() as s:
            h = s.get(Handover, handover_id)
            return _record(h) if h else None

    def take(
        self, handover_id: int, username: str, display_name: str, now: dt.datetime | None = None
    ) -> HandoverRecord:
        """The staff member takes the conversation; only one can (a conditional update)."""
        now = now or utcnow()
        with self.store.session() as s, s.begin():
            result = s.execute(
                update(Handover)
                .where(
                    Handover.id == handover_id,
                    Handover.status == STATUS_WAITING,
                )
                .values(
                    status=STATUS_ACTIVE,
                    taken_by=username,
                    taken_by_name=display_name,
                    taken_at=now,
                )
            )
            h = s.get(Handover, handover_id)
            if result.rowcount != 1:
                if h is not None and h.status == STATUS_ACTIVE and h.taken_by == username:
                    return _record(h)  # taking it again (a second tab) is fine
                raise HandoverTaken("Someone else has taken this conversation, or it has ended.")
            return _record(h)

    def release(self, handover_id: int, username: str) -> None:
        """Back to waiting (the take-over could not reach the client)."""
        with self.store.session() as s, s.begin():
            s.execute(
                update(Handover)
                .where(
                    Handover.id == handover_id,
                    Handover.taken_by == username,
                    Handover.status == STATUS_ACTIVE,
                )
                .values(status=STATUS_WAITING, taken_by=None, taken_by_name=None, taken_at=None)
            )

    def close(self, handover_id: int, now: dt.datetime | None = None) -> HandoverRecord | None:
        now = now or utcnow()
        with self.store.session() as s, s.begin():
            h = s.get(Handover, handover_id)
            if h is None:
                return None
            if h.status != STATUS_CLOSED:
                h.status, h.closed_at = STATUS_CLOSED, now
            return _record(h)

    def expire_waiting(
        self, older_than: dt.datetime, sender_id: str | None = None, now: dt.datetime | None = None
    ) -> list[HandoverRecord]:
        """Waiting requests opened before ``older_than`` that nobody took, now
        expired. Each is returned to exactly one caller (a conditional update),
        so the client hears "nobody could join" once, from whichever of the
        console's sweep or their own next request came first."""
        now = now or utcnow()
        query = select(Handover.id).where(
            Handover.status == STATUS_WAITING, Handover.requested_at < older_than
        )
        if sender_id is not None:
            query = query.where(Handover.sender_id == sender_id)
        expired: list[HandoverRecord] = []
        with self.store.session() as s, s.begin():
            for handover_id in list(s.execute(query).scalars()):
                result = s.execute(
                    update(Handover)
                    .where(Handover.id == handover_id, Handover.status == STATUS_WAITING)
                    .values(status=STATUS_EXPIRED, closed_at=now)
                )
                if result.rowcount == 1:
                    expired.append(_record(s.get(Handover, handover_id)))
        return expired

    def unexpire(self, handover_id: int) -> None:
        """Back to waiting: the client could not be told it expired (the assistant
        was unreachable), so the next sweep tries again."""
        with self.store.session() as s, s.begin():
            s.execute(
                update(Handover)
                .where(Handover.id == handover_id, Handover.status == STATUS_EXPIRED)
                .values(status=STATUS_WAITING, closed_at=None)
            )

    def is_open(self, sender_id: str) -> bool:
        with self.store.session() as s:
            return (
                s.execute(
                    select(Handover.id).where(
                        Handover.sender_id == sender_id, Handover.status.in_(OPEN_STATUSES)
                    )
                ).first()
                is not None
            )


# --------------------------------------------------------------------------- #
# opening hours: is a person there now, and by when do we call back
# --------------------------------------------------------------------------- #


def is_open(profile: Any, now: dt.datetime | None = None) -> bool:
    """Whether ``now`` falls inside the day's opening hours (holidays closed)."""
    local = (now or utcnow()).astimezone(profile.tz)
    hours = profile.hours_on(local.date())
    return bool(hours) and hours[0] <= local.time() < hours[1]


def live_possible(profile: Any, staff_online: int, now: dt.datetime | None = None) -> bool:
    """A person can join the chat now: live chat on, the clinic open, someone signed in."""
    return bool(profile.handover.live_chat) and staff_online > 0 and is_open(profile, now)


def promised_callback(
    profile: Any, now: dt.datetime | None = None, within_hours: float | None = None
) -> dt.datetime:
    """When ``within_hours`` of opening time have passed after ``now`` (clinic time zone).

    Walks the opening hours day by day (closed weekdays and holidays skipped),
    counting only open time: the call is promised within that much of the
    team's working time, never at night. Raises ValueError if the clinic is
    never open in the next 60 days.
    """
    local = (now or utcnow()).astimezone(profile.tz)
    left = dt.timedelta(
        hours=within_hours if within_hours is not None else profile.handover.callback_within_hours
    )
    day = local.date()
    for _ in range(60):
        hours = profile.hours_on(day)
        if hours:
            open_at = dt.datetime.combine(day, hours[0], tzinfo=profile.tz)
            close_at = dt.datetime.combine(day, hours[1], tzinfo=profile.tz)
            start = max(open_at, local)
            if start < close_at:
                if start + left <= close_at:
                    return start + left
                left -= close_at - start
        day += dt.timedelta(days=1)
    raise ValueError("the clinic is not open in the next 60 days")


def describe_promise(profile: Any, when: dt.datetime, now: dt.datetime | None = None) -> str:
    """ "11am today", "11am tomorrow", "11am on Mon 14 Dec": for "we'll call you by ..."."""
    from .profile import format_day

    local_now = (now or utcnow()).astimezone(profile.tz)
    local = when.astimezone(profile.tz)
    clock = format_time(local.time().replace(second=0, microsecond=0))
    days = (local.date() - local_now.date()).days
    if days == 0:
        return f"{clock} today"
    if days == 1:
        return f"{clock} tomorrow"
    return f"{clock} on {format_day(local.date())}"


def callback_by(profile: Any, now: dt.datetime | None = None) -> str:
    """ "11am tomorrow": by when a call-back is promised now (both the
    assistant's offer and the console's "nobody could join" line say it)."""
    return describe_promise(profile, promised_callback(profile, now), now)
