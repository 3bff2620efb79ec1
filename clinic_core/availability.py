"""Free appointment slots, from the profile and the bookings already taken.

``free_slots(profile, store, service_id, minutes, request, now)`` returns the
free slots nearest to what the client asked for (a :class:`DateRequest`):

* starts lie on the ``slot_step_minutes`` grid from each day's opening time;
* the whole appointment lies within opening hours and outside breaks;
  holidays and closed weekdays have no slots;
* starts are at least ``min_notice_hours`` after ``now`` and on or before the
  last day of the horizon (``horizon_days`` after today);
* a therapist who gives the service is free for the whole appointment
  (the store's ``busy(start, end)`` gives the taken intervals);
* a daily window ("afternoon", "after 4pm") limits the *start* time.

Ranking: with a clock time asked for ("3pm"), slots closest to that time of
day come first (ties: the earlier date); otherwise the earliest slot first.
One slot per start time is offered (the first free therapist in profile
order, unless ``therapist_id`` is given).

The result is a :class:`SlotList` (a list) that also says whether the slots
are inside the requested window and, when they are not, why
(``reason_code``: closed, outside_hours, too_soon, beyond_horizon, full,
no_therapist, or the request's own problem) with a short ``reason`` text to
say before offering the nearest alternatives it then contains.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .dates import DateRequest, describe_date, describe_time

__all__ = ["Slot", "SlotList", "free_slots", "slot_problem", "day_slots"]


class BusySource(Protocol):
    def busy(
        self, start: dt.datetime, end: dt.datetime
    ) -> Iterable[tuple[str, dt.datetime, dt.datetime]]:
        """(therapist_id, start, end) of every active booking overlapping [start, end)."""


@dataclass(frozen=True)
class Slot:
    start: dt.datetime  # aware, clinic time zone
    end: dt.datetime
    therapist_id: str
    service_id: str
    minutes: int

    def describe(self, therapist_name: str | None = None) -> str:
        """ "Fri 11 Dec at 2pm" (+ " with Anna")."""
        text = (
            f"{describe_date(self.start.date(), short=True)} at {describe_time(self.start.time())}"
        )
        return f"{text} with {therapist_name}" if therapist_name else text

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "therapist_id": self.therapist_id,
            "service_id": self.service_id,
            "minutes": self.minutes,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Slot:
        return cls(
            start=dt.datetime.fromisoformat(data["start"]),
            end=dt.datetime.fromisoformat(data["end"]),
            therapist_id=data["therapist_id"],
            service_id=data["service_id"],
            minutes=int(data["minutes"]),
        )


class SlotList(list):
    """A list of :class:`Slot` plus why it is not (only) what was asked for."""

    def __init__(
        self,
        slots: Iterable[Slot] = (),
        *,
        in_window: bool = True,
        reason_code: str | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(slots)
        self.in_window = in_window
        self.reason_code = reason_code
        self.reason = reason

    def __repr__(self) -> str:
        return f"SlotList({list.__repr__(self)}, in_window={self.in_window}, reason_code={self.reason_code!r})"


# --------------------------------------------------------------------------- #


def _bounds(profile: Any, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(earliest bookable start, end of the last bookable day) in clinic time."""
    tz = profile.tz
    now = now.astimezone(tz)
    not_before = now + dt.timedelta(hours=profile.booking.min_notice_hours)
    last_day = now.date() + dt.timedelta(days=profile.booking.horizon_days)
    horizon_end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0), tz)
    return not_before, horizon_end


def day_slots(
    profile: Any,
    day: dt.date,
    minutes: int,
    time_from: dt.time | None = None,
    time_to: dt.time | None = None,
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Every (start, end) on ``day`` that fits opening hours and breaks."""
    hours = profile.hours_on(day)
    if hours is None:
        return []
    tz = profile.tz
    open_at = dt.datetime.combine(day, hours[0], tz)
    close_at = dt.datetime.combine(day, hours[1], tz)
    step = dt.timedelta(minutes=profile.booking.slot_step_minutes)
    length = dt.timedelta(minutes=minutes)
    breaks = [
        (dt.datetime.combine(day, a, tz), dt.datetime.combine(day, b, tz))
        for a, b in profile.breaks
    ]
    result = []
    start = open_at
    while start + length <= close_at:
        end = start + length
        t = start.time()
        if (time_from is None or t >= time_from) and (time_to is None or t < time_to):
            if not any(start < b_end and b_start < end for b_start, b_end in breaks):
                result.append((start, end))
        start += step
    return result


def _busy_map(
    store: Any, start: dt.datetime, end: dt.datetime
) -> dict[str, list[tuple[dt.datetime, dt.datetime]]]:
    busy: dict[str, list[tuple[dt.datetime, dt.datetime]]] = {}
    if store is None:
        return busy
    for therapist_id, b_start, b_end in store.busy(start, end):
        busy.setdefault(therapist_id, []).append((b_start, b_end))
    return busy


def _free_therapist(
    therapists: Sequence[str],
    busy: dict[str, list[tuple[dt.datetime, dt.datetime]]],
    start: dt.datetime,
    end: dt.datetime,
) -> str | None:
    for therapist_id in therapists:
        if not any(
            start < b_end and b_start < end for b_start, b_end in busy.get(therapist_id, ())
        ):
            return therapist_id
    return None


def _candidates(
    profile: Any,
    days: Iterable[dt.date],
    minutes: int,
    service_id: str,
    therapists: Sequence[str],
    busy: dict[str, list[tuple[dt.datetime, dt.datetime]]],
    not_before: dt.datetime,
    horizon_end: dt.datetime,
    time_from: dt.time | None,
    time_to: dt.time | None,
    window: tuple[dt.datetime, dt.datetime] | None = None,
) -> list[Slot]:
    found = []
    for day in days:
        for start, end in day_slots(profile, day, minutes, time_from, time_to):
            if start < not_before or start >= horizon_end:
                continue
            if window is not None and not (window[0] <= start < window[1]):
                continue
            therapist_id = _free_therapist(therapists, busy, start, end)
            if therapist_id is not None:
                found.append(Slot(start, end, therapist_id, service_id, minutes))
    return found


def _tod_distance(slot: Slot, wanted: dt.time) -> int:
    a = slot.start.hour * 60 + slot.start.minute
    b = wanted.hour * 60 + wanted.minute
    return abs(a - b)


def _why_empty(
    profile: Any,
    request: DateRequest,
    minutes: int,
    not_before: dt.datetime,
    horizon_end: dt.datetime,
) -> tuple[str, str]:
    days = request.days
    tz = profile.tz
    if request.earliest is not None and request.earliest.astimezone(tz) >= horizon_end:
        last = (horizon_end - dt.timedelta(days=1)).date()
        return (
            "beyond_horizon",
            f"We can only book up to {profile.booking.horizon_days} days ahead, so until "
            f"{describe_date(last, short=True)}.",
        )
    closed = [profile.closed_reason(day) for day in days]
    if days and all(closed):
        unique = list(dict.fromkeys(closed))
        return "closed", " ".join(unique[:2])
    open_days = [day for day, why in zip(days, closed, strict=True) if why is None]
    possible = [
        s
        for day in open_days
        for s in day_slots(profile, day, minutes, request.time_from, request.time_to)
        if request.earliest is None
        or request.latest is None
        or request.earliest <= s[0] < request.latest
    ]
    if not open_days:
        return "full", "Sorry, nothing is free then."
    if not possible:
        # nothing of that length fits the asked part of those days at all
        day = open_days[0]
        hours = profile.hours_on(day)
        name = f"{day:%A}s"
        return (
            "outside_hours",
            f"On {name} we're open {describe_time(hours[0])}-{describe_time(hours[1])}"
            + (f" and a {minutes}-minute session must finish by closing." if minutes > 30 else "."),
        )
    if all(start < not_before for start, _ in possible):
        hours = profile.booking.min_notice_hours
        return ("too_soon", f"We need at least {hours:g} hours' notice for a booking.")
    return "full", "Sorry, nothing is free then."


def free_slots(
    profile: Any,
    store: BusySource | None,
    service_id: str,
    minutes: int,
    request: DateRequest,
    now: dt.datetime,
    limit: int = 5,
    therapist_id: str | None = None,
) -> SlotList:
    """Free slots for ``service_id``/``minutes`` nearest to ``request`` (see module doc)."""
    service = profile.service(service_id)  # KeyError names the known services
    if service.option(minutes) is None:
        raise ValueError(f"{service.name} is offered for {service.minutes} minutes, not {minutes}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    tz = profile.tz
    now = now.astimezone(tz)
    if request.problem is not None:
        return SlotList(in_window=False, reason_code=request.problem, reason=request.question)
    therapists = [t.id for t in profile.therapists_for(service_id)]
    if therapist_id is not None:
        therapists = [t for t in therapists if t == therapist_id]
    if not therapists:
        return SlotList(
            in_window=False,
            reason_code="no_therapist",
            reason=f"Sorry, no therapist currently offers {service.name}.",
        )

    not_before, horizon_end = _bounds(profile, now)
    busy = _busy_map(store, now - dt.timedelta(days=1), horizon_end + dt.timedelta(days=1))

    earliest = (request.earliest or now).astimezone(tz)
    latest = (request.latest or horizon_end).astimezone(tz)
    window_days = [d for d in request.days if d <= horizon_end.date()] if request.earliest else []
    if not request.earliest:
        window_days = [
            now.date() + dt.timedelta(days=i) for i in range((horizon_end.date() - now.date()).days)
        ]

    slots = _candidates(
        profile,
        window_days,
        minutes,
        service_id,
        therapists,
        busy,
        not_before,
        horizon_end,
        request.time_from,
        request.time_to,
        (earliest, latest),
    )
    if slots:
        wanted = request.time_of_day
        if wanted is not None:
            slots.sort(key=lambda s: (_tod_distance(s, wanted), s.start))
        return SlotList(slots[:limit])

    code, reason = _why_empty(profile, request, minutes, not_before, horizon_end)

    # nearest alternatives: same daily window first, then any time of day
    all_days = [
        now.date() + dt.timedelta(days=i) for i in range((horizon_end.date() - now.date()).days + 1)
    ]

    first_day = earliest.date()
    last_day = (latest - dt.timedelta(microseconds=1)).date()

    def distance(slot: Slot) -> tuple[int, int, dt.datetime]:
        # whole days away from the days asked for, then closeness to the time asked for
        day = slot.start.date()
        gap = (
            0
            if first_day <= day <= last_day
            else min(abs((day - first_day).days), abs((day - last_day).days))
        )
        tod = _tod_distance(slot, request.time_of_day) if request.time_of_day is not None else 0
        return (gap, tod, slot.start)

    alternatives: list[Slot] = []
    if request.time_from is not None or request.time_to is not None:
        alternatives = _candidates(
            profile,
            all_days,
            minutes,
            service_id,
            therapists,
            busy,
            not_before,
            horizon_end,
            request.time_from,
            request.time_to,
        )
    if not alternatives:
        alternatives = _candidates(
            profile,
            all_days,
            minutes,
            service_id,
            therapists,
            busy,
            not_before,
            horizon_end,
            None,
            None,
        )
    alternatives.sort(key=distance)
    if not alternatives:
        reason = reason + " We're fully booked for now - I can ask the clinic to call you back."
    return SlotList(alternatives[:limit], in_window=False, reason_code=code, reason=reason)


def slot_problem(profile: Any, slot: Slot, now: dt.datetime) -> str | None:
    """Why ``slot`` cannot be booked by the rules (ignoring other bookings), or None.

    The database constraint, not this check, decides races between clients.
    """
    tz = profile.tz
    start = slot.start.astimezone(tz)
    try:
        service = profile.service(slot.service_id)
    except KeyError:
        return f"unknown service {slot.service_id!r}"
    if service.option(slot.minutes) is None:
        return f"{service.name} is not offered for {slot.minutes} minutes"
    if slot.therapist_id not in [t.id for t in profile.therapists_for(slot.service_id)]:
        return f"therapist {slot.therapist_id!r} does not give {service.name}"
    if slot.end - slot.start != dt.timedelta(minutes=slot.minutes):
        return "slot end does not match its length"
    not_before, horizon_end = _bounds(profile, now)
    if start < not_before:
        return "too_soon"
    if start >= horizon_end:
        return "beyond_horizon"
    valid = day_slots(profile, start.date(), slot.minutes)
    if (start, slot.end.astimezone(tz)) not in valid:
        return "outside_hours"
    return None


@dataclass(frozen=True)
class OutsideHours:
    """A time asked for that the clinic's hours rule out on that day: the
    clinic opens later or closes before a session at that time could end."""

    day: dt.date
    opens: dt.time
    closes: dt.time
    after_closing: bool  # True: past closing; False: before opening
    last_start: dt.time | None  # the latest start for the length, that day


def outside_hours(profile: Any, request: DateRequest, minutes: int) -> OutsideHours | None:
    """Whether the time asked for ("Friday at 6pm", "Saturday after 4") is
    outside that day's opening hours for a session of ``minutes``, so the
    client can be told plainly ("We close at 5pm on Fridays") before the
    nearest times are offered. Only for a request of one open day."""
    days = request.days
    if len(days) != 1 or request.problem is not None:
        return None
    hours = profile.hours_on(days[0])
    if hours is None:
        return None  # a closed day: free_slots says so (reason_code "closed")
    opens, closes = hours
    wanted = request.time_of_day or request.time_from
    if wanted is None:
        return None
    day = days[0]
    end = dt.datetime.combine(day, wanted) + dt.timedelta(minutes=int(minutes))
    latest = dt.datetime.combine(day, closes) - dt.timedelta(minutes=int(minutes))
    last_start = latest.time() if latest.time() >= opens else None
    if end > dt.datetime.combine(day, closes):
        return OutsideHours(day, opens, closes, True, last_start)
    if wanted < opens:
        return OutsideHours(day, opens, closes, False, last_start)
    return None
