"""The clinic's clock: the one place that says what time it is now.

Everything that means "the clinic's now" (which day is "tomorrow", which slots
are still in the future, when a record was stored, what the opening hours
mention) asks :func:`now`. Timers and latency measurements keep their own
monotonic clocks; they are not the clinic's time.

``CLINIC_NOW`` (ISO 8601 *with* an offset, e.g. ``2026-12-07T08:30:00+00:00``)
sets the clinic's clock for tests and the conversation simulator, so that
figures that depend on the weekday ("end of the week", "tomorrow evening")
can be compared from run to run. The clock is not frozen: it starts at
``CLINIC_NOW`` and runs at the real rate, so leases, back-offs, session
timeouts and "30 minutes later" behave as in production. All processes of one
run (the Rasa server, the action server, the simulator) count from the same
real instant, ``CLINIC_NOW_SET_AT`` (epoch seconds), which
:func:`environment_for` writes beside ``CLINIC_NOW``; without it a process
counts from its own first look at the clock.

An invalid ``CLINIC_NOW`` is refused when the process starts (:func:`check`,
called by the servers' start-up) and on every read: a typo must never silently
mean the real clock.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time

ENV = "CLINIC_NOW"
ENV_SET_AT = "CLINIC_NOW_SET_AT"

_lock = threading.Lock()
#: (CLINIC_NOW text, CLINIC_NOW_SET_AT text) -> (clinic instant, real epoch it applies at)
_anchors: dict[tuple[str, str], tuple[dt.datetime, float]] = {}


class ClockError(ValueError):
    """CLINIC_NOW (or CLINIC_NOW_SET_AT) cannot be read."""


def parse(text: str) -> dt.datetime:
    """An ISO 8601 instant with an offset (``Z`` allowed) as an aware UTC
    datetime. A naive time is refused: which zone it meant is a guess."""
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ClockError(
            f"{ENV}={text!r} is not an ISO 8601 time, e.g. 2026-12-07T08:30:00+00:00"
        ) from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ClockError(
            f"{ENV}={text!r} has no UTC offset; write it with one, e.g. {text.strip()}+00:00"
        )
    return value.astimezone(dt.timezone.utc)


def _set_at(text: str) -> float | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ClockError(f"{ENV_SET_AT}={text!r} is not a number of epoch seconds") from None


def _anchor(fixed: str, set_at: str) -> tuple[dt.datetime, float]:
    key = (fixed, set_at)
    with _lock:
        if key not in _anchors:
            real = _set_at(set_at)
            _anchors[key] = (parse(fixed), time.time() if real is None else real)
        return _anchors[key]


def now() -> dt.datetime:
    """The clinic's now, aware, in UTC: the real clock, or ``CLINIC_NOW`` plus
    the real time since it was set."""
    fixed = os.environ.get(ENV, "").strip()
    if not fixed:
        return dt.datetime.now(dt.timezone.utc)
    start, real = _anchor(fixed, os.environ.get(ENV_SET_AT, "").strip())
    return start + dt.timedelta(seconds=time.time() - real)


def check() -> dt.datetime | None:
    """Raises :class:`ClockError` when ``CLINIC_NOW`` is set but unreadable;
    returns the clinic's now when it is set (for a start-up log line)."""
    if not os.environ.get(ENV, "").strip():
        return None
    return now()


def environment_for(text: str) -> dict[str, str]:
    """The variables that set every process of one run to the same clock,
    starting at ``text`` now (validated here, before any server starts)."""
    parse(text)
    return {ENV: text.strip(), ENV_SET_AT: repr(time.time())}


def refuse_start_if_unreadable(server: str) -> None:
    """For a server's start-up: an unreadable ``CLINIC_NOW`` stops it with a
    clear message (exit status 2) instead of running on some other clock."""
    import sys

    try:
        check()
    except ClockError as error:
        print(f"{server} not started: {error}", file=sys.stderr)
        raise SystemExit(2) from None
