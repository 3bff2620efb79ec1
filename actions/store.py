"""The booking store as the action server uses it: one per process, every
call in a database thread.

The action server is one event loop for every conversation and the store is
synchronous: run on the loop, one call waiting for a locked database stalled
every action, also those that never touch it. `await db(lambda s: s.book(...))`
runs the call in a worker thread (clinic_core.db_threads) and raises after
the bound (CLINIC_DB_TIMEOUT + 1 s; the database's own lock wait is
CLINIC_DB_TIMEOUT), so only the turn that needs the database waits, and its
action apologises as for any storage failure.

The store is opened on first use, in a worker thread, so the action server
starts even while the database is down; a failed opening is retried on the
next call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from actions import content
from clinic_core.booking_store import BookingStore
from clinic_core.db_threads import DatabaseThreads, busy_timeout

T = TypeVar("T")
#: a few calls at once: SQLite takes one writer at a time anyway, and the
#: pool of a PostgreSQL engine (5 + 10) is never exhausted
THREADS = 4

_store: BookingStore | None = None
_opening = threading.Lock()
_threads = DatabaseThreads(THREADS, "clinic-db")


def store() -> BookingStore:
    """The process's store. Blocking: call it inside `db`, not on the loop."""
    global _store
    with _opening:
        if _store is None:
            _store = BookingStore.from_env(profile=content.profile(), busy_timeout=busy_timeout())
        return _store


async def db(call: Callable[[BookingStore], T]) -> T:
    """`call(store)` in a database thread; DatabaseTimeout after the bound."""
    return await _threads.run(lambda: call(store()))
