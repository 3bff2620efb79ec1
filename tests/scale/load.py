"""Load for the scale-out test: many senders, numbered messages, retries.

Every sender sends its messages one after another, each carrying its number
("... #3"); a request that fails at the proxy (502/503/504, a dropped
connection) is sent again, as a client would, up to RETRIES times. Afterwards
the trackers are read back (through nginx, so with the same routing) and each
sender's numbers must come back in order, with none missing.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

QUESTIONS = [
    "what are your opening hours?",
    "how much does a massage cost?",
    "where are you?",
    "what should I wear?",
]
APOLOGY_MARK = "something went wrong"
RETRIES = 4
NUMBER = re.compile(r"#(\d+)\s*$")

YES, NO = "/affirm", "/deny"
# The pre-screen by buttons with nothing found (tests/http/test_screening.py).
SCREENING = [
    "can you check if a massage is ok for me?",
    YES,
    NO,
    NO,
    "body massage",
    NO,
    NO,
    NO,
    NO,
    NO,
    NO,
    NO,
    NO,
    YES,
]


@dataclass
class Turn:
    sender: str
    number: int
    started: float
    seconds: float
    status: int
    text: str
    attempts: int
    apologies_before: int = 0

    @property
    def apology(self) -> bool:
        return APOLOGY_MARK in self.text.lower()


@dataclass
class Run:
    turns: list[Turn] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # never answered after the retries
    wall_seconds: float = 0.0

    @property
    def answered(self) -> list[Turn]:
        return [t for t in self.turns if t.status == 200]

    def per_second(self) -> float:
        return len(self.answered) / self.wall_seconds if self.wall_seconds else 0.0

    def latency(self, q: float) -> float:
        values = sorted(t.seconds for t in self.answered)
        if not values:
            return float("nan")
        return values[min(len(values) - 1, max(0, int(q * len(values) + 0.999) - 1))]


async def send(
    session: aiohttp.ClientSession,
    url: str,
    sender: str,
    text: str,
    timeout: float,
    retries: int = RETRIES,
    resend_on_apology: bool = False,
) -> tuple[int, str, int, float, int]:
    """(status, reply text, attempts, seconds of the last attempt, apologies
    received). With resend_on_apology the client sends the message again
    after the assistant's apology, as a person would."""
    status, body, apologies = 0, "", 0
    for attempt in range(1, retries + 1):
        started = time.perf_counter()
        try:
            async with session.post(
                f"{url}/webhooks/rest/webhook",
                json={"sender": sender, "message": text},
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as r:
                status = r.status
                data = await r.json(content_type=None) if r.status == 200 else None
                if r.status == 200:
                    body = "\n".join(str(m.get("text") or "") for m in data or [])
                    if resend_on_apology and APOLOGY_MARK in body.lower() and attempt < retries:
                        apologies += 1
                        await asyncio.sleep(1.0)
                        continue
                    return status, body, attempt, time.perf_counter() - started, apologies
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            status, body = -1, f"{type(error).__name__}"
        await asyncio.sleep(1.0)
    return status, body, retries, time.perf_counter() - started, apologies


async def numbered(
    url: str,
    senders: list[str],
    messages: int,
    concurrency: int,
    on_progress: Callable[[int], Any] | None = None,
    timeout: float = 45.0,
    screenings: list[str] | None = None,
    first: int = 1,
    retries: int = RETRIES,
    resend_on_apology: bool = False,
) -> tuple[Run, dict[str, list[str]]]:
    """Each sender sends `messages` numbered FAQ questions; `screenings` (other
    senders) go through the whole pre-screen. Returns the run and, for each
    screening sender, what the client read at each step."""
    run = Run()
    done = {"n": 0}
    gate = asyncio.Semaphore(concurrency)
    screen_replies: dict[str, list[str]] = {}

    async def one(session: aiohttp.ClientSession, sender: str) -> None:
        async with gate:
            for k in range(first, first + messages):
                text = f"{QUESTIONS[k % len(QUESTIONS)]} #{k}"
                t0 = time.monotonic()
                status, reply, attempts, seconds, sorry = await send(
                    session, url, sender, text, timeout, retries, resend_on_apology
                )
                run.turns.append(Turn(sender, k, t0, seconds, status, reply, attempts, sorry))
                if status != 200:
                    run.failures.append(f"{sender} #{k}: {status} {reply}")
                done["n"] += 1
                if on_progress:
                    on_progress(done["n"])

    async def screen(session: aiohttp.ClientSession, sender: str) -> None:
        async with gate:
            screen_replies[sender] = []
            for k, text in enumerate(SCREENING, 1):
                t0 = time.monotonic()
                status, reply, attempts, seconds, sorry = await send(
                    session, url, sender, text, timeout, retries, resend_on_apology
                )
                run.turns.append(Turn(sender, k, t0, seconds, status, reply, attempts, sorry))
                screen_replies[sender].append(reply)
                if status != 200:
                    run.failures.append(f"{sender} step {k}: {status} {reply}")
                done["n"] += 1
                if on_progress:
                    on_progress(done["n"])

    started = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=concurrency + 8)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(
            *(one(session, s) for s in senders), *(screen(session, s) for s in screenings or [])
        )
    run.wall_seconds = time.perf_counter() - started
    return run, screen_replies


def new_senders(n: int, prefix: str) -> list[str]:
    return [f"scale-{prefix}-{uuid.uuid4().hex[:10]}" for _ in range(n)]


async def tracker(url: str, token: str, sender: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        async with session.get(
            f"{url}/conversations/{sender}/tracker",
            params={"token": token},
            timeout=aiohttp.ClientTimeout(total=30),
        ) as r:
            r.raise_for_status()
            return await r.json()


def numbers_in(tracker_json: dict[str, Any]) -> list[int]:
    out = []
    for event in tracker_json.get("events") or []:
        if event.get("event") == "user":
            m = NUMBER.search(event.get("text") or "")
            if m:
                out.append(int(m.group(1)))
    return out


def order_problems(numbers: list[int], expected: list[int]) -> tuple[str | None, int]:
    """(problem or None, duplicates). A message a replica stored just before it
    died, then sent again by the client, appears twice in a row: allowed and
    counted; anything missing or out of order is a problem."""
    deduped: list[int] = []
    duplicates = 0
    for n in numbers:
        if deduped and deduped[-1] == n:
            duplicates += 1
            continue
        deduped.append(n)
    if deduped != expected:
        return f"stored {numbers}, expected {expected}", duplicates
    return None, duplicates
