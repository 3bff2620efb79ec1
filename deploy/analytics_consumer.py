"""Conversation analytics from Rasa's event broker (RabbitMQ, `type: pika`).

Reads the tracker events every Rasa replica publishes to the queue and keeps
one row per conversation turn in an SQL table: who (the sender id), when,
which intent and how confident, which actions answered, whether it ended in
a fallback or a hand-off. It stores no message text: clients type health
details, and analytics do not need them (README, "Health data").

    python deploy/analytics_consumer.py \
        --amqp amqp://guest:guest@127.0.0.1:5672/ --queue rasa_events \
        --db postgresql://analytics@127.0.0.1:5432/analytics

Then, for example:
    SELECT intent, count(*), avg(confidence) FROM turns GROUP BY intent;
    SELECT count(DISTINCT sender_id) FROM turns WHERE day = current_date;

--max-seconds / --idle-exit make it stop by itself (tests); in production it
runs until stopped. It acknowledges a message only after its row is written,
so a crash re-delivers rather than loses events.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import time
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

logger = logging.getLogger("analytics")

metadata = sa.MetaData()
turns = sa.Table(
    "turns",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("day", sa.Date, nullable=False, index=True),
    sa.Column("intent", sa.String(255)),
    sa.Column("confidence", sa.Float),
    sa.Column("retrieval", sa.String(255)),  # the FAQ topic the response selector chose
    sa.Column("input_channel", sa.String(64)),
)
actions = sa.Table(
    "actions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("action", sa.String(255), nullable=False, index=True),
)


def row_for(event: dict[str, Any]) -> tuple[sa.Table, dict[str, Any]] | None:
    """The analytics row for one Rasa event, or None for events we skip."""
    sender = event.get("sender_id")
    if not sender:
        return None
    at = datetime.fromtimestamp(float(event.get("timestamp") or time.time()), tz=timezone.utc)
    kind = event.get("event")
    if kind == "user":
        parse = event.get("parse_data") or {}
        intent = parse.get("intent") or {}
        selector = (parse.get("response_selector") or {}).get("faq") or {}
        retrieval = ((selector.get("response") or {}).get("intent_response_key")) or None
        return turns, {
            "sender_id": sender,
            "at": at,
            "day": at.date(),
            "intent": intent.get("name"),
            "confidence": intent.get("confidence"),
            "retrieval": retrieval,
            "input_channel": event.get("input_channel"),
        }
    if kind == "action" and event.get("name") and event.get("name") != "action_listen":
        return actions, {"sender_id": sender, "at": at, "action": event["name"]}
    return None


async def consume(
    amqp_url: str, queue_name: str, db_url: str, max_seconds: float, idle_exit: float
) -> int:
    import aio_pika

    engine = (
        sa.create_engine(db_url, pool_size=1, max_overflow=1, pool_pre_ping=True)
        if db_url.startswith("postgresql")
        else sa.create_engine(db_url)
    )
    metadata.create_all(engine)
    connection = await aio_pika.connect_robust(amqp_url)
    state = {"written": 0, "last": time.monotonic()}

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        state["last"] = time.monotonic()
        try:
            row = row_for(json.loads(message.body))
            if row:
                table, values = row
                with engine.begin() as conn:
                    conn.execute(table.insert().values(**values))
                state["written"] += 1
            await message.ack()
        except (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.DisconnectionError):
            # the database is away (refused, or a connection it closed while
            # restarting: "connection already closed" is an InterfaceError):
            # keep the event, retry later
            logger.warning("analytics database unavailable; the event goes back to the queue")
            await message.nack(requeue=True)
            await asyncio.sleep(1.0)
        except Exception:  # noqa: BLE001 - a malformed event must not stop analytics
            logger.exception("could not store an event; it is dropped")
            await message.reject(requeue=False)

    deadline = time.monotonic() + max_seconds if max_seconds else None
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=200)
        queue = await channel.declare_queue(queue_name, durable=True)  # as Rasa declares it
        await queue.consume(on_message)
        while True:
            await asyncio.sleep(0.5)
            if deadline and time.monotonic() > deadline:
                break
            if idle_exit and time.monotonic() - state["last"] > idle_exit:
                break
    written = state["written"]
    engine.dispose()
    return written


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--amqp", required=True, help="amqp://user:password@host:port/")
    ap.add_argument("--queue", default="rasa_events")
    ap.add_argument("--db", required=True, help="SQLAlchemy URL of the analytics database")
    ap.add_argument("--max-seconds", type=float, default=0, help="stop after this long (0: never)")
    ap.add_argument(
        "--idle-exit", type=float, default=0, help="stop after this long without events (0: never)"
    )
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO)
    written = asyncio.run(consume(args.amqp, args.queue, args.db, args.max_seconds, args.idle_exit))
    print(f"analytics: {written} rows written", flush=True)


if __name__ == "__main__":
    main()
