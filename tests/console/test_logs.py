"""The console's log holds no client's name, phone number or health words
(issue 12 item 7, for the console): staff work every workflow with them
(held bookings approved and declined, notes, phone bookings, call-backs, the
inbox) and send them where a library could echo them (sign-in names, query
strings, malformed JSON, a locked database's errors), then the console's log
(what `make run` writes to var/console.log) is read: one JSON object per
line, as the assistant's servers log (clinic_core/logs.py), and none of it.

Before: the console logged plain text lines through its own handler, and
Sanic's own lines in Sanic's format, outside the project's log privacy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from clinic_core.handover import HandoverDesk
from tests.console.harness import Console, FakeRasa, start_console
from tests.console.test_held import HEALTH, NAME, held_booking, next_open_day
from tests.http.test_db_locks import Locked

#: what must not appear in the log, in any spelling
SECRETS = (
    "Philippa",
    "Quartermaine",
    "123456",
    "123 456",
    "7911",
    "warfarin",
    "sciatica",
    "regnan",
)
SAID = f"{NAME} 07911 123456 takes warfarin for sciatica, {HEALTH}"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeRasa]:
    rasa = FakeRasa()
    yield rasa
    rasa.stop()


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory, fake: FakeRasa) -> Iterator[Console]:
    running = start_console(
        tmp_path_factory.mktemp("console_logs"),
        rasa_url=fake.url,
        rasa_token="t0ken",
        extra_env={"CLINIC_DB_TIMEOUT": "1"},
    )
    yield running
    running.stop()


def test_no_client_words_in_the_consoles_log_after_its_workflows(
    console: Console, fake: FakeRasa
) -> None:
    store = console.store()
    anna, rita, sam = console.session("anna"), console.session("rita"), console.session("sam")

    # held bookings: approved, declined, a note and a call-back request on one
    approve, _, _ = held_booking(store, 10)
    decline, _, phone = held_booking(store, 11)
    noted, _, _ = held_booking(store, 12)
    assert anna.get("/reviews").status_code == 200
    assert anna.post(f"/reviews/held/{approve.reference}/approve").status_code == 200
    assert anna.api("POST", f"/api/reviews/held/{decline.reference}/decline").status_code == 200
    assert anna.post(f"/reviews/held/{noted.reference}/note", {"text": SAID}).status_code == 200
    assert anna.post(f"/reviews/held/{noted.reference}/callback").status_code == 200
    fake.down = True  # the client's chat away: a warning for staff, and a log line
    try:
        assert anna.post(f"/reviews/held/{noted.reference}/approve").status_code == 200
    finally:
        fake.down = False

    # reception: a phone booking with the words everywhere, a refused one, a call-back note
    day = next_open_day(3).isoformat()
    form = {
        "service": "body_massage:60",
        "therapist_id": "tom",
        "date": day,
        "time": "10:00",
        "name": SAID,
        "phone": phone,
        "email": "philippa.quartermaine@example.com",
        "screening_outcome": "ok",
        "screened": "yes",
    }
    assert rita.post("/bookings", form).status_code == 200
    assert rita.post("/bookings", {**form, "phone": SAID}).status_code == 400
    assert rita.post("/bookings", {**form, "date": SAID}).status_code == 400
    callback = store.request_callback(
        NAME, "07911 123456", SAID, reason=f"pre-screen: clearance ({HEALTH})"
    )
    assert rita.get("/callbacks").status_code == 200
    assert (
        rita.api("POST", f"/api/callbacks/{callback.id}/note", json={"text": SAID}).status_code
        == 201
    )

    # the inbox: a staff member writes the words to a client
    request = HandoverDesk(store).request("logs-chat", "socketio")
    assert rita.api("POST", f"/api/handovers/{request.id}/take").status_code == 200
    assert (
        rita.api("POST", f"/api/handovers/{request.id}/messages", json={"text": SAID}).status_code
        == 201
    )
    assert rita.api("POST", f"/api/handovers/{request.id}/hand-back").status_code == 200

    # where a library could echo them: sign-in names, queries, paths, malformed bodies
    stranger = console.session()
    assert stranger.login(SAID, SAID).status_code == 401
    assert rita.get(f"/bookings?date={SAID}&therapist={NAME}").status_code in (200, 403)
    assert rita.get(f"/bookings/{NAME}/nothing").status_code == 404
    broken = rita.http.post(
        console.url + "/api/bookings",
        data=b'{"name": "' + SAID.encode() + b'"',
        headers={"X-CSRF-Token": rita.csrf, "Content-Type": "application/json"},
    )
    assert broken.status_code == 400
    assert sam.get(f"/audit?user={NAME}").status_code == 200

    # a locked database: every error line by its type
    lock = Locked(Path(console.db_url.split("///", 1)[1]), 3.0)
    try:
        assert anna.get(f"/reviews?show={SAID}").status_code == 503
    finally:
        lock.wait()

    lines = [line for line in console.log.splitlines() if line.strip()]
    assert lines, "the console wrote no log"
    not_json = [line[:200] for line in lines if not _is_json(line)]
    assert not_json == []
    leaks = [line[:300] for line in lines if any(s.lower() in line.lower() for s in SECRETS)]
    assert leaks == []
    loggers = {json.loads(line)["logger"] for line in lines}
    assert "staff_console.app" in loggers  # the database error above was logged, by its type
    assert any("DatabaseTimeout" in line or "OperationalError" in line for line in lines)


def _is_json(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False
