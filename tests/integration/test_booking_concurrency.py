"""Many clients racing for the same therapist's time, on SQLite and a real PostgreSQL.

Exactly one booking may win; every other client must get SlotTaken (never a
double booking, never another error). The guard is the database's
UNIQUE(therapist_id, slot_start) on slot_claims, so this holds across
threads and separate processes alike.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from clinic_core.availability import Slot
from clinic_core.booking_store import (
    CLAIM_GRID_MINUTES,
    Booking,
    BookingStore,
    OutboxEvent,
    SlotClaim,
)
from clinic_core.profile import load_profile
from tests.integration import race_worker

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 12, 9, 11, 0, tzinfo=LONDON)
FRI = dt.date(2026, 12, 11)  # open 9-17
PROFILE = load_profile()
WORKERS = 12


def slot(hour, minute=0, minutes=60, therapist="anna", service="body_massage", day=FRI):
    start = dt.datetime.combine(day, dt.time(hour, minute), LONDON)
    return Slot(start, start + dt.timedelta(minutes=minutes), therapist, service, minutes)


def run_race(mode, func_name, arg_lists):
    """Run ``race_worker.<func_name>(*args, barrier)`` for each args, all released at once."""
    n = len(arg_lists)
    if mode == "threads":
        barrier = threading.Barrier(n)
        results = [None] * n

        def target(i):
            results[i] = getattr(race_worker, func_name)(*arg_lists[i], barrier)

        threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(180)
        assert not any(t.is_alive() for t in threads), "a worker hung"
        return results
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(n)
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=race_worker.process_entry, args=(func_name, (*args, barrier), queue))
        for args in arg_lists
    ]
    for p in procs:
        p.start()
    results = [queue.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    return results


def counts(store):
    with store.session() as s:
        booked = s.execute(
            select(func.count()).select_from(Booking).where(Booking.status == "booked")
        ).scalar_one()
        claims = s.execute(select(func.count()).select_from(SlotClaim)).scalar_one()
        outbox = s.execute(select(func.count()).select_from(OutboxEvent)).scalar_one()
    return booked, claims, outbox


def assert_one_winner(results, n):
    outcomes = [r[0] for r in results]
    errors = [r[1] for r in results if r[0] == "error"]
    assert not errors, errors
    assert outcomes.count("won") == 1, outcomes
    assert outcomes.count("taken") == n - 1, outcomes


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_same_slot_race(db_url, mode):
    store = BookingStore(db_url, profile=PROFILE)  # migrates the empty database
    try:
        target = slot(10).to_dict()
        results = run_race(
            mode, "book_one", [(db_url, target, i, NOW.isoformat()) for i in range(WORKERS)]
        )
        assert_one_winner(results, WORKERS)
        winner = next(r[1] for r in results if r[0] == "won")
        assert store.get(winner).start == slot(10).start
        assert counts(store) == (
            1,
            60 // CLAIM_GRID_MINUTES,
            1,
        )  # one booking, its claims, one outbox row
    finally:
        store.close()


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_overlapping_slots_race(db_url, mode):
    """Different starts and lengths that all overlap 10:30-11:00 with Anna."""
    store = BookingStore(db_url, profile=PROFILE)
    try:
        options = [
            slot(9, 30, minutes=90),
            slot(10),
            slot(10, 30, minutes=45, service="facial_massage"),
            slot(10, minutes=90),
            slot(10, 30),
            slot(9, 30, minutes=90),
        ]
        args = [
            (db_url, options[i % len(options)].to_dict(), i, NOW.isoformat())
            for i in range(WORKERS)
        ]
        results = run_race(mode, "book_one", args)
        assert_one_winner(results, WORKERS)
        booked, claims, outbox = counts(store)
        assert booked == 1 and outbox == 1
        # while Tom, who was not raced for, is still free at 10:00
        assert store.book(slot(10, therapist="tom"), name="Late", phone="07911 123456", now=NOW)
    finally:
        store.close()


def test_racing_moves(db_url):
    """Two clients moving their bookings onto the same free time: one wins, one keeps their old time."""
    store = BookingStore(db_url, profile=PROFILE)
    try:
        a = store.book(slot(9), name="A", phone="07911 123456", now=NOW)
        b = store.book(slot(11), name="B", phone="07912 345678", now=NOW)
        target = slot(14).to_dict()
        results = run_race(
            "threads",
            "move_one",
            [
                (db_url, a.reference, "07911 123456", target, NOW.isoformat()),
                (db_url, b.reference, "07912 345678", target, NOW.isoformat()),
            ],
        )
        assert_one_winner(results, 2)
        loser = a if results[1][0] == "won" else b
        assert store.get(loser.reference).start == loser.start
        assert sorted(s.hour for _t, s, _e in store.busy(slot(0).start, slot(23).start)) == sorted(
            [14, loser.start.hour]
        )
    finally:
        store.close()
