"""Reading the dates and times clients write ("next Friday afternoon").

``parse_date_request(text, now, profile)`` turns a phrase into a
:class:`DateRequest`: a window of days (``earliest``..``latest``), an optional
daily time window (``time_from``..``time_to``, e.g. evenings), an optional
clock time asked for (``time_of_day``/``preferred``), and a ``problem`` with a
clarifying ``question`` when the phrase cannot be booked as written.

``now`` is injected (timezone-aware) so that every answer is reproducible; it
is converted to the clinic's time zone.

How it works: a thin deterministic layer handles the parts of booking talk that
general parsers get wrong or cannot express - clock times ("at 3" means 3pm in
a clinic open 9-8), parts of the day, ranges ("any evening next week"),
weekdays with this/next/after next, and numeric day/month dates, whose two
readings must be compared. Whatever it does not recognise is handed to
dateparser (offline, English only) as a fallback ("in 3 days", "Dec. 14,
2026", "2026/12/14").

Conventions (documented decisions):

* Parts of day: morning = opening..12:00, lunchtime = 12:00-14:00,
  afternoon = 12:00-17:00, evening / tonight / after work = 17:00..closing;
  "early"/"late" narrow them (early morning ..10:00, late afternoon 15:00-17:00).
  ``None`` in ``time_from``/``time_to`` means "from opening"/"until closing".
* A bare hour without am/pm ("at 3") is read inside the clinic's opening
  hours: 1-7 are afternoon/evening, 9-11 morning (a part of day wins).
* In the small hours (before :data:`DAY_STARTS`, 05:00), "tomorrow" and a
  weekday are counted from the day before, as people who have not slept yet
  mean them: "tomorrow" said at 00:05 on Wednesday is Wednesday, and so is
  "Wednesday afternoon" (not the Wednesday after).
* "Friday" means the next Friday after today; "this Friday" may be today.
  "next Friday" is ambiguous when the coming Friday falls in the current
  Monday-Sunday week (said on Wednesday it may mean in two days or in nine):
  the request then has problem "ambiguous" with both readings. Said on a
  weekend (the coming Friday is already in next week) it means the coming one.
  "Friday week" / "Friday after next" is the coming Friday plus 7 days.
* "next week" is Monday-Sunday of the next calendar week, "this week" today
  to Sunday, "weekend" the coming Saturday-Sunday.
* "in January" is that month (next year's once it has passed); "early",
  "mid" and "late" narrow it to days 1-10, 11-20 and 21-end.
* Several days ("Monday or Tuesday", "tomorrow or Friday") become the range
  from the first to the last; "Monday or Wednesday" therefore also covers
  Tuesday (a window cannot have holes; the client picks from what is offered).
* "in two weeks" is the single day 14 days ahead; the caller offers the
  nearest free slots around it anyway.
* A time with no date ("3pm", "afternoon") means from now to the booking
  horizon; ranking (see availability) then offers the soonest days.
* Numeric day/month ("03/04"): both readings are computed. A reading is
  dropped only when it cannot be meant for a booking: it is in the past
  (explicit year), it is not a real date ("12/14" has no month 14), or it
  exists only as a date more than half a year away (its date this year has
  passed) while the other reading falls within the booking horizon - so on
  9 December "10/12" is 10 December, not 12 October next year. When two
  readings remain the request is "ambiguous", **even when the profile sets
  ``date_order``**: a booking on the wrong day costs the client far more than
  one question. ``date_order`` (DMY or MDY) orders the readings in that
  question (the clinic's own convention first) and is passed to dateparser
  for formats this layer does not handle.
* A day/month without a year whose date this year has passed rolls over to
  next year, unless it passed recently (within about three months) and next
  year's is beyond the booking horizon: then it is reported as "past"
  ("14 Nov" said on 9 December), because that is almost always a slip.
  ("3 May" said in December is next May, beyond the horizon: the caller says
  how far ahead bookings open.)
* "past": the whole window, or the exact time asked for, is before ``now``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["DateRequest", "parse_date_request", "parse_when", "describe_date", "describe_time"]

PROBLEMS = (None, "past", "ambiguous", "unreadable")
#: a day/month (no year) that passed at most this many days ago is "past",
#: not next year's date, when next year's is beyond the booking horizon
_RECENTLY_PASSED_DAYS = 92
#: the day people mean by "tomorrow" starts here: before it (the small
#: hours) they count from the day before (see the module doc)
DAY_STARTS = dt.time(5)

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_RE = r"(mon(?:day)?|tue(?:s|sday)?|wed(?:s|nesday)?|thu(?:r|rs|rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)"
_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH_RE = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_ORDINAL_WORDS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "twenty first": 21,
    "twenty second": 22,
    "twenty third": 23,
    "twenty fourth": 24,
    "twenty fifth": 25,
    "twenty sixth": 26,
    "twenty seventh": 27,
    "twenty eighth": 28,
    "twenty ninth": 29,
    "thirtieth": 30,
    "thirty first": 31,
}
_ORD_WORD_RE = (
    "("
    + "|".join(sorted((w.replace(" ", r"[\s-]") for w in _ORDINAL_WORDS), key=len, reverse=True))
    + ")"
)
_HOUR_WORD_RE = r"(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_NUM_RE = r"(\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"

# daily windows for parts of the day; None = opening / closing time
_PARTS: dict[str, tuple[dt.time | None, dt.time | None]] = {
    "morning": (None, dt.time(12)),
    "early morning": (None, dt.time(10)),
    "late morning": (dt.time(10), dt.time(12)),
    "lunchtime": (dt.time(12), dt.time(14)),
    "afternoon": (dt.time(12), dt.time(17)),
    "early afternoon": (dt.time(12), dt.time(15)),
    "late afternoon": (dt.time(15), dt.time(17)),
    "evening": (dt.time(17), None),
    "early evening": (dt.time(17), dt.time(19)),
    "late evening": (dt.time(19), None),
}

# words that carry no date information once the recognised parts are removed
_FILLER = set(
    """a an the any anytime some sometime time on at in for of this that next please pls
    i id i'd im i'm we me my could can would like want wanted to be book booking appointment
    appt slot session massage facial body do does is it there free available availability
    have has you your earliest around about or and ish maybe perhaps possibly preferably
    ideally best good fine ok okay works work suits suit how what when day days hmm um
    sure yes yeah yep no great thanks thank cheers lovely would've if possible from with
    then so also just only really please? either""".split()
)


@dataclass(frozen=True)
class DateRequest:
    """What the client asked for, in the clinic's time zone.

    * ``earliest``/``latest``: the window; ``latest`` is exclusive (the end of
      the last day, or the end of the part of the day on a single day).
    * ``time_from``/``time_to``: daily window on every day of the range
      (``None`` = opening / closing time), e.g. 17:00-None for "evenings".
    * ``time_of_day``: the clock time asked for, if any; ``preferred`` is that
      time on the first day of the window (an exact date and time when the
      client gave both).
    * ``problem``: None, "past", "ambiguous" or "unreadable"; ``question`` is
      the short clarifying question to ask; ``readings`` holds the resolved
      alternatives of an ambiguous phrase.
    """

    earliest: dt.datetime | None = None
    latest: dt.datetime | None = None
    preferred: dt.datetime | None = None
    time_of_day: dt.time | None = None
    time_from: dt.time | None = None
    time_to: dt.time | None = None
    problem: str | None = None
    question: str | None = None
    readings: tuple[DateRequest, ...] = ()
    text: str = ""
    part_of_day: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def days(self) -> list[dt.date]:
        """The calendar days the window touches (empty when unresolved)."""
        if self.earliest is None or self.latest is None:
            return []
        first = self.earliest.date()
        last = (self.latest - dt.timedelta(microseconds=1)).date()
        return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]

    def describe(self) -> str:
        """Short text: "Fri 11 Dec, afternoon" / "Mon 14 - Sun 20 Dec, evening"."""
        if self.earliest is None or self.latest is None:
            return ""
        days = self.days
        if len(days) == 1:
            text = describe_date(days[0], short=True)
        else:
            text = f"{describe_date(days[0], short=True)} - {describe_date(days[-1], short=True)}"
        if self.time_of_day is not None:
            text += f" at {describe_time(self.time_of_day)}"
        elif self.part_of_day:
            text += f", {self.part_of_day}"
        elif self.time_from or self.time_to:
            a = describe_time(self.time_from) if self.time_from else "opening"
            b = describe_time(self.time_to) if self.time_to else "closing"
            text += f", {a}-{b}"
        return text

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (for a Rasa slot)."""

        def iso(value: Any) -> str | None:
            return value.isoformat() if value is not None else None

        return {
            "earliest": iso(self.earliest),
            "latest": iso(self.latest),
            "preferred": iso(self.preferred),
            "time_of_day": iso(self.time_of_day),
            "time_from": iso(self.time_from),
            "time_to": iso(self.time_to),
            "problem": self.problem,
            "question": self.question,
            "readings": [r.to_dict() for r in self.readings],
            "text": self.text,
            "part_of_day": self.part_of_day,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DateRequest:
        def d(key: str) -> dt.datetime | None:
            return dt.datetime.fromisoformat(data[key]) if data.get(key) else None

        def t(key: str) -> dt.time | None:
            return dt.time.fromisoformat(data[key]) if data.get(key) else None

        return cls(
            earliest=d("earliest"),
            latest=d("latest"),
            preferred=d("preferred"),
            time_of_day=t("time_of_day"),
            time_from=t("time_from"),
            time_to=t("time_to"),
            problem=data.get("problem"),
            question=data.get("question"),
            readings=tuple(cls.from_dict(r) for r in data.get("readings") or ()),
            text=data.get("text", ""),
            part_of_day=data.get("part_of_day"),
        )


def describe_time(value: dt.time) -> str:
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    return f"{hour}:{value.minute:02d}{suffix}" if value.minute else f"{hour}{suffix}"


def describe_date(value: dt.date, short: bool = False) -> str:
    if short:
        return f"{value:%a} {value.day} {value:%b}"
    return f"{value:%A} {value.day} {value:%B}"


# --------------------------------------------------------------------------- #
# internals
# --------------------------------------------------------------------------- #


class _Shift:
    """A match seen with its first group dropped (keeps group numbers readable)."""

    def __init__(self, match: re.Match) -> None:
        self._match = match

    def group(self, index: int = 0) -> str | Any:  # as re.Match.group is typed
        return self._match.group(index + 1 if index else 0)


class _Text:
    """The phrase being read; recognised spans are blanked out as they are used."""

    def __init__(self, text: str) -> None:
        self.s = text

    def take(self, pattern: str, flags: int = 0) -> re.Match | None:
        match = re.search(pattern, self.s, flags)
        if match:
            self.s = (
                self.s[: match.start()]
                + " " * (match.end() - match.start())
                + self.s[match.end() :]
            )
        return match

    def leftover_words(self) -> list[str]:
        return [w for w in re.findall(r"[a-z0-9']+", self.s) if w not in _FILLER]


def _normalise(text: str) -> str:
    s = text.lower().strip()
    s = s.replace("\u2019", "'").replace("\u2013", "-").replace("\u2014", "-")
    s = re.sub(r"\b([ap])\.m\.?", r"\1m", s)
    s = re.sub(r"\b(\d{1,2}(?:[:.]\d{2})?)\s*([ap])\b(?!\w)", r"\1\2m", s)  # "3p" -> "3pm"
    s = re.sub(r"-?ish\b", "", s)
    s = re.sub(r"\bo'?\s?clock\b", " oclock", s)
    s = re.sub(r"[,;!?()\"]", " ", s)
    # "30 weeks pregnant", "3 months along": how far along, never a date
    s = re.sub(r"\b\S+\s+(?:weeks?|months?)\s+(?:pregnant|along|gone)\b", " ", s)
    s = re.sub(r"[a-z]{5,}", lambda m: _weekday_spelling(m.group(0)), s)
    s = re.sub(r"\s+", " ", s)
    return f" {s} "


def _weekday_spelling(word: str) -> str:
    """A misspelled day name read as the day ("tusday", "wensday"): a word
    close to one day's name (difflib's ratio >= 0.8) with its first letter,
    so ordinary words ("today", "money") stay as they are."""
    if word in _WEEKDAYS or word.rstrip("s") in _WEEKDAYS:
        return word
    close = difflib.get_close_matches(word.rstrip("s"), _WEEKDAYS, n=1, cutoff=0.8)
    return close[0] if close and close[0][0] == word[0] else word


def _word_number(token: str) -> int:
    token = token.strip()
    if token.isdigit():
        return int(token)
    return _NUMBER_WORDS[token]


def _ordinal_day(token: str) -> int:
    token = re.sub(r"[\s-]+", " ", token.strip())
    if token in _ORDINAL_WORDS:
        return _ORDINAL_WORDS[token]
    digits = re.match(r"\d+", token)
    if digits is None:
        raise ValueError(f"not a day of the month: {token!r}")
    return int(digits.group(0))


def _month(token: str) -> int:
    return _MONTHS[token.strip(". ")[:3]]


_TIME_CORE = (
    r"(?:\d{1,2}(?:[:.][0-5]\d)?\s*(?:am|pm)\b"
    r"|(?:[01]?\d|2[0-3]):[0-5]\d\b"
    r"|noon\b|midday\b|midnight\b"
    r"|(?:half|quarter)\s+(?:past|to)\s+(?:\d{1,2}|" + _HOUR_WORD_RE + r")\b(?:\s*(?:am|pm)\b)?"
    r"|half\s+(?:\d{1,2}|"
    + _HOUR_WORD_RE
    + r")\b(?!\s*(?:hours?|days?|weeks?)\b)(?:\s*(?:am|pm)\b)?"
    r"|(?:\d{1,2}|" + _HOUR_WORD_RE + r")\s*oclock\b(?:\s*(?:am|pm)\b)?)"
)
# a number that is an hour only because of the word before it ("at 3")
_TIME_AFTER_CUE = (
    r"(?:\d{1,2}(?:[:.][0-5]\d)?|" + _HOUR_WORD_RE + r"(?:\s+(?:thirty|fifteen|forty[\s-]five))?"
    r"|half\s+(?:\d{1,2}|" + _HOUR_WORD_RE + r"))"
    r"(?!\s*(?:st|nd|rd|th|/|-\d|\.\d|days?|weeks?|months?|of|people|hours?|mins?|minutes?)\b)(?![/\d])"
)
_ANY_TIME = r"(?:" + _TIME_CORE + r"|" + _TIME_AFTER_CUE + r")"


def _parse_clock(token: str) -> tuple[int, int, str | None]:
    """-> (hour 0-23 or 1-12, minute, "am"/"pm"/"24h"/None)."""
    t = re.sub(r"\s+", " ", token.strip())
    if t in ("noon", "midday"):
        return 12, 0, "24h"
    if t == "midnight":
        return 0, 0, "24h"
    ampm = None
    m = re.search(r"\s*(am|pm)$", t)
    if m:
        ampm = m.group(1)
        t = t[: m.start()].strip()
    t = t.replace("oclock", "").strip()
    m = re.match(r"(half|quarter)\s+(past|to)\s+(\S+)$", t)
    if m:
        hour = _word_number(m.group(3))
        minute = 30 if m.group(1) == "half" else 15
        if m.group(2) == "to":
            hour, minute = (hour - 1) or 12, 60 - minute
        return hour, minute, ampm
    m = re.match(r"half\s+(\S+)$", t)  # British "half two" = 2:30
    if m:
        return _word_number(m.group(1)), 30, ampm
    m = re.match(r"(\S+)\s+(thirty|fifteen|forty[\s-]five)$", t)
    if m:
        minute = {"thirty": 30, "fifteen": 15}.get(m.group(2), 45)
        return _word_number(m.group(1)), minute, ampm
    m = re.match(r"(\d{1,2})(?:[:.](\d{2}))?$", t)
    if m:
        hour, minute = int(m.group(1)), int(m.group(2) or 0)
        if ampm is None and (hour > 12 or hour == 0 or (m.group(2) and m.group(1).startswith("0"))):
            return hour, minute, "24h"
        return hour, minute, ampm
    return _word_number(t), 0, ampm


def _to_time(
    hour: int, minute: int, ampm: str | None, part: str | None, open_: dt.time, close: dt.time
) -> dt.time | None:
    if ampm == "24h":
        return dt.time(hour % 24, minute) if hour < 24 else None
    if hour < 1 or hour > 12 or minute > 59:
        return None
    if ampm == "am":
        return dt.time(hour % 12, minute)
    if ampm == "pm":
        return dt.time(hour % 12 + 12, minute)
    am, pm = dt.time(hour % 12, minute), dt.time(hour % 12 + 12, minute)
    if part is not None:
        start, _end = _PARTS.get(part, (None, None))
        if start is not None and start >= dt.time(12):
            return pm
        if part in ("morning", "early morning", "late morning"):
            return am
    fits_am, fits_pm = open_ <= am < close, open_ <= pm < close
    if fits_am and not fits_pm:
        return am
    if fits_pm and not fits_am:
        return pm
    return pm if hour < 8 or hour == 12 else am


def _week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _weekday_index(token: str) -> int:
    return [w[:3] for w in _WEEKDAYS].index(token[:3])


@dataclass
class _Found:
    """What has been recognised so far."""

    start: dt.date | None = None  # day window, inclusive
    end: dt.date | None = None
    past: bool = False
    readings: list[tuple[dt.date, dt.date]] = field(default_factory=list)
    ambiguity: str | None = None  # "day_month" | "next_weekday" | "weekday_mismatch"
    explicit_year: bool = False
    rolled_past: dt.date | None = None  # a date that passed this year
    recognised: bool = False


# --------------------------------------------------------------------------- #
# public
# --------------------------------------------------------------------------- #


def parse_date_request(text: str, now: dt.datetime, profile: Any = None) -> DateRequest:
    """Read ``text`` relative to ``now`` (aware datetime); see the module doc.

    ``profile`` (a ClinicProfile) supplies the time zone, opening hours (for
    "at 3" and "evening"), the booking horizon and ``date_order``; without it
    9:00-20:00, a 60-day horizon and DMY-first questions are assumed.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if profile is not None:
        now = now.astimezone(profile.tz)
        open_, close = profile.earliest_open, profile.latest_close
        horizon = profile.booking.horizon_days
        date_order = profile.date_order or "DMY"
    else:
        open_, close, horizon, date_order = dt.time(9), dt.time(20), 60, "DMY"
    today = now.date()
    original = text or ""
    src = _Text(_normalise(original))
    if not src.s.strip():
        return _unreadable(original)

    found = _Found()
    part: str | None = None
    time_from: dt.time | None = None
    time_to: dt.time | None = None
    clock: dt.time | None = None
    anytime = False

    # --- "as soon as possible" and friends ---------------------------------
    if src.take(
        r"\b(?:asap|as soon as (?:possible|you can)|soonest|earliest (?:possible|available|slot|appointment)"
        r"|first (?:available|free|possible)|next (?:available|free)|any ?time|whenever|any day)\b"
    ):
        anytime = True
        found.recognised = True

    # --- parts of the day ------------------------------------------------------
    m = src.take(
        r"\b(this |tomorrow )?(?:(early|late|mid)[\s-]?)?(mornings?|afternoons?|evenings?|lunch\s*times?|lunch|nights?|tonight|after work|after school)\b"
    )
    if m:
        same_day = m.group(1)
        shifted = _Shift(m)
        base = shifted.group(2).rstrip("s") if shifted.group(2) not in ("tonight",) else "tonight"
        base = {
            "lunch": "lunchtime",
            "lunch time": "lunchtime",
            "lunchtime": "lunchtime",
            "night": "evening",
            "tonight": "evening",
            "after work": "evening",
            "after school": "afternoon",
        }.get(base, base)
        if base.startswith("lunch"):
            base = "lunchtime"
        modifier = shifted.group(1)
        if modifier == "mid" and base == "morning":
            part = "late morning"
        elif modifier in ("early", "late") and f"{modifier} {base}" in _PARTS:
            part = f"{modifier} {base}"
        else:
            part = base
        time_from, time_to = _PARTS[part]
        if shifted.group(2) == "after school":
            time_from, time_to = dt.time(15), dt.time(17)
            part = "after school"
        if shifted.group(2) == "tonight" or (same_day or "").strip() == "this":
            found.start = found.end = today
        elif (same_day or "").strip() == "tomorrow":
            # in the small hours, counted from the day before (module doc)
            found.start = found.end = today + dt.timedelta(days=0 if now.time() < DAY_STARTS else 1)
        found.recognised = True

    def clock_of(token: str) -> dt.time | None:
        hour, minute, ampm = _parse_clock(token)
        return _to_time(hour, minute, ampm, part, open_, close)

    # --- time ranges and bounds -------------------------------------------------
    m = src.take(
        r"\b(?:between|from)\s+("
        + _ANY_TIME
        + r")\s*(?:and|to|-|till|until)\s*("
        + _ANY_TIME
        + r")"
    )
    if not m:
        m = src.take(r"\b(\d{1,2}(?:[:.][0-5]\d)?)\s*-\s*(\d{1,2}(?:[:.][0-5]\d)?\s*(?:am|pm))")
    if m:
        a, b = m.group(1), m.group(m.lastindex or 0)
        hb, mb, apb = _parse_clock(b)
        ha, ma, apa = _parse_clock(a)
        if apa is None and apb in ("am", "pm") and ha <= hb:
            apa = apb
        t1 = _to_time(ha, ma, apa, part, open_, close)
        t2 = _to_time(hb, mb, apb, part, open_, close)
        if t1 and t2 and t2 > t1:
            time_from, time_to, part = t1, t2, None
            found.recognised = True
    m = src.take(r"\b(?:after|from|not before|no earlier than)\s+(" + _ANY_TIME + r")")
    after = clock_of(m.group(1)) if m else None
    if after:
        time_from, part = after, None
        time_to = time_to if time_to and time_to > time_from else None
        found.recognised = True
    m = src.take(r"\b(?:before|until|till|by|not after|no later than)\s+(" + _ANY_TIME + r")")
    before = clock_of(m.group(1)) if m else None
    if before:
        time_to, part = before, None
        time_from = time_from if time_from and time_from < time_to else None
        found.recognised = True

    # --- a clock time ---------------------------------------------------------------
    m = src.take(r"(?:\b(?:at|around|about|for|@)\s+)?(" + _TIME_CORE + r")")
    if not m:
        m = src.take(r"(?:\b(?:at|around|about)\s+|@\s*)(" + _TIME_AFTER_CUE + r")")
    if m:
        clock = clock_of(m.group(1))
        if clock is None:
            return _unreadable(original)
        found.recognised = True

    # --- dates -------------------------------------------------------------------------
    _read_dates(src, found, today, horizon, date_order, small_hours=now.time() < DAY_STARTS)

    # "Monday 3" / "tomorrow 10": a lone small number after a day is an hour
    if clock is None and (found.start is not None or part is not None):
        m = src.take(
            r"(?<![\d/.:-])\b(1[0-2]|[1-9])(?:[:.]([0-5]\d))?\b(?![\d/.:-]|\s*(?:st|nd|rd|th)\b)"
        )
        if m:
            clock = clock_of(m.group(0))

    # --- anything left: dateparser --------------------------------------------------
    leftover = src.leftover_words()
    if leftover and found.start is None and not found.past:
        parsed = _dateparser_fallback(" ".join(leftover), now, date_order)
        if parsed is not None:
            found.start = found.end = parsed
            found.recognised = True
            leftover = []
    if not found.recognised:
        return _unreadable(original)
    if (
        leftover
        and found.start is None
        and clock is None
        and part is None
        and not anytime
        and time_from is None
        and time_to is None
    ):
        return _unreadable(original)

    # --- assemble ------------------------------------------------------------------------
    def build(start: dt.date | None, end: dt.date | None) -> DateRequest:
        tz = now.tzinfo
        if start is None:
            start = today
            end = today + dt.timedelta(days=horizon)
            # a clock time or daily window that has passed today starts tomorrow
            if clock is not None and dt.datetime.combine(today, clock, tz) <= now:
                start = today + dt.timedelta(days=1)
        end = end or start
        earliest = (
            dt.datetime.combine(start, time_from or dt.time(0), tz)
            if start == end and time_from
            else dt.datetime.combine(start, dt.time(0), tz)
        )
        if start == end and time_to is not None:
            latest = dt.datetime.combine(end, time_to, tz)
        else:
            latest = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tz)
        preferred = dt.datetime.combine(start, clock, tz) if clock is not None else None
        return DateRequest(
            earliest=earliest,
            latest=latest,
            preferred=preferred,
            time_of_day=clock,
            time_from=time_from,
            time_to=time_to,
            text=original,
            part_of_day=part,
        )

    if found.ambiguity:
        readings = tuple(build(a, b) for a, b in found.readings)
        readings = tuple(r for r in readings if not _is_past(r, now)) or readings
        if len(readings) == 1:
            return _finish(readings[0], now)
        return replace(
            build(*found.readings[0]),
            problem="ambiguous",
            readings=readings,
            question=_ambiguity_question(found, readings),
        )

    if found.past:
        return DateRequest(
            text=original, problem="past", question=_past_question(found.rolled_past)
        )

    request = build(found.start, found.end)
    return _finish(request, now)


parse_when = parse_date_request


def _finish(request: DateRequest, now: dt.datetime) -> DateRequest:
    if _is_past(request, now):
        return replace(request, problem="past", question=_past_question(None, request))
    if request.earliest is not None and request.earliest < now:
        request = replace(request, earliest=now)
    return request


def _is_past(request: DateRequest, now: dt.datetime) -> bool:
    if (
        request.preferred is not None
        and request.earliest is not None
        and request.latest is not None
        and request.latest - request.earliest <= dt.timedelta(days=1)
    ):
        return request.preferred <= now
    return request.latest is not None and request.latest <= now


def _unreadable(text: str) -> DateRequest:
    return DateRequest(
        text=text,
        problem="unreadable",
        question="Sorry, I couldn't work out the day. Which day and time would suit you? "
        "For example \"Friday afternoon\" or \"14 Dec at 2pm\".",
    )


def _past_question(day: dt.date | None, request: DateRequest | None = None) -> str:
    if day is not None:
        what = describe_date(day).split(" ", 1)[1]  # "14 November"
        return f"{what} has already passed. Which day would you like instead?"
    if request is not None and request.preferred is not None:
        return (
            f"{describe_date(request.preferred.date(), short=True)} at "
            f"{describe_time(request.preferred.time())} has already passed. "
            "Which day and time would you like instead?"
        )
    return "That time has already passed. Which day and time would you like instead?"


def _ambiguity_question(found: _Found, readings: Sequence[DateRequest]) -> str:
    days = [r.earliest.date() for r in readings if r.earliest is not None]
    if found.ambiguity == "next_weekday":
        a, b = days[0], days[1]
        return f"Just to check: do you mean this {a:%A} ({a.day} {a:%B}) or {describe_date(b)}?"
    if found.ambiguity == "weekday_mismatch":
        return f"{days[0].day} {days[0]:%B} is a {days[0]:%A}. Do you mean {describe_date(days[0])} or {describe_date(days[1])}?"
    options = " or ".join(describe_date(d) for d in days)
    return f"Just to check, do you mean {options}?"


def _dateparser_fallback(text: str, now: dt.datetime, date_order: str) -> dt.date | None:
    # only hand over text that looks like a date: digits, month names or relative words
    # ("may" alone is a verb far more often than a month)
    if not re.search(
        r"\d|\b(?!may\b)" + _MONTH_RE + r"(?!\w)|\b(?:days?|weeks?|months?|fortnight)\b", text
    ):
        return None
    try:
        import dateparser
    except ImportError:  # pragma: no cover - dateparser is a pinned dependency
        return None
    parsed = dateparser.parse(
        text,
        languages=["en"],
        settings={
            "RELATIVE_BASE": now.replace(tzinfo=None),
            "PREFER_DATES_FROM": "future",
            "DATE_ORDER": date_order,
            "PREFER_DAY_OF_MONTH": "first",
            "RETURN_AS_TIMEZONE_AWARE": False,
            "STRICT_PARSING": False,
        },
    )
    if parsed is None:
        return None
    return parsed.date()


def _resolve_no_year(day: int, month: int, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """(date, passed_this_year) for a day/month without a year."""
    try:
        this_year = dt.date(today.year, month, day)
    except ValueError:
        this_year = None
    if this_year is not None and this_year >= today:
        return this_year, None
    for year in (today.year + 1, today.year + 2, today.year + 3, today.year + 4):
        try:
            return dt.date(year, month, day), this_year
        except ValueError:  # 29 February
            continue
    return None, None


def _read_dates(
    src: _Text,
    found: _Found,
    today: dt.date,
    horizon: int,
    date_order: str,
    small_hours: bool = False,
) -> None:
    # the day "tomorrow" and weekdays count from (the module doc: the small hours)
    said_on = today - dt.timedelta(days=1) if small_hours else today
    tomorrow = said_on + dt.timedelta(days=1)
    horizon_end = today + dt.timedelta(days=horizon)

    def single(day: dt.date) -> None:
        found.start = found.end = day
        found.recognised = True

    # --- words -------------------------------------------------------------------
    if src.take(r"\byesterday\b|\blast (?:week|night|month)\b|\b(?:this|earlier) today\b"):
        found.past = True
        found.recognised = True
        return
    m = src.take(r"\b(?:a|one) week (today|tomorrow)\b")
    if m:
        single((today if m.group(1) == "today" else tomorrow) + dt.timedelta(days=7))
        return
    if src.take(r"\b(?:the )?day after tomorrow\b|\bovermorrow\b"):
        single(today + dt.timedelta(days=2))
    elif src.take(r"\b(?:tomorrow|tomorow|tommorow|tmrw?|tmr)\b"):
        single(tomorrow)
    elif src.take(r"\btoday\b|\btonite\b|\bthis (?:morning|afternoon|evening)\b"):
        single(today)

    m = src.take(
        r"\b(?:in )?" + _NUM_RE + r" (day|week|fortnight|month)s?(?: time| from (?:now|today))?\b"
        r"|\bin a fortnight\b|\bfortnight\b"
    )
    if m and found.start is None:
        if m.group(1) is None:
            single(today + dt.timedelta(days=14))
            return
        count = _word_number(m.group(1))
        unit = m.group(2)
        if unit == "month":
            month = today.month - 1 + count
            year, month = today.year + month // 12, month % 12 + 1
            day = min(
                today.day,
                [
                    31,
                    29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
                    31,
                    30,
                    31,
                    30,
                    31,
                    31,
                    30,
                    31,
                    30,
                    31,
                ][month - 1],
            )
            single(dt.date(year, month, day))
        else:
            single(today + dt.timedelta(days=count * {"day": 1, "week": 7, "fortnight": 14}[unit]))
        return

    # --- weeks and weekends --------------------------------------------------------
    week: tuple[dt.date, dt.date] | None = None
    monday = _week_start(today)
    if src.take(r"\b(?:(?:towards?|at|by) )?(?:the )?end of (?:the|this) week\b"):
        # "the end of the week": Thursday to Saturday, as people mean it
        start = max(monday + dt.timedelta(days=3), today)
        week = (start, max(start, monday + dt.timedelta(days=5)))
    elif src.take(r"\bearly next week\b"):
        start = monday + dt.timedelta(days=7)
        week = (start, start + dt.timedelta(days=2))
    elif src.take(r"\b(?:the )?week after next\b"):
        start = monday + dt.timedelta(days=14)
        week = (start, start + dt.timedelta(days=6))
    elif src.take(r"\b(?:next|the following|the coming|coming) week\b"):
        start = monday + dt.timedelta(days=7)
        week = (start, start + dt.timedelta(days=6))
    elif src.take(r"\blater (?:this|in the) week\b"):
        week = (tomorrow, monday + dt.timedelta(days=6))
    elif src.take(r"\b(?:this|current) week\b"):
        week = (today, monday + dt.timedelta(days=6))

    m = src.take(r"\b(this|next|the|coming)?\s*weekends?\b")
    if m:
        saturday = monday + dt.timedelta(days=5)
        if today.weekday() >= 5:
            saturday = today if today.weekday() == 5 else today - dt.timedelta(days=1)
        this_weekend = (max(saturday, today), saturday + dt.timedelta(days=1))
        following = (saturday + dt.timedelta(days=7), saturday + dt.timedelta(days=8))
        if m.group(1) == "next":
            if today.weekday() >= 5:
                found.start, found.end = following
            else:
                found.ambiguity = "next_weekday"
                found.readings = [this_weekend, following]
                found.start, found.end = this_weekend
        else:
            found.start, found.end = this_weekend
        found.recognised = True
        return

    # --- months -------------------------------------------------------------------------
    m = src.take(r"\b(this|next) month\b")
    if m:
        first = today.replace(day=1)
        if m.group(1) == "next":
            first = (first + dt.timedelta(days=32)).replace(day=1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        found.start, found.end = max(first, today), last
        found.recognised = True
        return

    # --- weekdays -------------------------------------------------------------------------
    weekday: int | None = None
    modifier: str | None = None
    m = src.take(
        r"\b(?:(this|next|coming|last|on|the) )?" + _WEEKDAY_RE + r"s?\b(?: (after next|week))?"
    )
    if m:
        weekday = _weekday_index(m.group(2))
        modifier = m.group(3) or m.group(1)
        if modifier in ("on", "the", "coming"):
            modifier = None if modifier != "coming" else "this"
        found.recognised = True
    # "Monday or Tuesday", "tomorrow or Friday": the range from the first to the last
    extra_weekdays: list[int] = []
    while weekday is not None:
        more = src.take(r"\b(?:or|and|,|/)\s*(?:on )?" + _WEEKDAY_RE + r"s?\b")
        if not more:
            break
        extra_weekdays.append(_weekday_index(more.group(1)))

    # --- explicit dates ---------------------------------------------------------------------
    date_found = _read_explicit_date(src, found, today, horizon_end, date_order)

    if weekday is not None and modifier == "last":
        found.past = True
        return
    if week is not None and weekday is None and not date_found:
        found.start, found.end = week
        found.recognised = True
        return
    if weekday is not None and date_found:
        if found.ambiguity is None and found.start is not None and found.start.weekday() != weekday:
            # "Monday 15th" when the 15th is a Tuesday: ask
            alt = found.start - dt.timedelta(days=(found.start.weekday() - weekday) % 7)
            if alt < today:
                alt += dt.timedelta(days=7)
            found.ambiguity = "weekday_mismatch"
            found.readings = [(found.start, found.start), (alt, alt)]
        elif found.ambiguity == "day_month":
            matching = [r for r in found.readings if r[0].weekday() == weekday]
            if len(matching) == 1:
                found.ambiguity = None
                found.start, found.end = matching[0]
                found.readings = []
        return
    if weekday is not None:
        prior_day = found.start  # "tomorrow or Friday"
        coming = said_on + dt.timedelta(days=(weekday - said_on.weekday()) % 7 or 7)
        if week is not None:
            single(week[0] + dt.timedelta(days=(weekday - week[0].weekday()) % 7))
        elif modifier == "this":
            single(today + dt.timedelta(days=(weekday - today.weekday()) % 7))
        elif modifier in ("after next", "week"):
            single(coming + dt.timedelta(days=7))
        elif modifier == "next":
            if _week_start(coming) == monday:
                found.ambiguity = "next_weekday"
                found.readings = [(coming, coming), (coming + dt.timedelta(days=7),) * 2]
                found.start = found.end = coming
                found.recognised = True
            else:
                single(coming)
        else:
            single(coming)
        if found.ambiguity is None and (extra_weekdays or prior_day is not None):
            base = week[0] if week is not None else None
            days = [d for d in (found.start, prior_day) if d is not None]
            for extra in extra_weekdays:
                if base is not None:
                    days.append(base + dt.timedelta(days=(extra - base.weekday()) % 7))
                else:
                    days.append(today + dt.timedelta(days=(extra - today.weekday()) % 7 or 7))
            found.start, found.end = min(days), max(days)


def _read_explicit_date(
    src: _Text, found: _Found, today: dt.date, horizon_end: dt.date, date_order: str
) -> bool:
    def accept(day: dt.date, passed: dt.date | None, explicit_year: bool) -> None:
        found.recognised = True
        found.explicit_year = explicit_year
        if explicit_year and day < today:
            found.past = True
            found.rolled_past = None
            return
        if (
            passed is not None
            and day > horizon_end
            and (today - passed).days <= _RECENTLY_PASSED_DAYS
        ):
            found.past = True
            found.rolled_past = passed
            return
        found.start = found.end = day

    # ISO 2026-12-14
    m = src.take(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
    if m:
        try:
            accept(dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))), None, True)
        except ValueError:
            found.recognised = False
            return False
        return True

    # month names: "14 Dec", "14th of December 2026", "Dec 14th", "December the 14th"
    day_re = r"(\d{1,2}(?:st|nd|rd|th)?|" + _ORD_WORD_RE + r")"
    m = src.take(r"\b(?:the )?" + day_re + r" (?:of )?" + _MONTH_RE + r"(?:\s+(\d{4}))?(?!\w)")
    groups: tuple[str, str, str | None] | None = None
    if m:
        groups = (m.group(1), m.group(3), m.group(4))
    else:
        m = src.take(r"\b" + _MONTH_RE + r"\s+(?:the )?" + day_re + r"(?:\s*(\d{4}))?(?!\w)")
        if m:
            groups = (m.group(2), m.group(1), m.group(4))
    if groups:
        day_token, month_token, year_token = groups
        try:
            day, month = _ordinal_day(day_token), _month(month_token)
        except (KeyError, AttributeError):
            return False
        if year_token:
            try:
                accept(dt.date(int(year_token), month, day), None, True)
            except ValueError:
                return False
            return True
        resolved, passed = _resolve_no_year(day, month, today)
        if resolved is None:
            return False
        accept(resolved, passed, False)
        return True

    # numeric: 14/12, 12/14, 03/04/2027, 14.12.
    m = src.take(r"(?<![\d:])\b(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}|\d{2}))?\b\.?(?![\d:])")
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        year = m.group(3)
        year_value = None if year is None else (int(year) + 2000 if len(year) == 2 else int(year))
        candidates: list[tuple[str, dt.date, dt.date | None]] = []
        for order, (day, month) in (("DMY", (a, b)), ("MDY", (b, a))):
            if year_value is not None:
                try:
                    candidates.append((order, dt.date(year_value, month, day), None))
                except ValueError:
                    pass
            else:
                if not (1 <= month <= 12 and 1 <= day <= 31):
                    continue
                resolved, passed = _resolve_no_year(day, month, today)
                if resolved is not None:
                    candidates.append((order, resolved, passed))
        # same date both ways ("05/05") counts once
        unique: dict[dt.date, tuple[str, dt.date, dt.date | None]] = {}
        for cand in candidates:
            unique.setdefault(cand[1], cand)
        candidates = list(unique.values())
        if not candidates:
            found.recognised = False
            return False
        if year_value is not None:
            future = [c for c in candidates if c[1] >= today]
            if not future:
                found.recognised = True
                found.past = True
                return True
            candidates = future
        if len(candidates) == 2:
            near = [c for c in candidates if c[1] <= horizon_end]
            far = [c for c in candidates if c[2] is not None and (c[1] - today).days > 183]
            if len(near) == 1 and far and far[0] is not near[0]:
                candidates = near
        if len(candidates) == 1:
            accept(candidates[0][1], candidates[0][2], year_value is not None)
            return True
        candidates.sort(key=lambda c: 0 if c[0] == date_order else 1)
        found.recognised = True
        found.ambiguity = "day_month"
        found.readings = [(c[1], c[1]) for c in candidates]
        found.start = found.end = candidates[0][1]
        return True

    # the 14th / the fourteenth (this month, or next month if it has passed)
    m = src.take(r"\b(?:the |on the )?(\d{1,2}(?:st|nd|rd|th)|" + _ORD_WORD_RE + r")\b")
    if m and (m.group(1)[0].isdigit() or m.group(0).strip().startswith(("the", "on"))):
        day = _ordinal_day(m.group(1))
        year, month = today.year, today.month
        for _ in range(3):
            try:
                candidate = dt.date(year, month, day)
            except ValueError:
                candidate = None
            if candidate is not None and candidate >= today:
                accept(candidate, None, False)
                return True
            month += 1
            if month == 13:
                year, month = year + 1, 1
        return False

    # a month on its own: "in January", "sometime in March 2027" -> that month
    m = src.take(
        r"\b(?:(?:sometime |some time |any ?time )?(?:in|during)|early|mid|late|end of|beginning of|start of)\s+"
        + _MONTH_RE
        + r"(?:\s+(\d{4}))?(?!\w)"
    )
    if m:
        month = _month(m.group(1))
        year = int(m.group(2)) if m.group(2) else today.year
        first = dt.date(year, month, 1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        if not m.group(2) and last < today:
            first, last = (
                first.replace(year=year + 1),
                (first.replace(year=year + 1) + dt.timedelta(days=32)).replace(day=1)
                - dt.timedelta(days=1),
            )
        found.recognised = True
        if last < today:
            found.past = True
            return True
        part = m.group(0).strip().split()[0]
        if part == "early" or m.group(0).strip().startswith(("beginning", "start")):
            last = first.replace(day=10)
        elif part == "mid":
            first, last = first.replace(day=11), first.replace(day=20)
        elif part in ("late", "end"):
            first = first.replace(day=21)
        if last < today:
            found.past = True
            return True
        found.start, found.end = max(first, today), last
        return True
    return False
