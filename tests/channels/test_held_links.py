"""The "held" booking message's phone and e-mail as links (issue 11, item 8).

A booking by a client an earlier pre-screen binds is stored held for a
therapist's review (issue 12) and the client is told so, with the clinic's
phone and e-mail. On the widget they are tel:/mailto: links in the light
markdown it renders; on Telegram, WhatsApp and Messenger, which show plain
text, the number and the address themselves, which those apps make tappable
(never the raw markdown, never "(tel:...)" clutter). Each conversation is
driven through its channel's own door (socket.io, recorded provider
payloads), from an ok pre-screen set through Rasa's HTTP API and a
clearance stored for the same conversation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from clinic_core.booking_store import BookingStore
from clinic_core.profile import load_profile
from tests.assistant import set_slots
from tests.channels.harness import Edge
from tests.channels.test_handover import (
    Channel,
    messenger_channel,
    telegram_channel,
    texts_of,
    whatsapp_channel,
)

#: what the client types, from "book me in" to the confirmation
BOOKING = (
    "I'd like to book a massage",
    "60 minutes",
    "as soon as possible",
    "the first one",
    "Pat Lee",
    "07911 100321",
    "yes",
)
PHONE_SHOWN, PHONE_LINK = "+44 20 7946 0321", "tel:+442079460321"
EMAIL = "hello@harmony-massage.example"


def bound_and_screened_ok(edge: Edge, sender: str) -> None:
    """An earlier clearance for this conversation (it binds), then an ok
    pre-screen: the next booking is held."""
    store = BookingStore(
        f"sqlite:///{edge.assistant.workdir / 'clinic.db'}",
        profile=load_profile(edge.assistant.profile_path),
    )
    try:
        store.save_screening(sender, "clearance", ["recent_surgery"])
    finally:
        store.close()
    set_slots(
        edge.assistant,
        sender,
        {
            "screening_outcome": "ok",
            "screening_reasons": [],
            "screening_state": {"service": "body"},
        },
    )


@pytest.mark.parametrize(
    "make",
    [telegram_channel, whatsapp_channel, messenger_channel],
    ids=["telegram", "whatsapp", "messenger"],
)
def test_the_held_message_shows_the_phone_and_email_on_messaging_apps(
    edge: Edge, make: Callable[[Edge], Channel]
) -> None:
    ch = make(edge)
    bound_and_screened_ok(edge, ch.sender)
    told: list[str] = []
    for text in BOOKING:
        before = len(texts_of(edge.fake.take(ch.sent_to)))
        ch.send(text)
        assert edge.fake.wait_for(ch.sent_to, count=before + 1, timeout=60), (ch.name, text)
        told = texts_of(edge.fake.take(ch.sent_to))[before:]
    held = "\n".join(told)
    assert "NOT confirmed" in held, (ch.name, told)
    assert PHONE_SHOWN in held and EMAIL in held, (ch.name, held)
    assert "](" not in held and "tel:" not in held and "mailto:" not in held, (ch.name, held)


async def _widget_booking(edge: Edge, before: Callable[[str], None]) -> list[dict[str, Any]]:
    """The widget's way (socket.io, as widget/clinic-chat.js talks): the
    last turn's `bot_uttered` payloads."""
    import socketio

    answers: asyncio.Queue = asyncio.Queue()
    client = socketio.AsyncClient(reconnection=False)
    client.on("bot_uttered", lambda data: answers.put_nowait(data))
    session: asyncio.Future = asyncio.get_running_loop().create_future()
    client.on("session_confirm", lambda sid: session.done() or session.set_result(sid))
    await client.connect(
        edge.url, transports=["polling"], headers={"Origin": edge.url}, socketio_path="/socket.io"
    )
    try:
        await client.emit("session_request", {"session_id": None})
        session_id = await asyncio.wait_for(session, 30)
        before(session_id)
        last: list[dict[str, Any]] = []
        for text in BOOKING:
            while not answers.empty():
                answers.get_nowait()
            await client.emit("user_uttered", {"message": text, "session_id": session_id})
            last = [await asyncio.wait_for(answers.get(), 60)]
            await asyncio.sleep(1.0)  # the turn's other messages
            while not answers.empty():
                last.append(answers.get_nowait())
        return last
    finally:
        await client.disconnect()


def test_the_held_message_links_the_phone_and_email_on_the_widget(edge: Edge) -> None:
    payloads = asyncio.run(_widget_booking(edge, lambda sid: bound_and_screened_ok(edge, sid)))
    held = "\n".join(p.get("text") or "" for p in payloads)
    assert "NOT confirmed" in held, payloads
    assert f"[{PHONE_SHOWN}]({PHONE_LINK})" in held, held
    assert f"[{EMAIL}](mailto:{EMAIL})" in held, held
