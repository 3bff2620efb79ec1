"""The load generator: scripted conversations over Rasa's REST channel.

N workers each play whole conversations, one after another, every
conversation with a fresh sender id; a worker sends a conversation's next
message only when the previous answer arrived (like a person). Every request
goes to the URL it is given (the benchmark only passes 127.0.0.1), and a
level stops after `max_turns` turns or `max_seconds`, whichever comes first.

    from loadgen import Turn, run_level
    stats = asyncio.run(run_level(url, script, concurrency=16, max_turns=400))
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp


@dataclass(frozen=True)
class Turn:
    text: str
    kind: str  # "faq" or "action"
    expect: tuple[str, ...] = ()  # case-insensitive substrings, any of which must be in the reply

    def check(self, replies: Any) -> str | None:
        """None when the reply is what a client should read, else the problem."""
        if not isinstance(replies, list) or not replies:
            return "empty reply"
        text = " ".join(str(r.get("text") or "") for r in replies if isinstance(r, dict)).lower()
        if "something went wrong" in text:
            return "apology"
        if self.expect and not any(e.lower() in text for e in self.expect):
            return f"unexpected reply to {self.text!r}: {text[:120]!r}"
        return None


@dataclass
class LevelResult:
    concurrency: int
    wall_seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=dict)  # kind -> seconds
    errors: list[str] = field(default_factory=list)
    conversations: int = 0

    @property
    def turns(self) -> int:
        return sum(len(v) for v in self.latencies.values())


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def summarise(result: LevelResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "concurrency": result.concurrency,
        "turns": result.turns,
        "conversations": result.conversations,
        "wall_seconds": round(result.wall_seconds, 3),
        "turns_per_second": round(result.turns / result.wall_seconds, 2)
        if result.wall_seconds
        else 0.0,
        "errors": len(result.errors),
        "error_samples": result.errors[:5],
        "kinds": {},
    }
    for kind, values in sorted(result.latencies.items()):
        out["kinds"][kind] = {
            "n": len(values),
            "p50_ms": round(percentile(values, 50) * 1000, 1),
            "p95_ms": round(percentile(values, 95) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1),
            "mean_ms": round(sum(values) / len(values) * 1000, 1),
        }
    return out


async def run_level(
    url: str,
    script: Sequence[Turn],
    concurrency: int,
    max_turns: int,
    max_seconds: float = 120.0,
    request_timeout: float = 60.0,
    sender_prefix: str = "bench",
    on_turn: Callable[[str, Turn, float], None] | None = None,
) -> LevelResult:
    """Plays `script` with `concurrency` simultaneous conversations."""
    result = LevelResult(concurrency)
    budget = {"left": max_turns}
    deadline = time.monotonic() + max_seconds
    connector = aiohttp.TCPConnector(limit=concurrency + 4)
    timeout = aiohttp.ClientTimeout(total=request_timeout)

    async def worker(session: aiohttp.ClientSession) -> None:
        while budget["left"] > 0 and time.monotonic() < deadline:
            sender = f"{sender_prefix}-{uuid.uuid4().hex[:16]}"
            result.conversations += 1
            for turn in script:
                if budget["left"] <= 0 or time.monotonic() >= deadline:
                    return
                budget["left"] -= 1
                started = time.perf_counter()
                try:
                    async with session.post(
                        url, json={"sender": sender, "message": turn.text}
                    ) as r:
                        body = await r.json(content_type=None)
                        problem = None if r.status == 200 else f"HTTP {r.status}"
                except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
                    body, problem = None, f"{type(error).__name__}: {error}"
                elapsed = time.perf_counter() - started
                problem = problem or turn.check(body)
                result.latencies.setdefault(turn.kind, []).append(elapsed)
                if problem:
                    result.errors.append(problem)
                if on_turn:
                    on_turn(sender, turn, elapsed)

    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    result.wall_seconds = time.perf_counter() - started
    return result
