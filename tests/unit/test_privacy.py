"""Erasure on request, retention purges and the screening review queue."""

import asyncio
import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from clinic_core import privacy
from clinic_core.availability import Slot
from clinic_core.booking_store import Booking, BookingStore, Callback, Screening
from clinic_core.profile import load_profile

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 12, 9, 11, 0, tzinfo=LONDON)
PROFILE = load_profile()
THU = dt.date(2026, 12, 10)
REPO = Path(__file__).resolve().parents[2]


def slot(hour, therapist="anna", day=THU):
    start = dt.datetime.combine(day, dt.time(hour), LONDON)
    return Slot(start, start + dt.timedelta(hours=1), therapist, "body_massage", 60)


def make_tracker(path, rows):
    """A database shaped like Rasa's SQLTrackerStore (table events)."""
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
        "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
        "action_name VARCHAR(255), data TEXT)"
    )
    conn.executemany(
        "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, 'user', ?, '{}')",
        rows,
    )
    conn.commit()
    conn.close()
    return f"sqlite:///{path}"


def tracker_senders(path):
    conn = sqlite3.connect(path)
    try:
        return sorted(r[0] for r in conn.execute("SELECT sender_id FROM events"))
    finally:
        conn.close()


@pytest.fixture
def store(tmp_path):
    s = BookingStore(f"sqlite:///{tmp_path / 'clinic.db'}", profile=PROFILE)
    yield s
    s.close()


@pytest.fixture
def clinic(store, tmp_path):
    """Jane (two chats, two bookings), Jim, call-backs, screenings and a tracker DB."""
    jane1 = store.book(
        slot(10),
        name="Jane Doe",
        phone="07911 123456",
        email="Jane@Example.com",
        screening_outcome="modify",
        screening_reasons=["varicose_veins"],
        sender_id="jane-chat-1",
        now=NOW,
    )
    jane2 = store.book(
        slot(12), name="Jane Doe", phone="+44 7911 123456", sender_id="jane-chat-2", now=NOW
    )
    jim = store.book(
        slot(10, "tom"),
        name="Jim Beam",
        phone="07912 345678",
        email="jim@example.com",
        screening_outcome="ok",
        sender_id="jim-chat",
        now=NOW,
    )
    store.request_callback(
        "Jane",
        "07911123456",
        best_time="evening",
        reason="pregnancy question",
        sender_id="jane-chat-3",
        now=NOW,
    )
    store.request_callback("Jim", "07912 345678", now=NOW)
    store.save_screening(
        "jane-chat-1", "modify", ["varicose_veins"], {"varicose_veins": "yes"}, now=NOW
    )
    store.save_screening("jim-chat", "ok", [], {}, now=NOW)
    ts = NOW.timestamp()
    tracker_url = make_tracker(
        tmp_path / "tracker.db",
        [
            ("jane-chat-1", ts),
            ("jane-chat-1", ts + 1),
            ("jane-chat-2", ts),
            ("jane-chat-3", ts),
            ("jim-chat", ts),
            ("someone-else", ts - 40 * 86400),
        ],
    )
    return {
        "jane1": jane1,
        "jane2": jane2,
        "jim": jim,
        "tracker_url": tracker_url,
        "tracker_path": tmp_path / "tracker.db",
    }


@pytest.mark.parametrize(
    "key",
    [
        {"sender_id": "jane-chat-1"},
        {"phone": "07911 123456"},
        {"email": "JANE@example.com"},
    ],
)
def test_erase_client(store, clinic, key):
    report = privacy.erase(store, tracker_url=clinic["tracker_url"], now=NOW, **key)
    assert report.tracker == "ok"
    with store.session() as s:
        bookings = {b.reference: b for b in s.execute(select(Booking)).scalars()}
        callbacks = s.execute(select(Callback)).scalars().all()
        screenings = s.execute(select(Screening)).scalars().all()
    erased = [bookings[clinic["jane1"].reference]]
    if "sender_id" not in key and "email" not in key:
        erased.append(bookings[clinic["jane2"].reference])
    for b in erased:
        assert (
            b.name,
            b.phone,
            b.email,
            b.screening_outcome,
            b.screening_reasons,
            b.sender_id,
        ) == (None,) * 6
        assert b.erased_at is not None and b.status == "booked" and b.start_at is not None
    jim = bookings[clinic["jim"].reference]
    assert jim.name == "Jim Beam" and jim.phone == "+447912345678"
    assert [s.sender_id for s in screenings] == ["jim-chat"]
    remaining_senders = tracker_senders(clinic["tracker_path"])
    assert "jane-chat-1" not in remaining_senders
    assert "jim-chat" in remaining_senders and "someone-else" in remaining_senders
    if "phone" in key:
        assert remaining_senders == ["jim-chat", "someone-else"]  # all of Jane's chats
        assert [c.name for c in callbacks] == ["Jim"]
        assert report.bookings_erased == 2 and report.callbacks_deleted == 1
    # copies in the outbox are redacted
    for event in store.outbox():
        if event.payload.get("reference") in {b.reference for b in erased}:
            assert (
                event.payload["name"] is None
                and event.payload["phone"] is None
                and event.payload["erased"]
            )
        if event.payload.get("reference") == jim.reference:
            assert event.payload["name"] == "Jim Beam"


def test_erase_needs_a_key(store):
    with pytest.raises(ValueError):
        privacy.erase(store)


def test_tracker_missing_is_skipped(store, clinic, tmp_path):
    missing = tmp_path / "nope" / "tracker.db"
    report = privacy.erase(store, sender_id="jane-chat-1", tracker_url=f"sqlite:///{missing}")
    assert report.tracker.startswith("skipped") and report.bookings_erased == 1
    assert not missing.exists()
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    report = privacy.erase(store, sender_id="jim-chat", tracker_url=f"sqlite:///{empty}")
    assert "no events table" in report.tracker


def test_tracker_url_from_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("RASA_TRACKER_DB_URL", raising=False)
    assert privacy.tracker_url_from_env() == f"sqlite:///{REPO / 'var' / 'rasa_tracker.db'}"
    monkeypatch.setenv("RASA_TRACKER_DB_URL", "sqlite:////x.db")
    assert privacy.tracker_url_from_env() == "sqlite:////x.db"


def test_purge_follows_retention(store, clinic):
    # deliver the outbox so that it can age out
    for event in store.outbox():
        store.mark_delivered(event.id, NOW)
    r = PROFILE.retention
    soon = NOW + dt.timedelta(days=1)
    report = privacy.purge(store, PROFILE, soon, tracker_url=clinic["tracker_url"])
    assert report.tracker_events_deleted == 1  # someone-else's 40-day-old chat
    assert report.screenings_deleted == 0 and report.bookings_deleted == 0

    later = NOW + dt.timedelta(days=r.screening_days + 1)
    report = privacy.purge(store, PROFILE, later, tracker_url=clinic["tracker_url"])
    assert report.screenings_deleted == 2
    assert report.bookings_screening_cleared == 3  # every booking had screening fields
    assert (
        report.callbacks_deleted == 2 and report.outbox_deleted == 6
    )  # 3 bookings, 2 call-backs, 1 review
    assert tracker_senders(clinic["tracker_path"]) == []
    with store.session() as s:
        assert all(
            b.screening_outcome is None and b.screening_reasons is None
            for b in s.execute(select(Booking)).scalars()
        )
        assert len(s.execute(select(Booking)).scalars().all()) == 3

    much_later = NOW + dt.timedelta(days=r.bookings_days + 2)
    report = privacy.purge(store, PROFILE, much_later, tracker_url=clinic["tracker_url"])
    assert report.bookings_deleted == 3
    assert store.busy(NOW, NOW + dt.timedelta(days=5)) == []


def test_screenings_and_review_queue(store, clinic):
    store.save_screening("anon-1", "clearance", ["dvt_recent"], {"dvt": "last month"}, now=NOW)
    queue = privacy.review_queue(store)
    assert [(q["sender_id"], q["outcome"]) for q in queue] == [
        ("jane-chat-1", "modify"),
        ("anon-1", "clearance"),
    ]
    assert queue[0]["bookings"] == [clinic["jane1"].reference]
    assert queue[0]["retain_until"] - queue[0]["created_at"] == dt.timedelta(
        days=PROFILE.retention.screening_days
    )
    store.mark_reviewed(queue[0]["id"], "Anna", now=NOW)
    assert [q["sender_id"] for q in privacy.review_queue(store)] == ["anon-1"]
    assert len(privacy.review_queue(store, include_reviewed=True)) == 2
    review_events = [e for e in store.outbox() if e.event_type == "screening.review"]
    assert len(review_events) == 2  # one per non-ok screening, none for "ok"
    sid = privacy.save_screening(store, "anon-2", "postpone", ["fever"], {}, now=NOW, retain_days=1)
    assert sid > 0


@pytest.mark.slow  # the privacy commands, each in a Python process of its own
def test_cli_erase_and_purge(tmp_path, clinic, store):
    env = dict(os.environ, CLINIC_DB_URL=store.url, RASA_TRACKER_DB_URL=clinic["tracker_url"])

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "clinic_core.privacy", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    out = run("erase", "--phone", "07911 123456")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["bookings_erased"] == 2 and report["tracker"] == "ok"
    assert sorted(report["sender_ids"]) == ["jane-chat-1", "jane-chat-2", "jane-chat-3"]
    out = run("purge", "--now", (NOW + dt.timedelta(days=800)).isoformat())
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["bookings_deleted"] == 3
    out = run("erase")
    assert out.returncode != 0  # one of --sender-id/--phone/--email is required


def test_against_rasa_sql_tracker_store(tmp_path, store, monkeypatch):
    # Rasa 3.6's own SQLAlchemy 1.x usage triggers SQLAlchemy's 2.0 "uber" warning
    from sqlalchemy.util import deprecations

    monkeypatch.setattr(deprecations, "SILENCE_UBER_WARNING", True)
    tracker_store = pytest.importorskip("rasa.core.tracker_store")
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    path = tmp_path / "rasa_tracker.db"
    rasa_store = tracker_store.SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    for sender in ("erase-me", "keep-me"):
        tracker = DialogueStateTracker.from_events(
            sender, [ActionExecuted("action_listen"), UserUttered("hi")]
        )
        asyncio.run(rasa_store.save(tracker))
    report = privacy.erase(store, sender_id="erase-me", tracker_url=f"sqlite:///{path}")
    assert report.tracker == "ok" and report.tracker_events_deleted == 2
    assert tracker_senders(path) == ["keep-me", "keep-me"]
    report = privacy.purge(
        store,
        PROFILE,
        dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=31),
        tracker_url=f"sqlite:///{path}",
    )
    assert report.tracker_events_deleted == 2 and tracker_senders(path) == []


def test_conversation_records_are_what_erasing_that_chat_removes(store, clinic):
    records = privacy.conversation_records(store, "jane-chat-1")
    assert [b.reference for b in records.bookings] == [clinic["jane1"].reference]
    assert [(x["outcome"], x["reasons"]) for x in records.screenings] == [
        ("modify", ["varicose_veins"])
    ]
    assert records.callbacks == []  # Jane's call-back came from another chat
    assert [c.best_time for c in privacy.conversation_records(store, "jane-chat-3").callbacks] == [
        "evening"
    ]
    report = privacy.erase(store, sender_id="jane-chat-1", include_tracker=False, now=NOW)
    assert report.tracker == "left to the caller"
    assert (
        tracker_senders(clinic["tracker_path"]).count("jane-chat-1") == 2
    )  # the tracker store's job then
    after = privacy.conversation_records(store, "jane-chat-1")
    assert (after.bookings, after.screenings, after.callbacks) == ([], [], [])


# --------------------------------------------------------------------------- #
# nothing left in the files (issue 12, item 6): the raw bytes of each SQLite
# database and its write-ahead log, read while the servers' connections are open
# --------------------------------------------------------------------------- #

TRACES = (
    b"Jane Doe",
    b"+447911123456",
    b"07911 123456",
    b"20 weeks pregnant",
    b"pregnancy question",
    b"varicose_veins",
)


def _wal_tracker(path):
    """A tracker database in WAL mode, as the Rasa server keeps it, with Jane's words."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
        "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
        "action_name VARCHAR(255), data TEXT)"
    )
    ts = NOW.timestamp()
    words = json.dumps({"event": "user", "text": "I'm 20 weeks pregnant, call me on 07911 123456"})
    conn.executemany(
        "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, 'user', ?, ?)",
        [
            ("jane-chat-1", ts, words),
            ("jane-chat-3", ts, words),
            ("jim-chat", ts, '{"text": "hi"}'),
        ],
    )
    conn.commit()
    return conn  # left open: a running server's connection keeps the -wal file


def _traces_in(*databases):
    found = {}
    for db in databases:
        for path in (db, Path(f"{db}-wal")):
            if path.exists():
                data = path.read_bytes()
                hits = [t.decode() for t in TRACES if t in data]
                if hits:
                    found[path.name] = hits
    return found


@pytest.fixture
def held_open(tmp_path, store):
    """Jane's booking, call-back, screening and chat; a connection to each
    database stays open during the test, as the running servers' do."""
    store.book(
        slot(10),
        name="Jane Doe",
        phone="07911 123456",
        screening_outcome="modify",
        screening_reasons=["varicose_veins"],
        sender_id="jane-chat-1",
        now=NOW,
    )
    store.request_callback(
        "Jane Doe",
        "07911 123456",
        best_time="evening",
        reason="pregnancy question",
        sender_id="jane-chat-3",
        now=NOW,
    )
    store.save_screening(
        "jane-chat-1", "modify", ["varicose_veins"], {"varicose_veins": "yes"}, now=NOW
    )
    store.book(
        slot(10, "tom"), name="Jim Beam", phone="07912 345678", sender_id="jim-chat", now=NOW
    )
    tracker = tmp_path / "tracker.db"
    open_tracker = _wal_tracker(tracker)
    open_clinic = sqlite3.connect(tmp_path / "clinic.db")
    open_clinic.execute("SELECT count(*) FROM bookings").fetchone()
    assert _traces_in(tmp_path / "clinic.db", tracker), "the test data is not in the files"
    yield {
        "clinic": tmp_path / "clinic.db",
        "tracker": tracker,
        "tracker_url": f"sqlite:///{tracker}",
    }
    open_tracker.close()
    open_clinic.close()


def test_erase_leaves_no_trace_in_the_database_files(store, held_open):
    report = privacy.erase(
        store, phone="07911 123456", tracker_url=held_open["tracker_url"], now=NOW
    )
    assert _traces_in(held_open["clinic"], held_open["tracker"]) == {}
    assert report.bookings_erased == 1 and report.tracker_events_deleted == 2
    assert report.wal_checkpoint == {"clinic": "ok", "tracker": "ok"}
    assert b"Jim Beam" in held_open["clinic"].read_bytes()  # the others' data is still there


def test_purge_removes_old_undelivered_outbox_rows_and_leaves_no_trace(store, held_open):
    events = store.outbox()
    assert len(events) == 4  # two bookings, a call-back, a screening review: none delivered
    store.mark_delivered(events[0].id, NOW)
    store.mark_failed(events[1].id, NOW, "HTTP 500", next_attempt_at=None)  # given up
    r = PROFILE.retention
    report = privacy.purge(
        store,
        PROFILE,
        NOW + dt.timedelta(days=r.outbox_days - 1),
        tracker_url=held_open["tracker_url"],
    )
    assert report.outbox_deleted == 0 and len(store.outbox()) == 4  # not yet past retention

    later = NOW + dt.timedelta(
        days=max(r.outbox_days, r.screening_days, r.callbacks_days, r.bookings_days) + 2
    )
    report = privacy.purge(store, PROFILE, later, tracker_url=held_open["tracker_url"])
    assert _traces_in(held_open["clinic"], held_open["tracker"]) == {}
    assert report.outbox_deleted == 4 and report.outbox_undelivered_deleted == 3
    assert store.outbox() == []
    assert report.wal_checkpoint == {"clinic": "ok", "tracker": "ok"}
