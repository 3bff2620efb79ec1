"""Outbox delivery to a local receiver that fails at first and then recovers."""

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from clinic_core.availability import Slot
from clinic_core.booking_store import BookingStore
from clinic_core.profile import load_profile
from clinic_core.webhook import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    WebhookConfig,
    backoff,
    dispatch_once,
    sign,
    verify_signature,
)

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 12, 9, 11, 0, tzinfo=LONDON)
PROFILE = load_profile()
SECRET = "test-secret-Ξ"
REPO = Path(__file__).resolve().parents[2]


class Receiver:
    """A webhook endpoint on 127.0.0.1 that answers 500 to the first ``fail_first`` requests."""

    def __init__(self, fail_first=0, status_after=200):
        self.fail_first = fail_first
        self.status_after = status_after
        self.requests = []  # (headers, body, status)
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    status = (
                        500
                        if len(receiver.requests) < receiver.fail_first
                        else receiver.status_after
                    )
                    receiver.requests.append((dict(self.headers), body, status))
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def delivered_ids(self):
        return [json.loads(body)["id"] for _h, body, status in self.requests if status == 200]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def store(tmp_path):
    s = BookingStore(f"sqlite:///{tmp_path / 'clinic.db'}", profile=PROFILE)
    yield s
    s.close()


def make_events(store, n, now=NOW, bookings=True):
    """n outbox events: bookings (hourly with Anna, so none overlap) and call-backs."""
    day = dt.date(2026, 12, 10)
    for i in range(n):
        if bookings and i % 2 == 0 and i < 12:
            hour = (10, 11, 12, 14, 15, 16)[i // 2]
            start = dt.datetime.combine(day, dt.time(hour), LONDON)
            therapist = "anna"
            slot = Slot(start, start + dt.timedelta(minutes=60), therapist, "body_massage", 60)
            store.book(slot, name=f"Client {i}", phone="07911 123456", now=now)
        else:
            store.request_callback(f"Caller {i}", "07911 123456", now=now)


def test_fails_then_recovers_exactly_once_with_valid_signatures(store):
    make_events(store, 3)
    receiver = Receiver(fail_first=2)
    config = WebhookConfig(url=receiver.url, secret=SECRET)
    try:
        first = dispatch_once(store, NOW, config=config)
        assert first.failed == [1, 2] and first.delivered == [3]
        assert (
            dispatch_once(store, NOW + dt.timedelta(seconds=10), config=config).delivered == []
        )  # backing off
        assert len(receiver.requests) == 3
        second = dispatch_once(store, NOW + dt.timedelta(seconds=31), config=config)
        assert second.delivered == [1, 2] and second.failed == []
        assert dispatch_once(store, NOW + dt.timedelta(hours=2), config=config).delivered == []
    finally:
        receiver.close()

    assert Counter(receiver.delivered_ids()) == {1: 1, 2: 1, 3: 1}  # each exactly once
    for headers, body, _status in receiver.requests:
        assert verify_signature(body, headers[SIGNATURE_HEADER], SECRET)
        assert not verify_signature(body, headers[SIGNATURE_HEADER], "wrong secret")
        assert headers[SIGNATURE_HEADER] == sign(body, SECRET)
        data = json.loads(body)
        assert headers[DELIVERY_HEADER] == str(data["id"])
        assert data["type"] in ("booking.created", "callback.requested")
        assert headers["Content-Type"] == "application/json"
    events = {e.id: e for e in store.outbox()}
    assert all(e.delivered_at is not None for e in events.values())
    assert events[1].attempts == 2 and events[3].attempts == 1
    assert events[1].last_error is None


def test_exponential_backoff_and_giving_up(store):
    make_events(store, 1)
    receiver = Receiver(fail_first=10**6)
    config = WebhookConfig(url=receiver.url, secret=SECRET, max_attempts=4)
    try:
        now = NOW
        delays = []
        for _ in range(3):
            result = dispatch_once(store, now, config=config)
            assert result.failed == [1]
            [event] = store.outbox()
            delays.append((event.next_attempt_at - now).total_seconds())
            now = event.next_attempt_at
        assert delays == [30, 60, 120]
        assert dispatch_once(store, now, config=config).given_up == [1]
        [event] = store.outbox()
        assert (
            event.failed_at is not None and "HTTP 500" in event.last_error and event.attempts == 4
        )
        assert dispatch_once(store, now + dt.timedelta(days=1), config=config).failed == []
    finally:
        receiver.close()
    assert backoff(1) == dt.timedelta(seconds=30) and backoff(30) == dt.timedelta(hours=1)


def test_unreachable_receiver_is_retried(store):
    make_events(store, 1)
    receiver = Receiver()
    url = receiver.url
    receiver.close()  # nothing listens there any more
    result = dispatch_once(store, NOW, config=WebhookConfig(url=url, secret=SECRET, timeout=2))
    assert result.failed == [1]
    assert "ConnectionError" in store.outbox()[0].last_error


def test_concurrent_dispatchers_send_each_event_once(store):
    make_events(store, 16)
    receiver = Receiver()
    config = WebhookConfig(url=receiver.url, secret=SECRET)
    barrier = threading.Barrier(4)
    results = []

    def run():
        barrier.wait()
        results.append(dispatch_once(store, NOW, config=config))

    threads = [threading.Thread(target=run) for _ in range(4)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        receiver.close()
    assert sorted(receiver.delivered_ids()) == list(range(1, 17))
    assert sorted(i for r in results for i in r.delivered) == list(range(1, 17))


def test_disabled_without_url_or_secret(store, monkeypatch):
    make_events(store, 1)
    monkeypatch.delenv("CLINIC_WEBHOOK_URL", raising=False)
    monkeypatch.delenv("CLINIC_WEBHOOK_SECRET", raising=False)
    assert "CLINIC_WEBHOOK_URL" in dispatch_once(store, NOW).disabled
    monkeypatch.setenv("CLINIC_WEBHOOK_URL", "http://127.0.0.1:9/never")
    assert "CLINIC_WEBHOOK_SECRET" in dispatch_once(store, NOW).disabled
    [event] = store.outbox()
    assert event.attempts == 0 and event.delivered_at is None


@pytest.mark.slow  # the dispatcher in a Python process of its own
def test_cli_delivers_with_environment(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store = BookingStore(url, profile=PROFILE)
    make_events(store, 2, now=dt.datetime.now(dt.timezone.utc), bookings=False)
    store.close()
    receiver = Receiver()
    env = dict(
        os.environ, CLINIC_DB_URL=url, CLINIC_WEBHOOK_URL=receiver.url, CLINIC_WEBHOOK_SECRET=SECRET
    )
    try:
        out = subprocess.run(
            [sys.executable, "-m", "clinic_core.webhook"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        receiver.close()
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1])["delivered"] == [1, 2]
    assert sorted(receiver.delivered_ids()) == [1, 2]
