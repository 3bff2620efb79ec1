"""A database locked by another process stalls only the turns that need it
(issue 12, item 5).

Before: with the clinic database locked for 10 s, every custom action waited
about 9 s, also those that never touch it; with the tracker database locked,
the whole Rasa server froze (/healthz 8 s). Here another process holds
`BEGIN EXCLUSIVE` on each SQLite file for 10 s while clients talk:

* clinic database: an FAQ and a massage-type question answer at once, the
  booking step gets the apology with the clinic's phone within the bound, and
  /healthz answers within 100 ms throughout;
* tracker database: SQLite locks the whole file and every turn writes to it,
  so every client gets the apology within the bound (reading goes on: in WAL
  mode readers do not wait for a writer; the write waits, then fails),
  /healthz still answers within 100 ms, and once the lock is gone each
  conversation goes on from where it was.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from clinic_core.profile import load_profile
from tests.assistant import Assistant, new_sender, start_assistant, texts
from tests.http.test_booking import screen

LOCK_SECONDS = 10.0
#: CLINIC_DB_TIMEOUT (3 s, the database's own wait) + 1 s (clinic_core.db_threads)
BOUND = 4.0
#: what the machine's load may add to a turn (2 shared cores)
SLACK = 2.0
FAST = 2.0
#: /healthz may wait behind a message being parsed on the event loop (tens of
#: ms, more on 2 shared cores: 0.11 s seen); a loop blocked by the database
#: waits its whole timeout (3 s; 8 s before the fix), far above this bound.
HEALTHY = 0.5
TURN_APOLOGY = "Sorry, something went wrong on our side"


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    running = start_assistant(Path(tmp_path_factory.mktemp("db_locks")))
    yield running
    running.stop()


class Locked:
    """`BEGIN EXCLUSIVE` on an SQLite file, held by another process."""

    CODE = (
        "import sqlite3, sys, time\n"
        "db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)\n"
        "db.execute('BEGIN EXCLUSIVE')\n"
        "print('locked', flush=True)\n"
        "time.sleep(float(sys.argv[2]))\n"
        "db.execute('COMMIT')\n"
    )

    def __init__(self, path: Path, seconds: float) -> None:
        assert path.exists(), path
        self.proc = subprocess.Popen(
            [sys.executable, "-c", self.CODE, str(path), str(seconds)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout.readline().strip() == "locked"
        self.until = time.monotonic() + seconds

    def wait(self) -> None:
        self.proc.wait(timeout=LOCK_SECONDS + 30)


class HealthWatch:
    """Polls /healthz every 50 ms until stopped; keeps each answer's time."""

    def __init__(self, url: str) -> None:
        self.url, self.times, self.failures = url + "/healthz", [], []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            start = time.monotonic()
            try:
                with urllib.request.urlopen(self.url, timeout=10) as r:
                    r.read()
                self.times.append(time.monotonic() - start)
            except OSError as error:
                self.failures.append(repr(error))
            self._stop.wait(0.05)

    def stop(self) -> list[float]:
        self._stop.set()
        self._thread.join(timeout=15)
        return self.times


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    start = time.monotonic()
    result = call()
    return time.monotonic() - start, result


def test_a_locked_clinic_database_delays_only_the_booking_step(assistant: Assistant) -> None:
    booker = new_sender()
    outcome = texts(screen(assistant, booker, "can I have a massage?"))
    assert "book" in outcome.lower(), outcome
    phone = load_profile(assistant.profile_path).phone

    lock = Locked(assistant.workdir / "clinic.db", LOCK_SECONDS)
    watch = HealthWatch(assistant.url)
    with ThreadPoolExecutor(3) as pool:
        booking = pool.submit(
            timed, lambda: texts(assistant.send(booker, "I'd like to book a massage"))
        )
        time.sleep(0.3)  # the booking step is waiting for the database now
        massage = pool.submit(
            timed, lambda: texts(assistant.send(new_sender(), "what is deep tissue massage?"))
        )
        faq = pool.submit(
            timed, lambda: texts(assistant.send(new_sender(), "what are your opening hours?"))
        )
        (massage_s, massage_reply), (faq_s, faq_reply) = massage.result(), faq.result()
        booking_s, booking_reply = booking.result()
    health = watch.stop()
    ended_after = time.monotonic() >= lock.until
    lock.wait()

    assert "deep tissue" in massage_reply.lower() and massage_s < FAST, (massage_s, massage_reply)
    assert "open" in faq_reply.lower() and faq_s < FAST, (faq_s, faq_reply)
    assert booking_s < BOUND + SLACK, (booking_s, booking_reply)
    assert "booking system" in booking_reply and phone in booking_reply, booking_reply
    assert health and not watch.failures and max(health) < HEALTHY, (
        max(health, default=None),
        watch.failures,
    )
    assert not ended_after, "the lock ended before the turns did: the test proved nothing"

    # the lock is gone: the same client books on
    reply = texts(assistant.send(booker, "I'd like to book a massage"))
    assert "booking system" not in reply and reply, reply


def test_a_locked_tracker_database_gets_every_client_the_apology_and_nothing_hangs(
    assistant: Assistant,
) -> None:
    first, second = new_sender(), new_sender()
    assert "deep tissue" in texts(assistant.send(first, "what is deep tissue massage?")).lower()
    assert "open" in texts(assistant.send(second, "what are your opening hours?")).lower()
    before = len(assistant.tracker(first)["events"])

    lock = Locked(assistant.workdir / "tracker.db", LOCK_SECONDS)
    watch = HealthWatch(assistant.url)
    with ThreadPoolExecutor(3) as pool:
        turns = [
            pool.submit(timed, lambda s=s, t=t: texts(assistant.send(s, t)))
            for s, t in (
                (first, "and what is sports massage?"),
                (second, "how much is a facial?"),
                (new_sender(), "hello"),
            )
        ]
        results = [turn.result() for turn in turns]
    health = watch.stop()
    ended_after = time.monotonic() >= lock.until
    lock.wait()

    assert health and not watch.failures and max(health) < HEALTHY, (
        max(health, default=None),
        watch.failures,
    )
    for seconds, reply in results:
        assert seconds < BOUND + SLACK, (seconds, reply)
        assert TURN_APOLOGY in reply, reply
    assert not ended_after, "the lock ended before the turns did: the test proved nothing"

    # the lock is gone: the conversation goes on from where it was
    assert len(assistant.tracker(first)["events"]) == before
    reply = texts(assistant.send(first, "and what is sports massage?"))
    assert "sports" in reply.lower() and TURN_APOLOGY not in reply, reply
