"""Rasa's SQL tracker store with the per-turn queries written in SQLAlchemy Core.

Why this exists: profiling the server under load (py-spy) showed about 28% of
its CPU in SQLAlchemy's ORM machinery inside Rasa 3.6's ``SQLTrackerStore``.
Every turn, ``_retrieve`` builds a new ORM query with a subquery (statement
cache-key generation, compilation, one ORM object per row), and ``save``
builds the same query again for ``_additional_events`` and wraps it in
``.count()``, then creates one ORM object per new event and flushes them.

``ClinicSQLTrackerStore`` keeps everything else of Rasa's store and replaces
only those two hot paths with SQLAlchemy Core statements that are built once,
in ``__init__``, with a bound ``sender`` parameter. Because the statement
objects are reused, SQLAlchemy memoises their cache keys and serves the
compiled SQL from the engine's compiled cache; rows come back as plain tuples
(only the ``data`` column is selected) and new events go in as one
executemany ``INSERT``.

What is unchanged, on purpose (so that a database written by one store is
read identically by the other, and that other readers of the table, e.g.
``clinic_core.privacy``, keep working):

* the table is Rasa's ``events`` table (``SQLTrackerStore.SQLEvent``), created
  by Rasa's ``__init__``; rows are written exactly as Rasa writes them:
  ``sender_id``, ``type_name``, ``timestamp`` (the event's float timestamp),
  ``intent_name``, ``action_name`` and ``data = json.dumps(event.as_dict())``;
* "the latest session" means what Rasa's ``_event_query`` means: the sender's
  events whose ``timestamp`` is ``>=`` the largest ``timestamp`` of the
  sender's ``session_started`` events, or all the sender's events when there
  is none, in ``id`` order;
* ``save`` streams to the event broker first (``await self.stream_events``),
  then counts the stored events of the latest session and inserts the
  tracker's events from that position on, like Rasa's ``_additional_events``;
* construction: Rasa loads a custom tracker store from ``endpoints.yml`` with
  ``cls(host=url, domain=..., event_broker=..., **other_keys)``, which is
  ``SQLTrackerStore.__init__`` unchanged (dialect, db, username, password,
  port, login_db, query, ...)::

      tracker_store:
        type: rasa_ext.sql_tracker_store.ClinicSQLTrackerStore
        dialect: "sqlite"
        db: "var/rasa_tracker.db"

One addition: "forget me". The client's erasure runs in a custom action
(actions/privacy.py) in the middle of a turn, and Rasa saves the tracker
after it: had the action deleted the conversation's rows, this ``save``
would count none stored and write the whole conversation back. So the
action only sets the slot :data:`ERASED_SLOT`, and ``save``, seeing it among
the turn's new events, deletes every row of the sender instead of inserting
(in the same transaction as the count). The next message starts a new,
empty conversation.

Two deliberate differences: the PostgreSQL schema check that Rasa's
``session_scope`` repeats on every call (``POSTGRESQL_SCHEMA``) runs once, at
construction; and an error while decoding stored events propagates as that
error, where Rasa's ``session_scope`` turns any ``ValueError`` (including a
``json`` decode error) into "schema not found" and exits the process.

Never waiting on the event loop: Rasa 3.6's store is async in name only, its
queries block the server's one event loop. With the SQLite file locked by
another process for 10 s the whole server froze (``/healthz`` took 8 s).

* SQLite file: each query is first tried on the event loop with a connection
  that never waits (busy timeout 0). That is the normal case, at the speed
  measured before: in WAL mode a read never waits for a writer, and the
  server is the database's only writer. Only when SQLite answers "locked"
  (another process holds it: the privacy CLI, a backup, an attack) does the
  query go to a database thread (clinic_core.db_threads; one for reading, one
  for writing, each with its own connection) and wait there. Always using the
  threads cost 35% more CPU per turn and 26% of the throughput at 16
  conversations (measured side by side for issue 12, item 5): the threads
  fight a busy event loop for the GIL.
* PostgreSQL: every query in one of four database threads (network round
  trips would block the loop).

The database gives up waiting for a lock after CLINIC_DB_TIMEOUT seconds
(default 3; SQLite's busy timeout, PostgreSQL's lock_timeout) and the thread
one second later; the error reaches the channel, which sends the apology
(rasa_ext/rasa_patches.py, "apologise"), and the conversation goes on from
where it was with the client's next message.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import Event, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.pool import SingletonThreadPool, StaticPool

from clinic_core.db_threads import DatabaseThreads, busy_timeout
from clinic_core.privacy import truncate_wal
from rasa_ext import rasa_patches

rasa_patches.apply()  # Rasa loads this module from its configuration (see rasa_ext/__init__.py)

# Name of the bound parameter every statement below takes.
SENDER = "sender"
#: Set by the "forget me" action once it has erased the client's records
#: (domain.yml, actions/constants.py): this turn's save erases the
#: conversation instead of storing it.
ERASED_SLOT = "conversation_erased"
#: database threads for a server database (PostgreSQL; CLINIC_TRACKER_DB_THREADS);
#: an SQLite file gets one reader and one writer
SERVER_DB_THREADS = 4


class EventStatements(NamedTuple):
    """The Core statements of the hot path, built once per store."""

    all_events: sa.sql.Select  # data of all the sender's events, in id order
    session_events: sa.sql.Select  # data of the latest session's events, in id order
    count_session_events: sa.sql.Select  # number of the latest session's events
    insert_event: sa.sql.Insert  # one row of the events table (executemany)
    delete_sender: sa.sql.Delete  # every row of the sender ("forget me")


def _latest_session_condition(
    events: sa.Table, sender: sa.sql.BindParameter
) -> sa.sql.ColumnElement:
    """Rasa's ``_event_query`` filter for "events of the latest session".

    The same SQL shape as Rasa's: an aggregate subquery with the timestamp of
    the sender's latest ``session_started`` event (exactly one row, NULL when
    there is none), and events at or after it, or every event when it is NULL.
    """
    session_start = (
        sa.select(sa.func.max(events.c.timestamp).label("session_start"))
        .where(events.c.sender_id == sender, events.c.type_name == SessionStarted.type_name)
        .subquery()
        .c.session_start
    )
    return sa.or_(events.c.timestamp >= session_start, session_start.is_(None))


def build_statements(events: sa.Table) -> EventStatements:
    """Builds the statements on Rasa's ``events`` table (called once per store)."""
    sender = sa.bindparam(SENDER, type_=events.c.sender_id.type)
    of_sender = events.c.sender_id == sender
    in_latest_session = _latest_session_condition(events, sender)
    return EventStatements(
        all_events=sa.select(events.c.data).where(of_sender).order_by(events.c.id),
        session_events=sa.select(events.c.data)
        .where(of_sender, in_latest_session)
        .order_by(events.c.id),
        count_session_events=sa.select(sa.func.count()).where(of_sender, in_latest_session),
        insert_event=events.insert(),
        delete_sender=events.delete().where(of_sender),
    )


def event_row(sender_id: str, event: Event) -> dict[str, Any]:
    """The ``events`` row of one event, computed exactly as Rasa's ``save`` does."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA secure_delete=ON")  # "forget me": erased rows are zeroed in the file
    cursor.close()


class ClinicSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose ``retrieve`` and ``save`` skip the ORM.

    Same table, same rows, same session semantics; see the module docstring.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Takes exactly ``SQLTrackerStore``'s parameters (Rasa's own ``__init__``
        creates the engine and the table), then builds the Core statements once
        and checks the PostgreSQL schema once instead of on every call.
        """
        super().__init__(*args, **kwargs)
        self._tune_engine()
        self._statements = build_statements(self.SQLEvent.__table__)
        with self.session_scope():  # Rasa's schema check (exits if the schema is missing)
            pass
        self._no_wait = self._no_wait_engine()
        url = self.engine.url
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            self._readers = self._writers = DatabaseThreads(1, "tracker-db")  # its one connection
        elif url.get_backend_name() == "sqlite":
            self._readers = DatabaseThreads(1, "tracker-read")
            self._writers = DatabaseThreads(1, "tracker-write")
        else:
            threads = int(os.environ.get("CLINIC_TRACKER_DB_THREADS") or SERVER_DB_THREADS)
            self._readers = self._writers = DatabaseThreads(threads, "tracker-db")

    def _tune_engine(self) -> None:
        """Replaces the engine Rasa made, where measured to matter.

        SQLite file (the single-machine default): WAL mode with
        synchronous=NORMAL and one kept connection per thread (the database
        thread's, and one for Rasa's own calls). SQLAlchemy 1.4 opens and
        closes a file connection per session and SQLite fsyncs at every last
        close and commit: 4.3 ms per commit measured, against 0.01 ms here,
        and every turn waits for its commit. A crash loses no committed turn;
        a power cut may lose the last few. A lock held by another process is
        waited for CLINIC_DB_TIMEOUT seconds (SQLite's busy timeout).

        SQLite in memory (tests): one connection, shared with the database
        thread (each connection would be a database of its own).

        PostgreSQL: `pool_pre_ping`, so that after a database restart a dead
        pooled connection is replaced before use instead of failing a turn
        (one `SELECT 1` per checkout), and lock_timeout = CLINIC_DB_TIMEOUT.
        """
        url = self.engine.url
        backend = url.get_backend_name()
        wait = busy_timeout()
        if backend == "sqlite" and url.database not in (None, "", ":memory:"):
            engine = sa.create_engine(
                url, poolclass=SingletonThreadPool, connect_args={"timeout": wait}
            )
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        elif backend == "postgresql":
            kwargs = create_engine_kwargs(url)
            options = " ".join(
                filter(
                    None,
                    [
                        (kwargs.get("connect_args") or {}).get("options"),
                        f"-c lock_timeout={int(wait * 1000)}",
                    ],
                )
            )
            kwargs["connect_args"] = {**(kwargs.get("connect_args") or {}), "options": options}
            engine = sa.create_engine(url, pool_pre_ping=True, **kwargs)
        elif backend == "sqlite":
            engine = sa.create_engine(
                url, poolclass=StaticPool, connect_args={"check_same_thread": False}
            )
            self.Base.metadata.create_all(engine)
        else:
            return
        self.engine.dispose()
        self.engine = engine
        self.sessionmaker = sa.orm.session.sessionmaker(bind=engine)

    def _no_wait_engine(self) -> sa.engine.Engine | None:
        """SQLite file: an engine like ``self.engine`` whose connection never
        waits for a lock, for the event loop's first try (module docstring)."""
        url = self.engine.url
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        engine = sa.create_engine(url, poolclass=SingletonThreadPool, connect_args={"timeout": 0})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine

    async def _without_waiting(
        self, threads: DatabaseThreads, query: Callable[..., Any], *args: Any
    ) -> Any:
        """``query(engine, *args)``: on the loop when SQLite can answer at once,
        else (locked, or PostgreSQL) in a database thread, waiting up to the bound."""
        if self._no_wait is not None:
            try:
                return query(self._no_wait, *args)
            except sa.exc.OperationalError as error:
                if "locked" not in str(error.orig):  # SQLITE_BUSY / SQLITE_LOCKED
                    raise
        return await threads.run(query, self.engine, *args)

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        """One ``SELECT data`` instead of an ORM query, never waiting on the
        loop; ``None`` when there are no events (as Rasa does)."""
        serialised = await self._without_waiting(
            self._readers, self._fetch_serialised_events, sender_id, fetch_events_from_all_sessions
        )
        if not (self.domain and serialised):
            return None  # a new conversation (Rasa's store logs the sender id here; a
            # WhatsApp sender id is a phone number, so this store logs nothing)
        events = [json.loads(data) for data in serialised]
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)

    def _fetch_serialised_events(
        self, engine: sa.engine.Engine, sender_id: str, all_sessions: bool
    ) -> list[str]:
        """The ``data`` column of the sender's events (latest session or all), by id."""
        statement = self._statements.all_events if all_sessions else self._statements.session_events
        with engine.connect() as conn:
            return conn.execute(statement, {SENDER: sender_id}).scalars().all()

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Streams new events to the event broker (as Rasa does), then, in one
        transaction that never waits on the loop, counts the stored events of
        the latest session and inserts the tracker's events after that many
        with one executemany ``INSERT``; or, when this turn erased the client
        ("forget me"), deletes every row of the sender and inserts nothing."""
        await self.stream_events(tracker)
        if tracker.events:  # a new conversation's first save has nothing to write
            await self._without_waiting(self._writers, self._insert_new_events, tracker)

    def _insert_new_events(self, engine: sa.engine.Engine, tracker: DialogueStateTracker) -> None:
        """One transaction; a failure (locked) rolls all of it back, so it can be tried again.
        An erasure ends, as `privacy erase` does, by emptying SQLite's write-ahead
        log, so the client's words leave the files at once."""
        with engine.begin() as conn:
            stored = self._count_session_events(conn, tracker.sender_id)
            erased = erased_in(tracker, stored)
            if erased:
                conn.execute(self._statements.delete_sender, {SENDER: tracker.sender_id})
            else:
                rows = self._rows_to_insert(tracker, stored)
                if rows:  # an empty parameter list would insert one row of defaults
                    conn.execute(self._statements.insert_event, rows)
        if erased:
            truncate_wal(engine)

    def _count_session_events(self, conn: sa.engine.Connection, sender_id: str) -> int:
        """What Rasa's ``_additional_events`` counts: stored events of the latest session."""
        return conn.execute(self._statements.count_session_events, {SENDER: sender_id}).scalar_one()

    @staticmethod
    def _rows_to_insert(tracker: DialogueStateTracker, stored: int) -> list[dict[str, Any]]:
        """Rows for the tracker's events from position ``stored`` on (Rasa's slice)."""
        new_events: Iterable[Event] = itertools.islice(tracker.events, stored, None)
        return [event_row(tracker.sender_id, event) for event in new_events]


def erased_in(tracker: DialogueStateTracker, stored: int) -> bool:
    """Whether the events not stored yet (this turn's) set :data:`ERASED_SLOT`."""
    return any(
        isinstance(event, SlotSet) and event.key == ERASED_SLOT and event.value
        for event in itertools.islice(tracker.events, stored, None)
    )
