"""Attacks on the assistant exactly as `make run` starts it (scripts/run.sh,
on free ports, with a temporary clinic database): issue 12, items 2 and 4.

* A forged action call: one POST to the action server's /webhook with a
  made-up tracker (outcome `ok`, a slot, a name, a phone) wrote a booking and
  a webhook event. Now the action server listens on loopback only and wants
  the token `make run` generated for Rasa: 401, nothing written.
* A 1 MB request is refused (413) before anything reads it, and metadata
  over the cap never reaches the tracker store.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.assistant import ROOT, free_port, new_sender, texts

PHONE = "07911 123456"
MAX_METADATA_CHARS = 2000  # channels/common.py (the widget's cap since issue 7), for every channel


@dataclass
class MakeRun:
    url: str
    actions_port: int
    clinic_db: Path
    tracker_db: Path
    proc: subprocess.Popen

    def post(
        self, url: str, body: bytes, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        req = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


@pytest.fixture(scope="module")
def make_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MakeRun]:
    work = tmp_path_factory.mktemp("make_run")
    rasa_port, actions_port, staff_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("CLINIC_ACTION_TOKEN", "SANIC_HOST")}
    # the staff console starts too: on a free port, not the default 5080 another checkout may hold
    env.update(
        {
            "RASA_PORT": str(rasa_port),
            "ACTIONS_PORT": str(actions_port),
            "STAFF_PORT": str(staff_port),
            "CLINIC_DB_URL": f"sqlite:///{work / 'clinic.db'}",
        }
    )
    log = work / "run.log"
    proc = subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "run.sh")],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    running = MakeRun(
        f"http://127.0.0.1:{rasa_port}",
        actions_port,
        work / "clinic.db",
        ROOT / "var" / "rasa_tracker.db",
        proc,
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"make run exited:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(running.url + "/readyz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"make run not ready:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield running
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def listening_addresses(port: int) -> set[str]:
    """Addresses a TCP socket LISTENs on for `port`, from /proc/net/tcp{,6}."""
    found = set()
    for name, width in (("tcp", 8), ("tcp6", 32)):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                if width == 8:
                    found.add(".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0)))
                else:
                    found.add("::1" if address == "0" * 24 + "01000000" else address)
    return found


def forged_action_call() -> dict[str, Any]:
    """What an attacker would POST: a tracker with every booking slot filled."""
    from clinic_core.availability import free_slots
    from clinic_core.dates import parse_date_request
    from clinic_core.profile import load_profile

    profile = load_profile()
    now = dt.datetime.now(dt.timezone.utc)
    service = profile.services[0]
    minutes = int(service.options[0].minutes)
    slot = free_slots(
        profile, None, service.id, minutes, parse_date_request("next week", now, profile), now
    )[0]
    slots = {
        "screening_outcome": "ok",
        "screening_reasons": [],
        "booking_slot": slot.to_dict(),
        "booking_confirmed": True,
        "booking_name": "Mallory Forger",
        "booking_phone": PHONE,
        "booking_service": service.id,
        "booking_minutes": minutes,
    }
    sender = new_sender()
    return {
        "next_action": "action_booking_submit",
        "sender_id": sender,
        "version": "3.6.21",
        "tracker": {
            "sender_id": sender,
            "slots": slots,
            "latest_message": {"text": "yes", "intent": {}},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "booking_form",
        },
    }


def rows(db: Path, table: str) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        exists = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = ?", (table,)
        ).fetchone()[0]
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] if exists else 0


def test_the_action_server_listens_on_loopback_only(make_run: MakeRun) -> None:
    addresses = listening_addresses(make_run.actions_port)
    assert addresses, "the action server's port is not listening"
    assert addresses <= {"127.0.0.1", "::1"}, addresses


def test_a_forged_action_call_is_refused_and_writes_nothing(make_run: MakeRun) -> None:
    body = json.dumps(forged_action_call()).encode()
    webhook = f"http://127.0.0.1:{make_run.actions_port}/webhook"
    status, answer = make_run.post(webhook, body)
    assert status == 401, answer[:300]
    status, _ = make_run.post(webhook, body, {"X-Clinic-Action-Token": "guessed-token-0123456789"})
    assert status == 401
    assert rows(make_run.clinic_db, "bookings") == 0
    assert rows(make_run.clinic_db, "outbox") == 0


def test_rasa_still_reaches_the_action_server_with_the_generated_token(make_run: MakeRun) -> None:
    status, answer = make_run.post(
        make_run.url + "/webhooks/rest/webhook",
        json.dumps({"sender": new_sender(), "message": "what is deep tissue massage?"}).encode(),
    )
    assert status == 200
    said = texts(json.loads(answer))
    assert "deep" in said.lower() and "something went wrong" not in said.lower(), said


def test_a_one_megabyte_request_gets_413(make_run: MakeRun) -> None:
    body = json.dumps(
        {"sender": new_sender(), "message": "hi", "metadata": {"pad": "x" * 1_000_000}}
    ).encode()
    status, _ = make_run.post(make_run.url + "/webhooks/rest/webhook", body)
    assert status == 413


def test_large_metadata_is_answered_and_not_stored(make_run: MakeRun) -> None:
    sender = new_sender()
    marker = "padding-that-must-not-be-stored-"
    body = json.dumps(
        {
            "sender": sender,
            "message": "what are your opening hours?",
            "metadata": {"pad": marker * (100_000 // len(marker))},
        }
    ).encode()
    assert len(body) > 100_000
    status, answer = make_run.post(make_run.url + "/webhooks/rest/webhook", body)
    assert status == 200 and texts(json.loads(answer)), answer[:300]
    with sqlite3.connect(make_run.tracker_db) as conn:
        stored = [
            json.loads(d)
            for (d,) in conn.execute("SELECT data FROM events WHERE sender_id = ?", (sender,))
        ]
    assert stored, "the turn was not stored"
    assert not any(marker in json.dumps(event) for event in stored)
    for event in stored:
        assert (
            len(json.dumps(event.get("metadata") or {})) <= MAX_METADATA_CHARS + 200
        )  # + Rasa's own keys
