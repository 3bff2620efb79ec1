"""Blocking database calls of an asyncio server, in a few threads, each bounded.

Both servers are one event loop for every conversation, and both reach their
database through synchronous SQLAlchemy: the Rasa server's tracker store and
the action server's booking store. Run on the loop, a call that waits for the
database (SQLite locked by another process, PostgreSQL slow or away) stopped
every conversation, also those that never touch it, and `/healthz` with them
(issue 12, item 5: 9 s per action and 8 s per health check with a 10 s lock).

`DatabaseThreads.run(call)` runs `call` in a small thread pool and gives up
after `wait_seconds` with `DatabaseTimeout`: the caller apologises, as for any
storage failure. The database's own lock wait (`busy_timeout()`: SQLite's busy
timeout, PostgreSQL's lock_timeout) is one second shorter, so a waiting thread
gives up before the client hears anything and cannot commit afterwards; the
bound then only catches what waits elsewhere (a full pool, a dead server).

CLINIC_DB_TIMEOUT (seconds, default 3): how long a turn may wait for a
database before the client gets the apology.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

T = TypeVar("T")

DEFAULT_TIMEOUT_SECONDS = 3.0
#: what the thread pool adds to the database's own wait before giving up
MARGIN_SECONDS = 1.0


class DatabaseTimeout(TimeoutError):
    """The database did not answer within the bound."""


def busy_timeout() -> float:
    """Seconds the database itself may wait for a lock (CLINIC_DB_TIMEOUT)."""
    try:
        value = float(os.environ.get("CLINIC_DB_TIMEOUT") or DEFAULT_TIMEOUT_SECONDS)
    except ValueError:
        value = DEFAULT_TIMEOUT_SECONDS
    return max(0.1, value)


class DatabaseThreads:
    """`threads` worker threads for one database; every call bounded."""

    def __init__(self, threads: int, name: str, wait_seconds: float | None = None) -> None:
        self.wait_seconds = (
            wait_seconds if wait_seconds is not None else busy_timeout() + MARGIN_SECONDS
        )
        self._executor = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix=name)

    async def run(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`call(*args, **kwargs)` in a worker thread; DatabaseTimeout after
        `wait_seconds` (a call still queued then is not run at all)."""
        future = asyncio.get_running_loop().run_in_executor(
            self._executor, partial(call, *args, **kwargs)
        )
        try:
            return await asyncio.wait_for(future, self.wait_seconds)
        except asyncio.TimeoutError:
            raise DatabaseTimeout(
                f"no answer from the database within {self.wait_seconds:g} s"
            ) from None

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
