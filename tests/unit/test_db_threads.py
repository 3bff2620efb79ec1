"""Blocking database calls in threads, each bounded (clinic_core/db_threads.py)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from clinic_core.booking_store import make_engine
from clinic_core.db_threads import (
    DEFAULT_TIMEOUT_SECONDS,
    DatabaseThreads,
    DatabaseTimeout,
    busy_timeout,
)


def test_a_call_runs_in_a_database_thread_and_its_errors_reach_the_caller() -> None:
    threads = DatabaseThreads(2, "test-db", wait_seconds=5)

    async def main() -> tuple[str, str]:
        name = await threads.run(lambda: threading.current_thread().name)
        with pytest.raises(ValueError, match="bad row"):
            await threads.run(lambda: (_ for _ in ()).throw(ValueError("bad row")))
        return name, threading.current_thread().name

    worker, loop_thread = asyncio.run(main())
    assert worker.startswith("test-db") and worker != loop_thread
    threads.shutdown()


def test_a_slow_call_gives_up_after_the_bound_and_queued_calls_never_run() -> None:
    threads = DatabaseThreads(1, "test-db", wait_seconds=0.3)
    ran: list[str] = []

    async def main() -> tuple[float, list[BaseException]]:
        start = time.monotonic()
        results = await asyncio.gather(
            threads.run(time.sleep, 1.0), threads.run(ran.append, "queued"), return_exceptions=True
        )
        return time.monotonic() - start, results

    seconds, results = asyncio.run(main())
    assert all(isinstance(r, DatabaseTimeout) for r in results), results
    assert seconds < 0.8, seconds
    time.sleep(1.0)  # the sleeping call finishes; the queued one was cancelled before it started
    assert ran == []
    threads.shutdown()


def test_the_bound_comes_from_clinic_db_timeout(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("CLINIC_DB_TIMEOUT", raising=False)
    assert busy_timeout() == DEFAULT_TIMEOUT_SECONDS
    monkeypatch.setenv("CLINIC_DB_TIMEOUT", "not a number")
    assert busy_timeout() == DEFAULT_TIMEOUT_SECONDS
    monkeypatch.setenv("CLINIC_DB_TIMEOUT", "1.5")
    assert busy_timeout() == 1.5
    assert DatabaseThreads(1, "test-db").wait_seconds == 2.5  # the database gives up first
    engine = make_engine(f"sqlite:///{tmp_path / 'clinic.db'}", busy_timeout=1.5)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1500
    engine.dispose()
