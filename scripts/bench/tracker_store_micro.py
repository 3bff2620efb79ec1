"""Micro-benchmark: Rasa's SQLTrackerStore against rasa_ext.sql_tracker_store.

    .venv/bin/python scripts/bench/tracker_store_micro.py
    .venv/bin/python scripts/bench/tracker_store_micro.py --turns 600 --url postgresql://...

A "turn" is what the server does with the tracker store on each message:
``retrieve`` the sender's tracker, append five events (user message, slot,
action, bot message, action_listen), ``save`` it. Conversations are
``--turns-per-conversation`` turns long and open with a session start, each on
a new sender id. Both stores work on the same database (a temporary SQLite
file unless ``--url`` is given), on their own sender ids, interleaved turn by
turn (the order alternates) so that both see the same table size and the same
background load. No event broker (``save`` then does no extra retrieve).

Prints the mean milliseconds per retrieve, per save and per retrieve+save for
each store, and the ratio ours/Rasa. A timing print, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rasa.core.tracker_store import SQLTrackerStore  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import (  # noqa: E402
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402

from rasa_ext.sql_tracker_store import ClinicSQLTrackerStore  # noqa: E402

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, book_massage]
entities: [massage_type]
slots:
  massage_type:
    type: text
    mappings: [{type: from_entity, entity: massage_type}]
responses:
  utter_greet: [{text: "Hello!"}]
"""
)

Timings = dict[str, list[float]]


def session_events() -> list[Event]:
    return [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
    ]


def turn_events(i: int) -> list[Event]:
    """Five events of one turn, shaped like a real one (parse data, metadata)."""
    text = f"I'd like a sports massage, turn {i}"
    entity = {"entity": "massage_type", "value": "sports", "start": 9, "end": 15}
    return [
        UserUttered(
            text,
            intent={"name": "book_massage", "confidence": 0.93},
            entities=[entity],
            parse_data={
                "text": text,
                "intent": {"name": "book_massage", "confidence": 0.93},
                "entities": [entity],
                "intent_ranking": [
                    {"name": "book_massage", "confidence": 0.93},
                    {"name": "greet", "confidence": 0.07},
                ],
            },
            input_channel="rest",
            message_id=uuid.uuid4().hex,
        ),
        SlotSet("massage_type", "sports"),
        ActionExecuted("utter_greet", policy="RulePolicy", confidence=1.0),
        BotUttered(
            "Hello! When would you like to come?",
            {"buttons": None},
            {"utter_action": "utter_greet"},
        ),
        ActionExecuted("action_listen"),
    ]


async def one_turn(store: SQLTrackerStore, sender_id: str, i: int, timings: Timings) -> None:
    start = time.perf_counter()
    tracker = await store.retrieve(sender_id)
    retrieved = time.perf_counter()
    if tracker is None:
        tracker = DialogueStateTracker.from_events(sender_id, session_events(), DOMAIN.slots)
    for event in turn_events(i):
        tracker.update(event)
    before_save = time.perf_counter()
    await store.save(tracker)
    saved = time.perf_counter()
    timings["retrieve"].append((retrieved - start) * 1000)
    timings["save"].append((saved - before_save) * 1000)
    timings["turn"].append((retrieved - start + saved - before_save) * 1000)


async def run(
    stores: dict[str, SQLTrackerStore], turns: int, per_conversation: int, warmup: int
) -> dict[str, Timings]:
    results: dict[str, Timings] = {
        name: {"retrieve": [], "save": [], "turn": []} for name in stores
    }
    names = list(stores)
    for i in range(warmup + turns):
        conversation = i // per_conversation
        order = names if i % 2 == 0 else names[::-1]
        for name in order:
            timings: Timings = (
                results[name] if i >= warmup else {"retrieve": [], "save": [], "turn": []}
            )
            await one_turn(stores[name], f"{name}-{conversation}", i, timings)
    return results


def make_stores(url: str) -> dict[str, SQLTrackerStore]:
    return {
        "rasa": SQLTrackerStore(domain=DOMAIN, host=url),
        "ours": ClinicSQLTrackerStore(domain=DOMAIN, host=url),
    }


def report(results: dict[str, Timings], url: str, args: argparse.Namespace) -> None:
    print(
        f"database: {url.split('@')[-1]}; {args.turns} turns per store "
        f"({args.turns_per_conversation} per conversation, 5 events each), {args.warmup} warm-up turns"
    )
    print(
        f"{'store':<6} {'retrieve ms':>12} {'save ms':>10} {'retrieve+save ms':>17} {'median':>8}"
    )
    for name, timings in results.items():
        print(
            f"{name:<6} {statistics.mean(timings['retrieve']):>12.3f} {statistics.mean(timings['save']):>10.3f} "
            f"{statistics.mean(timings['turn']):>17.3f} {statistics.median(timings['turn']):>8.3f}"
        )
    ratio = statistics.mean(results["ours"]["turn"]) / statistics.mean(results["rasa"]["turn"])
    r_ratio = statistics.mean(results["ours"]["retrieve"]) / statistics.mean(
        results["rasa"]["retrieve"]
    )
    s_ratio = statistics.mean(results["ours"]["save"]) / statistics.mean(results["rasa"]["save"])
    print(
        f"ratio ours/rasa: retrieve+save {ratio:.2f} (retrieve {r_ratio:.2f}, save {s_ratio:.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--turns-per-conversation", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--url", help="SQLAlchemy URL of an existing database (default: a temporary SQLite file)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'tracker_micro.db'}"
        stores = make_stores(url)
        try:
            results = asyncio.run(run(stores, args.turns, args.turns_per_conversation, args.warmup))
        finally:
            for store in stores.values():
                store.engine.dispose()
    report(results, url, args)


if __name__ == "__main__":
    main()
