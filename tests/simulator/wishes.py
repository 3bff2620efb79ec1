"""What a booking client wants, as constraints that hold on any run date.

The assistant uses the real clock, so a client never expects "3 December";
it expects "a Thursday within the next 7 days, starting between 17:00 and
20:00", "the first free slot on the coming Monday", a service and a length.
The same `Wish` picks among the times the assistant offers (the client
reads the button titles, "Thu 3 Dec at 5:30pm with Anna") and judges the
booking stored in the clinic's database after the run.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_TITLE = re.compile(
    r"\b(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?\s+(\d{1,2})\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
    r"(?:\s+at\s+(\d{1,2})(?::(\d{2}))?\s*(am|pm))?",
    re.I,
)


def _time(value: Any, where: str) -> dt.time:
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{where}: {value!r} is not a HH:MM time") from None


def parse_slot_title(title: str, today: dt.date, need_time: bool = True) -> dt.datetime | None:
    """The local start a title shows ("Thu 3 Dec at 5:30pm with Anna"), in
    the year that puts it on or after today; None when it shows no date (or
    no time, with need_time)."""
    m = _TITLE.search(title or "")
    if not m or (need_time and not m.group(4)):
        return None
    day, month = int(m.group(2)), _MONTHS.index(m.group(3).lower()[:3]) + 1
    year = today.year
    try:
        date = dt.date(year, month, day)
        if date < today - dt.timedelta(days=1):
            date = dt.date(year + 1, month, day)
    except ValueError:
        return None
    if m.group(4):
        hour = int(m.group(4)) % 12 + (12 if m.group(6).lower() == "pm" else 0)
        return dt.datetime.combine(date, dt.time(hour, int(m.group(5) or 0)))
    return dt.datetime.combine(date, dt.time(0))


@dataclass(frozen=True)
class Wish:
    """weekdays: the days meant (None: any); time_from/time_to: the start
    time's window (to exclusive); within_days: at most that many days after
    the run's date; from_days: at least that many ("tomorrow": from_days 1,
    within_days 1); first_free: the first free slot fitting the rest. The
    run's date is the day the client means by "today" (in the small hours
    the day before: simulator.people_s_today)."""

    weekdays: frozenset[int] | None = None
    time_from: dt.time | None = None
    time_to: dt.time | None = None
    within_days: int | None = None
    first_free: bool = False
    from_days: int | None = None

    KEYS = ("weekdays", "time", "within_days", "first_free", "from_days")

    @classmethod
    def parse(cls, raw: dict[str, Any], where: str) -> Wish:
        weekdays = raw.get("weekdays")
        days = None
        if weekdays is not None:
            bad = [d for d in weekdays if str(d).lower()[:3] not in WEEKDAYS]
            if bad:
                raise ValueError(f"{where}: unknown weekdays {bad}")
            days = frozenset(WEEKDAYS.index(str(d).lower()[:3]) for d in weekdays)
        window = raw.get("time")
        time_from = time_to = None
        if window is not None:
            if not (isinstance(window, list) and len(window) == 2):
                raise ValueError(f"{where}: time is [from, to]")
            time_from, time_to = _time(window[0], where), _time(window[1], where)
        return cls(
            days,
            time_from,
            time_to,
            raw.get("within_days"),
            bool(raw.get("first_free")),
            raw.get("from_days"),
        )

    def fits_day(self, day: dt.date, today: dt.date) -> bool:
        if self.weekdays is not None and day.weekday() not in self.weekdays:
            return False
        if self.within_days is not None and not (
            today <= day <= today + dt.timedelta(days=self.within_days)
        ):
            return False
        if self.from_days is not None and day < today + dt.timedelta(days=self.from_days):
            return False
        return True

    def fits(self, start: dt.datetime, today: dt.date) -> bool:
        """Whether a local start time is what the client asked for."""
        if not self.fits_day(start.date(), today):
            return False
        clock = start.time()
        if self.time_from is not None and clock < self.time_from:
            return False
        if self.time_to is not None and clock >= self.time_to:
            return False
        return True


def judge_booking(
    record: dict[str, Any] | None,
    expect: Any,
    today: dt.date,
    free_fitting: list[dt.datetime] | None = None,
) -> list[str]:
    """Why a stored booking is not what the client wished ([] when it is).

    record: the booking as stored (local `start`, service_id, minutes, name,
    phone, screening_outcome, screening_reasons) or None; expect: the
    client's Expect; free_fitting: the local starts that fitted the wish
    and were free when the client booked (the caller works them out from
    the clinic's database). A booking outside the wish is right only when
    nothing fitting was free then (a closed day, a full evening): the
    client took the nearest alternative.
    """
    if not expect.booked:
        return (
            []
            if record is None
            else [f"booked ({record.get('screening_outcome')}) but should not be"]
        )
    if record is None:
        return ["not booked"]
    problems = []
    if expect.service and record["service_id"] != expect.service:
        problems.append(f"service {record['service_id']} instead of {expect.service}")
    if expect.minutes and record["minutes"] != expect.minutes:
        problems.append(f"{record['minutes']} minutes instead of {expect.minutes}")
    start = record["start"].replace(tzinfo=None)
    wish = expect.wish
    free = sorted(free_fitting or [])
    if wish is not None:
        if not wish.fits(start, today):
            if free:
                problems.append(
                    f"{start:%a %d %b %H:%M} is outside the wish though {free[0]:%a %d %b %H:%M} was free"
                )
            elif start.date() > today + dt.timedelta(days=(wish.within_days or 60) + 7):
                problems.append(f"{start:%a %d %b} is far from the wish (nothing fitting was free)")
        elif wish.first_free and free and free[0] < start:
            problems.append(
                f"{start:%a %d %b %H:%M} booked though {free[0]:%a %d %b %H:%M} was free"
            )
    if expect.outcome and record.get("screening_outcome") != expect.outcome:
        problems.append(
            f"stored outcome {record.get('screening_outcome')} instead of {expect.outcome}"
        )
    missing = set(expect.reasons_include) - set(record.get("screening_reasons") or ())
    if missing:
        problems.append(f"stored reasons lack {sorted(missing)}")
    if expect.phone and record.get("phone") != expect.phone:
        problems.append(f"phone stored as {record.get('phone')} instead of {expect.phone}")
    if expect.name and (record.get("name") or "").strip().lower() != expect.name.strip().lower():
        problems.append(f"name stored as {record.get('name')!r} instead of {expect.name!r}")
    return problems
