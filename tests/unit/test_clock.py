"""The clinic's clock (clinic_core/clock.py): CLINIC_NOW sets it, it runs on
from there, every process of a run counts from one instant, and a bad value
is refused instead of silently meaning the real clock."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clinic_core import clock

ROOT = Path(__file__).resolve().parents[2]
UTC = dt.timezone.utc


@pytest.fixture(autouse=True)
def _no_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(clock.ENV, raising=False)
    monkeypatch.delenv(clock.ENV_SET_AT, raising=False)


def test_without_clinic_now_it_is_the_real_clock() -> None:
    before = dt.datetime.now(UTC)
    got = clock.now()
    assert got.tzinfo is not None and got.utcoffset() == dt.timedelta(0)
    assert before <= got <= dt.datetime.now(UTC)
    assert clock.check() is None


def test_clinic_now_sets_the_clock_and_it_runs_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock.time, "time", lambda: 1_000.0)
    monkeypatch.setenv(clock.ENV, "2026-12-07T08:30:00+00:00")
    monkeypatch.setenv(clock.ENV_SET_AT, "990")  # set ten seconds ago
    assert clock.now() == dt.datetime(2026, 12, 7, 8, 30, 10, tzinfo=UTC)
    monkeypatch.setattr(clock.time, "time", lambda: 1_060.0)
    assert clock.now() == dt.datetime(2026, 12, 7, 8, 31, 10, tzinfo=UTC)


def test_an_offset_is_turned_into_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.ENV, "2027-06-01T09:00:00+01:00")
    got = clock.now()
    assert got.tzinfo == UTC
    assert (
        dt.timedelta(0) <= got - dt.datetime(2027, 6, 1, 8, 0, tzinfo=UTC) < dt.timedelta(seconds=5)
    )


@pytest.mark.parametrize(
    "bad",
    ["tomorrow", "2026-12-07 08:30", "2026-12-07T08:30:00", "2026-13-07T08:30:00+00:00", "0"],
)
def test_a_bad_clinic_now_is_refused_never_the_real_clock(
    monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    monkeypatch.setenv(clock.ENV, bad)
    with pytest.raises(clock.ClockError, match=clock.ENV):
        clock.now()
    with pytest.raises(clock.ClockError):
        clock.check()
    with pytest.raises(clock.ClockError):
        clock.environment_for(bad)


def test_a_bad_set_at_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.ENV, "2026-12-07T08:30:00+00:00")
    monkeypatch.setenv(clock.ENV_SET_AT, "yesterday")
    with pytest.raises(clock.ClockError, match=clock.ENV_SET_AT):
        clock.now()


def test_environment_for_gives_every_process_the_same_clock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = clock.environment_for("2026-12-09T00:05:00Z")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    here = clock.now()
    there = subprocess.run(
        [sys.executable, "-c", "from clinic_core import clock; print(clock.now().isoformat())"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # another process, started later, is on the same clock (not restarted at 00:05)
    assert abs(dt.datetime.fromisoformat(there) - here) < dt.timedelta(seconds=30)
    assert dt.datetime.fromisoformat(there) >= here


def test_a_server_with_a_bad_clock_does_not_start() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from clinic_core import clock; clock.refuse_start_if_unreadable('action server')",
        ],
        cwd=ROOT,
        env={**os.environ, clock.ENV: "next monday"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "action server not started: CLINIC_NOW='next monday'" in done.stderr


def test_the_clinic_s_today_follows_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The profile's "today" (which holidays the opening hours mention)
    comes from the clinic's clock."""
    from clinic_core.profile import load_profile

    profile = load_profile(ROOT / "clinic" / "profile.yml")
    monkeypatch.setenv(clock.ENV, "2026-12-23T17:00:00+00:00")
    assert "Closed on" in profile.answer_values()["opening_hours"]  # the 24th to 1 January
    monkeypatch.setenv(clock.ENV, "2026-06-01T12:00:00+00:00")
    assert "Closed on" not in profile.answer_values()["opening_hours"]


def test_no_clinic_code_reads_the_wall_clock_itself() -> None:
    """One clock: the clinic's code asks clinic_core.clock, never datetime.now
    or date.today (timers use time.monotonic and are not the clinic's now)."""
    offenders = []
    for folder in ("clinic_core", "actions", "rasa_ext", "channels", "staff_console"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "clock.py":
                continue
            text = path.read_text()
            for needle in ("datetime.now(", "date.today(", "datetime.utcnow(", "datetime.today("):
                if needle in text:
                    offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert offenders == []
