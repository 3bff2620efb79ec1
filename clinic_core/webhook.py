"""Delivers outbox events to the clinic's webhook, signed with HMAC-SHA256.

Configuration (environment):

* ``CLINIC_WEBHOOK_URL``: where to POST; delivery is disabled when unset.
* ``CLINIC_WEBHOOK_SECRET``: the shared secret; delivery is disabled when
  unset (events are never sent unsigned). They stay in the outbox meanwhile.

Each event is POSTed as JSON::

    {"id": 12, "type": "booking.created", "created_at": "...", "payload": {...}}

with headers ``X-Clinic-Signature: sha256=<hex HMAC-SHA256 of the exact body>``,
``X-Clinic-Event: <type>`` and ``X-Clinic-Delivery: <id>``. Receivers verify the
signature over the raw body with :func:`verify_signature` (constant-time).

Delivery is at-least-once: a 2xx marks the event delivered; anything else
(or a network error) schedules a retry with exponential backoff (30 s,
60 s, 2 min, ... capped at 1 h) and gives up after ``max_attempts``. A lease
stops two dispatchers sending the same event at once; should a 2xx be lost
on the way back, the event is sent again with the same ``X-Clinic-Delivery``
id, which receivers use to ignore duplicates.

CLI: ``python -m clinic_core.webhook`` (one pass) or ``--loop`` (every
``--interval`` seconds until interrupted).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from .booking_store import BookingStore, OutboxRecord, utcnow

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Clinic-Signature"
EVENT_HEADER = "X-Clinic-Event"
DELIVERY_HEADER = "X-Clinic-Delivery"


def sign(body: bytes, secret: str) -> str:
    """The header value for ``body``: ``sha256=<hex>``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(body: bytes, header: str | None, secret: str) -> bool:
    """Constant-time check of an ``X-Clinic-Signature`` header (for receivers and tests)."""
    if not header or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(sign(body, secret), header)


def encode_event(event: OutboxRecord) -> bytes:
    return json.dumps(
        {
            "id": event.id,
            "type": event.event_type,
            "created_at": event.created_at.isoformat(),
            "payload": event.payload,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    ).encode("utf-8")


def backoff(attempts: int, base: float = 30.0, cap: float = 3600.0) -> dt.timedelta:
    """Delay before the next try after ``attempts`` failed tries (1 -> base)."""
    return dt.timedelta(seconds=min(cap, base * (2 ** max(attempts - 1, 0))))


@dataclass
class DispatchResult:
    delivered: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    given_up: list[int] = field(default_factory=list)
    disabled: str | None = None


@dataclass
class WebhookConfig:
    url: str | None = None
    secret: str | None = None
    timeout: float = 10.0
    max_attempts: int = 12
    base_delay: float = 30.0
    max_delay: float = 3600.0

    @classmethod
    def from_env(cls) -> WebhookConfig:
        return cls(
            url=os.environ.get("CLINIC_WEBHOOK_URL") or None,
            secret=os.environ.get("CLINIC_WEBHOOK_SECRET") or None,
        )


def dispatch_once(
    store: BookingStore,
    now: dt.datetime | None = None,
    *,
    config: WebhookConfig | None = None,
    session: requests.Session | None = None,
    limit: int = 50,
) -> DispatchResult:
    """Send every due outbox event once; returns what happened to each."""
    config = config or WebhookConfig.from_env()
    if not config.url:
        return DispatchResult(disabled="CLINIC_WEBHOOK_URL is not set")
    if not config.secret:
        return DispatchResult(
            disabled="CLINIC_WEBHOOK_SECRET is not set; events are never sent unsigned"
        )
    now = now or utcnow()
    http = session or requests.Session()
    result = DispatchResult()
    try:
        for event in store.due_outbox(now, limit=limit):
            if not store.lease_outbox(event.id, now, seconds=config.timeout * 3 + 30):
                continue  # another dispatcher has it
            attempts = event.attempts + 1
            body = encode_event(event)
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(body, config.secret),
                EVENT_HEADER: event.event_type,
                DELIVERY_HEADER: str(event.id),
            }
            error: str | None = None
            try:
                response = http.post(config.url, data=body, headers=headers, timeout=config.timeout)
                if 200 <= response.status_code < 300:
                    store.mark_delivered(event.id, now)
                    result.delivered.append(event.id)
                    continue
                error = f"HTTP {response.status_code}: {response.text[:200]}"
            except requests.RequestException as exc:
                error = f"{type(exc).__name__}: {exc}"
            if attempts >= config.max_attempts:
                store.mark_failed(event.id, now, error, None)
                result.given_up.append(event.id)
                logger.error(
                    "webhook: giving up on event %s after %s attempts: %s",
                    event.id,
                    attempts,
                    error,
                )
            else:
                retry_at = now + backoff(attempts, config.base_delay, config.max_delay)
                store.mark_failed(event.id, now, error, retry_at)
                result.failed.append(event.id)
                logger.warning(
                    "webhook: event %s failed (%s); retry at %s",
                    event.id,
                    error,
                    retry_at.isoformat(),
                )
    finally:
        if session is None:
            http.close()
    return result


def run_loop(
    store: BookingStore,
    interval: float = 5.0,
    config: WebhookConfig | None = None,
    max_passes: int | None = None,
) -> None:
    stop = {"now": False}

    def _stop(*_: Any) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    passes = 0
    with requests.Session() as http:
        while not stop["now"]:
            result = dispatch_once(store, config=config, session=http)
            if result.disabled:
                logger.warning("webhook disabled: %s", result.disabled)
            passes += 1
            if max_passes is not None and passes >= max_passes:
                break
            deadline = time.monotonic() + interval
            while not stop["now"] and time.monotonic() < deadline:
                time.sleep(min(0.5, interval))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m clinic_core.webhook",
        description="Deliver clinic outbox events to CLINIC_WEBHOOK_URL.",
    )
    parser.add_argument("--loop", action="store_true", help="keep dispatching until interrupted")
    parser.add_argument(
        "--interval", type=float, default=5.0, help="seconds between passes with --loop"
    )
    parser.add_argument(
        "--db-url", help="clinic database (default $CLINIC_DB_URL or var/clinic.db)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    from .profile import load_profile

    store = BookingStore(args.db_url, profile=load_profile())
    try:
        if args.loop:
            try:
                run_loop(store, args.interval)
            except KeyboardInterrupt:
                pass
            return 0
        result = dispatch_once(store)
        if result.disabled:
            print(f"webhook disabled: {result.disabled}")
            return 0
        print(
            json.dumps(
                {
                    "delivered": result.delivered,
                    "failed": result.failed,
                    "given_up": result.given_up,
                }
            )
        )
        return 0
    finally:
        store.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
