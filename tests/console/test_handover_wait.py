"""A hand-over request nobody takes (issue 14, left by the console's first
version): after the profile's `handover.wait_minutes` (here 3 seconds) the
console's sweep expires it and offers the client the call-back in their chat,
with the time it is promised by and a button that starts the call-back form;
the inbox no longer lists it. A request someone took is never expired, and
when the client's chat cannot be reached the request waits for the next sweep.
The client's own next request for a person does the same inside the assistant
(tests/channels/test_handover.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import yaml

from clinic_core.handover import HandoverDesk
from tests.console.harness import ROOT, Console, FakeRasa, start_console

WAIT_SECONDS = 3.0


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeRasa]:
    rasa = FakeRasa()
    yield rasa
    rasa.stop()


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory, fake: FakeRasa) -> Iterator[Console]:
    workdir = tmp_path_factory.mktemp("console_wait")
    data = yaml.safe_load((ROOT / "clinic" / "profile.yml").read_text())
    data.setdefault("handover", {})["wait_minutes"] = WAIT_SECONDS / 60
    profile = workdir / "profile.yml"
    profile.write_text(yaml.safe_dump(data, sort_keys=False))
    running = start_console(
        workdir, rasa_url=fake.url, rasa_token="t0ken", extra_env={"CLINIC_PROFILE": str(profile)}
    )
    yield running
    running.stop()


def test_a_request_nobody_takes_gets_the_call_back_offer_once(
    console: Console, fake: FakeRasa
) -> None:
    desk = HandoverDesk(console.store())
    opened = time.monotonic()
    request = desk.request("wait-chat-1", "socketio")
    rita = console.session("rita")
    assert f"Conversation #{request.id}" in rita.get("/inbox").text
    told = fake.wait_for(lambda: fake.lines_to("wait-chat-1"), timeout=WAIT_SECONDS + 15)
    waited = time.monotonic() - opened
    assert told, "the client was not offered a call-back"
    assert WAIT_SECONDS - 0.5 <= waited <= WAIT_SECONDS + 8, waited
    line = told[0]
    assert "nobody from the team could join" in line["text"] and "We'll call you by" in line["text"]
    assert "{" not in line["text"]
    assert [b["payload"] for b in line["data"]["buttons"]] == [
        '/human_handoff{"callback": "yes"}',
        "/deny",
    ]
    assert line["metadata"] == {"clinic": True}
    assert desk.get(request.id).status == "expired"
    assert all(h["id"] != request.id for h in rita.api("GET", "/api/handovers").json()["items"])
    time.sleep(3)  # later sweeps do not repeat it
    assert len(fake.lines_to("wait-chat-1")) == 1


def test_a_request_someone_took_is_never_expired(console: Console, fake: FakeRasa) -> None:
    desk = HandoverDesk(console.store())
    request = desk.request("wait-chat-2", "socketio")
    desk.take(request.id, "rita", "Rita")
    time.sleep(WAIT_SECONDS + 3)
    assert desk.get(request.id).status == "active"
    assert fake.lines_to("wait-chat-2") == []


def test_when_the_chat_cannot_be_reached_the_request_waits_for_the_next_sweep(
    console: Console, fake: FakeRasa
) -> None:
    desk = HandoverDesk(console.store())
    fake.down = True
    try:
        request = desk.request("wait-chat-3", "socketio")
        time.sleep(WAIT_SECONDS + 3)  # several sweeps, each failing to reach the chat
        # A sweep marks the request expired, fails to tell the client and puts
        # it back to waiting: read it between two sweeps, not inside one (a
        # busy machine made that window long enough to be seen).
        assert fake.wait_for(lambda: desk.get(request.id).status == "waiting", timeout=5)
        assert fake.lines_to("wait-chat-3") == []
    finally:
        fake.down = False
    assert fake.wait_for(lambda: fake.lines_to("wait-chat-3"), timeout=10)
    assert desk.get(request.id).status == "expired"
