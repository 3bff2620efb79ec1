"""Live hand-over on each messaging channel (issue 14): what the staff
console does through Rasa's HTTP API reaches the client on the channel they
wrote from, the assistant stays silent while a person has the conversation
(no reply, and no apology), an emergency is still answered, and handing
back makes the assistant answer again.

The console's own client (staff_console.rasa_api.RasaApi) talks to the
running assistant exactly as in production: POST
/conversations/{id}/tracker/events?output_channel=latest&execute_side_effects=true.
The socket.io widget is covered end to end in tests/browser/test_console.py.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable
from typing import Any

import pytest

from channels.rest import APOLOGY
from clinic_core import responses
from clinic_core.profile import load_profile
from staff_console.rasa_api import RasaApi
from tests.channels import test_messenger as messenger
from tests.channels import test_telegram as telegram
from tests.channels import test_twilio as twilio
from tests.channels.harness import Call, Edge, messenger_signature

PROFILE = load_profile()
EMERGENCY = "I have crushing chest pain and can't breathe"


def run(edge: Edge, action: str, sender: str, line: dict[str, Any], name: str = "Rita") -> None:
    async def go() -> None:
        api = RasaApi(edge.url, edge.assistant.token)
        try:
            await getattr(api, action)(sender, line, name)
        finally:
            await api.close()

    asyncio.run(go())


def texts_of(calls: list[Call]) -> list[str]:
    found = []
    for c in calls:
        if "sendMessage" in c.path:
            found.append(c.form.get("text", ""))
        elif "Messages.json" in c.path:
            found.append(c.form.get("Body", ""))
        elif c.path.endswith("/me/messages") and "message" in (c.json or {}):
            found.append(c.json["message"].get("text", ""))
    return found


class Channel:
    def __init__(
        self, name: str, sender: str, send: Callable[[str], None], sent_to: Callable[[Call], bool]
    ) -> None:
        self.name, self.sender, self.send, self.sent_to = name, sender, send, sent_to


def telegram_channel(edge: Edge) -> Channel:
    chat = random.randrange(10**9, 10**10)

    def send(text: str) -> None:
        body = telegram.update("telegram_text.json", chat)
        body["message"]["text"] = text
        assert telegram.post(edge, body) == 200

    return Channel("telegram", str(chat), send, telegram.sent_to(chat))


def whatsapp_channel(edge: Edge) -> Channel:
    phone = twilio.new_phone()

    def send(text: str) -> None:
        fields = twilio.form("twilio_whatsapp_text.json", phone)
        fields["Body"] = text
        fields["MessageSid"] = f"SM{random.getrandbits(128):032x}"
        assert twilio.signed(edge, fields)[0] == 200

    return Channel("twilio", f"whatsapp:{phone}", send, twilio.sends_to(phone))


def messenger_channel(edge: Edge) -> Channel:
    psid = str(random.randrange(10**15, 10**16))

    def send(text: str) -> None:
        body = json.loads(messenger.event("messenger_text.json", psid))
        for entry in body["entry"]:
            for item in entry["messaging"]:
                item["message"]["text"] = text
                item["message"]["mid"] = f"m_{random.getrandbits(128):032x}"
        raw = json.dumps(body).encode()
        assert messenger.post(edge, raw, messenger_signature(raw)) == 200

    return Channel("facebook", psid, send, messenger.to(psid))


@pytest.mark.parametrize(
    "make",
    [telegram_channel, whatsapp_channel, messenger_channel],
    ids=["telegram", "whatsapp", "messenger"],
)
def test_a_person_takes_over_talks_and_hands_back(
    edge: Edge, make: Callable[[Edge], Channel]
) -> None:
    ch = make(edge)
    fake = edge.fake

    def sent() -> list[str]:
        return texts_of(fake.take(ch.sent_to))

    ch.send("what is therapeutic massage?")
    assert fake.wait_for(ch.sent_to), f"{ch.name}: the assistant did not answer first"
    before = len(sent())

    taken = responses.render("utter_handover_taken", PROFILE, staff_name="Rita")
    run(edge, "take_over", ch.sender, taken)
    fake.wait_for(ch.sent_to, count=before + 1, timeout=20)
    assert any("You're now chatting with Rita" in t for t in sent()[before:]), (
        f"{ch.name}: {sent()[before:]}"
    )

    # the client writes while paused: no answer from the assistant, no apology
    count = len(sent())
    ch.send("hello, is anyone there?")
    time.sleep(3)
    assert len(sent()) == count, f"{ch.name}: the paused assistant answered: {sent()[count:]}"
    assert not any(APOLOGY[:40] in t for t in sent())

    run(edge, "say", ch.sender, {"text": "Hi, this is Rita from the clinic. How can I help?"})
    fake.wait_for(ch.sent_to, count=count + 1, timeout=20)
    assert sent()[-1].startswith("Hi, this is Rita from the clinic"), f"{ch.name}: {sent()[-1:]}"

    # a red flag is answered at once even while a person has the conversation
    count = len(sent())
    ch.send(EMERGENCY)
    fake.wait_for(ch.sent_to, count=count + 1, timeout=30)
    assert any("999" in t for t in sent()[count:]), (
        f"{ch.name}: no emergency message: {sent()[count:]}"
    )

    count = len(sent())
    run(
        edge,
        "hand_back",
        ch.sender,
        responses.render("utter_handover_returned", PROFILE, staff_name="Rita"),
    )
    fake.wait_for(ch.sent_to, count=count + 1, timeout=20)
    assert "handed you back" in sent()[-1]
    count = len(sent())
    ch.send("what is therapeutic massage?")
    fake.wait_for(ch.sent_to, count=count + 1, timeout=30)
    assert any("soft tissues" in t for t in sent()[count:]), (
        f"{ch.name}: not answered after hand-back"
    )


def test_rest_turn_while_paused_gets_no_apology(edge: Edge) -> None:
    sender = f"handover-rest-{random.getrandbits(32):08x}"
    edge.assistant.send(sender, "hi")
    run(
        edge,
        "take_over",
        sender,
        responses.render("utter_handover_taken", PROFILE, staff_name="Rita"),
    )
    assert edge.assistant.send(sender, "hello?") == []
    assert edge.assistant.tracker(sender)["paused"] is True
    run(
        edge,
        "hand_back",
        sender,
        responses.render("utter_handover_returned", PROFILE, staff_name="Rita"),
    )
    assert edge.assistant.send(sender, "what is therapeutic massage?")


def test_a_booking_moved_and_cancelled_by_the_clinic_is_told_in_the_clients_chat(
    edge: Edge,
) -> None:
    """The console's move and cancel reach a Telegram client in their chat (the same
    append-events path as the hand-over), in the domain's wording."""
    import datetime as dt
    import secrets

    from clinic_core.availability import Slot
    from clinic_core.booking_store import BookingStore
    from clinic_core.staff import StaffDirectory
    from staff_console.config import Settings
    from staff_console.service import Console

    ch = telegram_channel(edge)
    ch.send("what is therapeutic massage?")
    assert edge.fake.wait_for(ch.sent_to)
    db_url = f"sqlite:///{edge.assistant.workdir / 'clinic.db'}"
    profile = load_profile(edge.assistant.profile_path)
    day = dt.datetime.now(profile.tz).date() + dt.timedelta(days=3)
    while day.weekday() != 1 or profile.hours_on(day) is None:  # a Tuesday the clinic is open
        day += dt.timedelta(days=1)
    start = dt.datetime.combine(day, dt.time(16), tzinfo=profile.tz)
    store = BookingStore(db_url, profile=profile)
    booking = store.book(
        Slot(start, start + dt.timedelta(minutes=60), "tom", "body_massage", 60),
        name="Tele Gram",
        phone="07911 123999",
        sender_id=ch.sender,
        screening_outcome="ok",
    )
    member = StaffDirectory(store).create_user(
        "rec" + secrets.token_hex(3), "Rita", "reception", "a long enough password"
    )
    console = Console(
        Settings(
            secret_key="k" * 40,
            rasa_url=edge.url,
            rasa_token=edge.assistant.token,
            db_url=db_url,
            profile_path=str(edge.assistant.profile_path),
        ),
        store=store,
    )

    async def change() -> tuple[Any, Any]:
        try:
            moved = await console.move_booking(
                member,
                booking.reference,
                {"date": day.isoformat(), "time": "17:00", "therapist_id": "tom"},
            )
            cancelled = await console.cancel_booking(member, booking.reference)
            return moved, cancelled
        finally:
            await console.rasa.close()

    count = len(texts_of(edge.fake.take(ch.sent_to)))
    moved, cancelled = asyncio.run(change())
    assert moved.warning is None and cancelled.warning is None
    edge.fake.wait_for(ch.sent_to, count=count + 2, timeout=20)
    told = texts_of(edge.fake.take(ch.sent_to))[count:]
    assert any(f"moved your appointment {booking.reference}" in t and "5pm" in t for t in told), (
        told
    )
    assert any(f"cancelled your appointment {booking.reference}" in t for t in told), told
    store.close()


@pytest.fixture
def short_wait(edge: Edge) -> Any:
    """The clinic open around the clock, live chat on, a 3-second wait for a
    person, and someone signed in to the console: restored afterwards."""
    import secrets

    import yaml

    from clinic_core.booking_store import BookingStore
    from clinic_core.staff import StaffDirectory

    path = edge.assistant.profile_path
    original = path.read_text()
    data = yaml.safe_load(original)
    data["opening_hours"] = {day: ["00:00", "23:59"] for day in data["opening_hours"]}
    data["holidays"] = []
    data["handover"] = {**(data.get("handover") or {}), "live_chat": True, "wait_minutes": 0.05}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    store = BookingStore(
        f"sqlite:///{edge.assistant.workdir / 'clinic.db'}", profile=load_profile(path)
    )
    staff = StaffDirectory(store)
    username = "wait" + secrets.token_hex(3)
    staff.create_user(username, "Rita Waits", "reception", "a long enough password")
    _, signed_in = staff.login(username, "a long enough password")
    try:
        yield 3.0
    finally:
        staff.logout(signed_in.session_id)
        store.close()
        path.write_text(original)


def test_nobody_took_the_chat_so_the_next_request_offers_a_call_back(
    edge: Edge, short_wait: float
) -> None:
    """The client's next "talk to a person" after the profile's wait, with nobody
    having taken the first request: the call-back offer with its promised time
    (the same line the console's sweep sends), and its button starts the
    call-back form at once (a payload with the `callback` entity)."""
    sender = f"handover-wait-{random.getrandbits(32):08x}"
    first = edge.assistant.send(sender, "can I talk to a person please?")
    assert "asked the team" in " ".join(m.get("text", "") for m in first), first
    time.sleep(short_wait + 1)
    second = edge.assistant.send(sender, "can I talk to a person please?")
    said = " ".join(m.get("text", "") for m in second)
    assert "nobody from the team could join" in said and "We'll call you by" in said, second
    payloads = [b["payload"] for m in second for b in m.get("buttons") or []]
    assert '/human_handoff{"callback": "yes"}' in payloads, payloads
    started = edge.assistant.send(sender, '/human_handoff{"callback": "yes"}')
    assert "call you back" in " ".join(m.get("text", "") for m in started), started
    assert (edge.assistant.tracker(sender).get("active_loop") or {}).get("name") == "callback_form"
