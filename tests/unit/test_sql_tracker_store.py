"""rasa_ext.sql_tracker_store.ClinicSQLTrackerStore against Rasa's own SQLTrackerStore.

Both stores are opened on the same database; whatever one writes the other
must read back identically, rows must be written column for column as Rasa
writes them, and "the latest session" must mean what Rasa means by it.

Runs every test on SQLite (a file under tmp_path) and on PostgreSQL: the
suite's server (`pg_server`, scripts/pg_test_server.sh), or the server at
CLINIC_TRACKER_PG_URL (an admin URL) when set.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import (
    FailSafeTrackerStore,
    SQLTrackerStore,
    TrackerStore,
    create_tracker_store,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.utils.endpoints import EndpointConfig, read_endpoint_config

from rasa_ext.sql_tracker_store import ClinicSQLTrackerStore

PG_ADMIN_URL = os.environ.get("CLINIC_TRACKER_PG_URL")

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents:
  - greet
  - book_massage
entities:
  - massage_type
slots:
  massage_type:
    type: text
    mappings:
      - type: from_entity
        entity: massage_type
  confirmed:
    type: bool
    mappings:
      - type: custom
responses:
  utter_greet:
    - text: "Hello!"
  utter_ask_time:
    - text: "When would you like to come?"
"""
)


@pytest.fixture(autouse=True)
def _quiet_sqlalchemy(monkeypatch: pytest.MonkeyPatch) -> None:
    # Rasa 3.6's SQLAlchemy 1.x usage triggers SQLAlchemy's 2.0 "uber" warning
    from sqlalchemy.util import deprecations

    monkeypatch.setattr(deprecations, "SILENCE_UBER_WARNING", True)


def _pg_database(admin_url: str) -> Iterator[dict[str, Any]]:
    """A fresh PostgreSQL database for one test (dropped afterwards)."""
    name = f"tracker_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield {"host": f"{admin_url.rsplit('/', 1)[0]}/{name}"}
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Constructor keywords for both stores, pointing at one empty database."""
    if request.param == "sqlite":
        yield {"dialect": "sqlite", "db": str(tmp_path / "tracker.db")}
    else:
        yield from _pg_database(PG_ADMIN_URL or request.getfixturevalue("pg_server"))


@pytest.fixture
def ours(db: dict[str, Any]) -> Iterator[ClinicSQLTrackerStore]:
    store = ClinicSQLTrackerStore(domain=DOMAIN, **db)
    yield store
    store.engine.dispose()


@pytest.fixture
def rasa(db: dict[str, Any], ours: ClinicSQLTrackerStore) -> Iterator[SQLTrackerStore]:
    store = SQLTrackerStore(domain=DOMAIN, **db)
    yield store
    store.engine.dispose()


# --- trackers -----------------------------------------------------------------


class Clock:
    """Strictly increasing timestamps, as a real conversation has."""

    def __init__(self) -> None:
        self.now = time.time() - 3600

    def __call__(self) -> float:
        self.now += 0.25
        return self.now


def session_start(clock: Clock) -> list[Event]:
    return [
        ActionExecuted("action_session_start", timestamp=clock()),
        SessionStarted(timestamp=clock()),
        ActionExecuted("action_listen", timestamp=clock()),
    ]


def greet_turn(clock: Clock, text: str = "hi") -> list[Event]:
    return [
        UserUttered(
            text,
            intent={"name": "greet", "confidence": 0.97},
            parse_data={
                "text": text,
                "intent": {"name": "greet", "confidence": 0.97},
                "entities": [],
                "intent_ranking": [{"name": "greet", "confidence": 0.97}],
            },
            timestamp=clock(),
            input_channel="rest",
            message_id=uuid.uuid4().hex,
        ),
        ActionExecuted("utter_greet", policy="RulePolicy", confidence=1.0, timestamp=clock()),
        BotUttered(
            "Hello!",
            {"elements": None, "buttons": None},
            {"utter_action": "utter_greet"},
            timestamp=clock(),
        ),
        ActionExecuted("action_listen", timestamp=clock()),
    ]


def booking_turn(clock: Clock, massage: str = "sports") -> list[Event]:
    entity = {"entity": "massage_type", "value": massage, "start": 5, "end": 5 + len(massage)}
    text = f"book {massage} massage"
    return [
        UserUttered(
            text,
            intent={"name": "book_massage", "confidence": 0.91},
            entities=[entity],
            parse_data={
                "text": text,
                "intent": {"name": "book_massage", "confidence": 0.91},
                "entities": [entity],
            },
            timestamp=clock(),
        ),
        SlotSet("massage_type", massage, timestamp=clock()),
        SlotSet("confirmed", True, timestamp=clock()),
        ActionExecuted("utter_ask_time", timestamp=clock()),
        BotUttered("When would you like to come?", timestamp=clock()),
        ActionExecuted("action_listen", timestamp=clock()),
    ]


def tracker_of(sender_id: str, events: list[Event]) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(sender_id, events, DOMAIN.slots)


def extended(tracker: DialogueStateTracker, events: list[Event]) -> DialogueStateTracker:
    for event in events:
        tracker.update(event)
    return tracker


def as_dicts(tracker: DialogueStateTracker | None) -> list[dict[str, Any]] | None:
    return None if tracker is None else [event.as_dict() for event in tracker.events]


def state(tracker: DialogueStateTracker) -> dict[str, Any]:
    return tracker.current_state(EventVerbosity.ALL)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def rows(store: SQLTrackerStore, sender_id: str) -> list[tuple]:
    """The stored rows of a sender, in id order, without id and sender_id."""
    events = store.SQLEvent.__table__
    columns = [
        events.c.type_name,
        events.c.timestamp,
        events.c.intent_name,
        events.c.action_name,
        events.c.data,
    ]
    with store.engine.connect() as conn:
        result = conn.execute(
            sa.select(*columns).where(events.c.sender_id == sender_id).order_by(events.c.id)
        )
        return [tuple(row) for row in result]


def row_count(store: SQLTrackerStore, sender_id: str) -> int:
    return len(rows(store, sender_id))


# --- (1) written and read identically ------------------------------------------


def conversation(clock: Clock) -> list[Event]:
    return session_start(clock) + greet_turn(clock) + booking_turn(clock)


def from_session_started(events: list[Event]) -> list[dict[str, Any]]:
    """What Rasa's ``retrieve`` returns of a conversation that starts with a session.

    The ``action_session_start`` event comes before ``session_started`` and has
    an earlier timestamp, so "events at or after the latest session start"
    leaves it out: a saved tracker comes back one event shorter.
    """
    assert isinstance(events[0], ActionExecuted) and isinstance(events[1], SessionStarted)
    return [event.as_dict() for event in events[1:]]


def test_ours_writes_what_rasa_reads(ours: ClinicSQLTrackerStore, rasa: SQLTrackerStore) -> None:
    events = conversation(Clock())
    run(ours.save(tracker_of("written-by-ours", events)))

    read_by_rasa = run(rasa.retrieve("written-by-ours"))
    assert as_dicts(read_by_rasa) == from_session_started(events)
    assert state(read_by_rasa) == state(tracker_of("written-by-ours", events[1:]))
    assert as_dicts(run(rasa.retrieve_full_tracker("written-by-ours"))) == [
        e.as_dict() for e in events
    ]
    assert (
        read_by_rasa.get_slot("massage_type") == "sports"
        and read_by_rasa.get_slot("confirmed") is True
    )
    assert as_dicts(run(ours.retrieve("written-by-ours"))) == as_dicts(read_by_rasa)


def test_rasa_writes_what_ours_reads(ours: ClinicSQLTrackerStore, rasa: SQLTrackerStore) -> None:
    events = conversation(Clock())
    run(rasa.save(tracker_of("written-by-rasa", events)))

    read_by_ours = run(ours.retrieve("written-by-rasa"))
    assert as_dicts(read_by_ours) == from_session_started(events)
    assert state(read_by_ours) == state(tracker_of("written-by-rasa", events[1:]))
    assert state(read_by_ours) == state(run(rasa.retrieve("written-by-rasa")))
    assert as_dicts(run(ours.retrieve_full_tracker("written-by-rasa"))) == [
        e.as_dict() for e in events
    ]


def test_rows_are_written_column_for_column_as_rasa_writes_them(
    ours: ClinicSQLTrackerStore, rasa: SQLTrackerStore
) -> None:
    events = conversation(Clock())
    run(ours.save(tracker_of("ours", events)))
    run(rasa.save(tracker_of("rasa", events)))

    assert rows(ours, "ours") == rows(rasa, "rasa")
    written = rows(ours, "ours")
    assert [r[0] for r in written] == [e.type_name for e in events]
    assert ("user", events[3].timestamp, "greet", None) == written[3][:4]
    assert written[4][3] == "utter_greet" and written[4][2] is None


# --- (2) saving only appends ----------------------------------------------------


def test_saving_again_appends_only_new_events(
    ours: ClinicSQLTrackerStore, rasa: SQLTrackerStore
) -> None:
    clock = Clock()
    first = session_start(clock) + greet_turn(clock)
    run(ours.save(tracker_of("s", first)))
    assert row_count(ours, "s") == len(first)

    run(ours.save(run(ours.retrieve("s"))))  # nothing new
    assert row_count(ours, "s") == len(first)

    second = booking_turn(clock)
    run(ours.save(extended(run(ours.retrieve("s")), second)))
    assert row_count(ours, "s") == len(first) + len(second)

    third = greet_turn(clock, "hello again")  # the other store appends to ours, and back
    run(rasa.save(extended(run(rasa.retrieve("s")), third)))
    fourth = booking_turn(clock, "deep tissue")
    run(ours.save(extended(run(ours.retrieve("s")), fourth)))
    total = first + second + third + fourth
    assert row_count(ours, "s") == len(total)
    assert as_dicts(run(rasa.retrieve("s"))) == from_session_started(total)
    assert as_dicts(run(ours.retrieve_full_tracker("s"))) == [e.as_dict() for e in total]


# --- (3) the latest session -----------------------------------------------------


def test_retrieve_returns_the_latest_session_and_full_tracker_everything(
    ours: ClinicSQLTrackerStore, rasa: SQLTrackerStore
) -> None:
    clock = Clock()
    old_session = (
        session_start(clock) + greet_turn(clock, "first visit") + booking_turn(clock, "sports")
    )
    run(ours.save(tracker_of("s", old_session)))

    # the next turn starts a new session, as Rasa's processor does it
    tracker = run(ours.retrieve("s"))
    new_session = session_start(clock) + greet_turn(clock, "second visit")
    run(ours.save(extended(tracker, new_session)))
    assert row_count(ours, "s") == len(old_session) + len(new_session)

    latest = run(ours.retrieve("s"))
    texts = [e.text for e in latest.events if isinstance(e, UserUttered)]
    assert texts == ["second visit"]
    # Rasa's rule is "timestamp >= the latest session_started": the
    # action_session_start before it (earlier timestamp) is not returned
    assert [e.as_dict() for e in latest.events] == [e.as_dict() for e in new_session[1:]]
    assert latest.get_slot("massage_type") is None  # the old session's slot is not replayed
    assert as_dicts(latest) == as_dicts(run(rasa.retrieve("s")))

    full = run(ours.retrieve_full_tracker("s"))
    assert as_dicts(full) == [e.as_dict() for e in old_session + new_session]
    assert as_dicts(full) == as_dicts(run(rasa.retrieve_full_tracker("s")))

    # a save of the latest-session tracker appends after the latest session only
    run(ours.save(extended(latest, booking_turn(clock, "hot stone"))))
    assert as_dicts(run(rasa.retrieve("s"))) == as_dicts(latest)
    assert row_count(ours, "s") == len(old_session) + len(new_session) + 6


def test_without_session_started_every_event_is_the_session(
    ours: ClinicSQLTrackerStore, rasa: SQLTrackerStore
) -> None:
    clock = Clock()
    events = (
        [ActionExecuted("action_listen", timestamp=clock())]
        + greet_turn(clock)
        + booking_turn(clock)
    )
    run(ours.save(tracker_of("no-session", events)))
    assert as_dicts(run(ours.retrieve("no-session"))) == [e.as_dict() for e in events]
    assert as_dicts(run(rasa.retrieve("no-session"))) == [e.as_dict() for e in events]


def test_timestamp_edge_cases_agree_with_rasa(
    ours: ClinicSQLTrackerStore, rasa: SQLTrackerStore
) -> None:
    # ties with the session start and clocks going backwards: both stores go by
    # the timestamp column (>=), not by insertion order
    t = time.time()
    events = [
        ActionExecuted("action_listen", timestamp=t - 10),
        UserUttered("old, same time as the session start", timestamp=t),
        ActionExecuted("action_session_start", timestamp=t - 1),
        SessionStarted(timestamp=t),
        UserUttered("new", timestamp=t + 1),
        UserUttered("after 'new' in id order, before it in time", timestamp=t + 0.5),
        UserUttered("late clock", timestamp=t - 5),
        SessionStarted(timestamp=t - 20),  # an earlier session_started is not the latest
    ]
    run(rasa.save(tracker_of("edge", events)))
    expected = [events[1].as_dict(), events[3].as_dict(), events[4].as_dict(), events[5].as_dict()]
    assert as_dicts(run(rasa.retrieve("edge"))) == expected
    assert as_dicts(run(ours.retrieve("edge"))) == expected
    everything = [e.as_dict() for e in events]  # in id order, not by timestamp
    assert as_dicts(run(rasa.retrieve_full_tracker("edge"))) == everything
    assert as_dicts(run(ours.retrieve_full_tracker("edge"))) == everything
    # and the count used by save agrees: nothing new is appended
    run(ours.save(run(ours.retrieve("edge"))))
    assert row_count(ours, "edge") == len(events)


# --- (4) unknown senders ----------------------------------------------------------


def test_unknown_sender_is_none(ours: ClinicSQLTrackerStore, rasa: SQLTrackerStore) -> None:
    run(ours.save(tracker_of("known", session_start(Clock()))))
    assert run(ours.retrieve("unknown")) is None
    assert run(ours.retrieve_full_tracker("unknown")) is None
    assert run(rasa.retrieve("unknown")) is None


def test_saving_an_empty_tracker_writes_nothing(ours: ClinicSQLTrackerStore) -> None:
    run(ours.save(DialogueStateTracker("empty", DOMAIN.slots)))
    assert row_count(ours, "empty") == 0
    assert run(ours.retrieve("empty")) is None


# --- event broker -----------------------------------------------------------------


class ListBroker:
    """Collects what the tracker store publishes."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any]) -> None:
        self.published.append(event)


def test_new_events_are_streamed_like_rasa_does(db: dict[str, Any]) -> None:
    clock = Clock()
    first, second = session_start(clock) + greet_turn(clock), booking_turn(clock)
    published = []
    for name, cls in (("ours", ClinicSQLTrackerStore), ("rasa", SQLTrackerStore)):
        broker = ListBroker()
        store = cls(domain=DOMAIN, event_broker=broker, **db)
        run(store.save(tracker_of(name, first)))
        run(store.save(extended(run(store.retrieve(name)), second)))
        store.engine.dispose()
        published.append(
            [{k: v for k, v in e.items() if k != "sender_id"} for e in broker.published]
        )
    assert published[0] == published[1]
    assert len(published[0]) == len(first) + len(second)


# --- (5) loaded by Rasa's factory from endpoints.yml ----------------------------------


def test_rasa_factory_builds_ours_from_an_endpoint_config(tmp_path: Path) -> None:
    path = tmp_path / "factory.db"
    config = EndpointConfig(
        type="rasa_ext.sql_tracker_store.ClinicSQLTrackerStore", dialect="sqlite", db=str(path)
    )
    store = create_tracker_store(config, DOMAIN)
    if isinstance(store, FailSafeTrackerStore):
        store = store._tracker_store
    assert type(store) is ClinicSQLTrackerStore
    assert Path(store.engine.url.database) == path and path.exists()


def test_rasa_factory_builds_ours_from_endpoints_yml(tmp_path: Path) -> None:
    path = tmp_path / "endpoints.db"
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n"
        "  type: rasa_ext.sql_tracker_store.ClinicSQLTrackerStore\n"
        '  dialect: "sqlite"\n'
        f'  db: "{path}"\n'
    )
    broker = ListBroker()
    store = TrackerStore.create(
        read_endpoint_config(str(endpoints), "tracker_store"), DOMAIN, broker
    )
    if isinstance(store, FailSafeTrackerStore):
        store = store._tracker_store
    assert type(store) is ClinicSQLTrackerStore
    assert store.event_broker is broker and store.domain is DOMAIN

    clock = Clock()
    events = session_start(clock) + greet_turn(clock)
    tracker = tracker_of("via-factory", events)
    run(store.save(tracker))
    assert as_dicts(run(store.retrieve("via-factory"))) == from_session_started(events)
    assert len(broker.published) == len(tracker.events)


# --- the engine it runs on ------------------------------------------------------------


def test_sqlite_file_runs_in_wal_mode_and_postgresql_pre_pings(
    ours: ClinicSQLTrackerStore, db: dict[str, Any]
) -> None:
    """SQLite: no fsync wait per commit (WAL, synchronous=NORMAL); PostgreSQL:
    a connection the server closed is replaced before use."""
    if db.get("dialect") == "sqlite":
        with ours.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    else:
        assert ours.engine.pool._pre_ping is True


# --- "forget me" ------------------------------------------------------------------


def test_a_turn_that_erased_the_client_leaves_no_row_of_the_conversation(
    ours: ClinicSQLTrackerStore,
) -> None:
    """The erasure runs in an action in the middle of the turn and Rasa saves
    the tracker afterwards: that save must not write the conversation back."""
    from rasa_ext.sql_tracker_store import ERASED_SLOT

    clock = Clock()
    tracker = tracker_of("forget-me", conversation(clock))
    run(ours.save(tracker))
    run(ours.save(tracker_of("someone-else", conversation(Clock()))))
    tracker = run(ours.retrieve("forget-me"))
    extended(
        tracker,
        greet_turn(clock, text="forget me")[:1]
        + [
            ActionExecuted("action_erase_my_data", timestamp=clock()),
            BotUttered("Done: I've erased ...", timestamp=clock()),
            SlotSet(ERASED_SLOT, True, timestamp=clock()),
            ActionExecuted("action_listen", timestamp=clock()),
        ],
    )
    run(ours.save(tracker))
    assert rows(ours, "forget-me") == [] and run(ours.retrieve_full_tracker("forget-me")) is None
    assert row_count(ours, "someone-else") == len(conversation(Clock()))
    # the next message starts a new conversation, stored as usual
    run(ours.save(tracker_of("forget-me", session_start(clock) + greet_turn(clock))))
    assert [r[0] for r in rows(ours, "forget-me")][:2] == ["action", "session_started"]
    assert ERASED_SLOT not in str(rows(ours, "forget-me"))


def test_the_erased_slot_is_the_one_the_action_sets_and_the_domain_declares() -> None:
    from actions.constants import SLOT_CONVERSATION_ERASED
    from rasa_ext.sql_tracker_store import ERASED_SLOT

    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
    assert ERASED_SLOT == SLOT_CONVERSATION_ERASED
    assert ERASED_SLOT in [slot.name for slot in domain.slots]


def test_waits_for_a_lock_at_most_the_clinic_db_timeout(
    ours: ClinicSQLTrackerStore, db: dict[str, Any]
) -> None:
    """Another process's lock is waited for CLINIC_DB_TIMEOUT (default 3 s),
    not SQLite's 5 s or PostgreSQL's for ever (issue 12, item 5)."""
    from clinic_core.db_threads import busy_timeout

    with ours.engine.connect() as conn:
        if db.get("dialect") == "sqlite":
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == int(
                busy_timeout() * 1000
            )
        else:
            assert conn.exec_driver_sql("SHOW lock_timeout").scalar() == f"{int(busy_timeout())}s"


def test_a_locked_database_fails_the_save_within_the_bound_without_blocking_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The save waits in a database thread: the event loop keeps running
    (a ticker advances meanwhile), and the save fails after the bound."""
    import sqlite3
    import time

    monkeypatch.setenv("CLINIC_DB_TIMEOUT", "0.5")
    path = tmp_path / "tracker.db"
    store = ClinicSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(path))
    tracker = DialogueStateTracker.from_events(
        "locked", [ActionExecuted("action_listen"), UserUttered("hi")]
    )
    run(store.save(tracker))
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")

    async def save_while_ticking() -> tuple[int, float, BaseException | None]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.ensure_future(ticker())
        start = time.monotonic()
        tracker.update(UserUttered("are you there?"))
        try:
            await store.save(tracker)
            error = None
        except Exception as caught:  # noqa: BLE001 - what the channel would catch
            error = caught
        task.cancel()
        return ticks, time.monotonic() - start, error

    try:
        ticks, seconds, error = asyncio.run(save_while_ticking())
    finally:
        other.execute("ROLLBACK")
        other.close()
        store.engine.dispose()
    assert error is not None and seconds < 0.5 + 1.0 + 0.5, (error, seconds)
    assert ticks >= 20, ticks  # the loop ran ~every 10 ms while the save waited
    assert [
        e.get("text") for e in as_dicts(run(store.retrieve("locked"))) if e["event"] == "user"
    ] == ["hi"]


def test_an_unlocked_sqlite_file_is_read_and_written_without_a_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The normal case stays as fast as it was measured: no thread hop (the
    threads are only for a file another process has locked)."""
    from clinic_core.db_threads import DatabaseThreads

    async def no_thread(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a database thread was used for an unlocked SQLite file")

    store = ClinicSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    monkeypatch.setattr(DatabaseThreads, "run", no_thread)
    try:
        tracker = DialogueStateTracker.from_events(
            "fast", [ActionExecuted("action_listen"), UserUttered("hi")]
        )
        run(store.save(tracker))
        assert [e["event"] for e in as_dicts(run(store.retrieve("fast")))] == ["action", "user"]
    finally:
        store.engine.dispose()
