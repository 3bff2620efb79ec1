"""Last in this folder (pytest runs files in name order): nothing a client
wrote reaches the logs of either server (issue 12, item 7)."""

from __future__ import annotations

import asyncio
import json
import random
import urllib.parse
from typing import Any

from tests.channels.harness import Edge, messenger_signature, twilio_signature

NAME = "Philippa Quartermaine"
PHONE = "07923 118451"
HEALTH = "warfarin for my sciatica"
#: what must not appear in any log, in any spelling the assistant could write it
SECRETS = ("Quartermaine", "Philippa", "118451", "118 451", "warfarin", "sciatica")
SAID = f"I'm {NAME}, {PHONE}, I take {HEALTH}"
#: every shape a client's words can take (REST, the widget, button presses)
SHAPES = (
    SAID,  # plain
    f"/{SAID}",  # "/..." not an intent
    f"/inform_booking {SAID}",  # an intent, then text
    f"/inform_booking@7 {SAID}",  # a bad confidence
    f'/inform_booking{{"booking_choice": {NAME} {PHONE}}}',  # a payload, broken JSON
    f'/inform_booking{{"{NAME} {HEALTH}": "x"}}',  # an unknown entity
    f'/inform_booking{{"booking_choice": "{SAID}"}}',  # a button payload
    f'/ask_massage_type{{"massage_type": "{SAID}"}}',  # a categorical slot value
    f"/{{{SAID}}}",  # no intent at all
    f"/faq/{NAME}@0.5{{}} {HEALTH}",  # a sub-intent Rasa rejects
)
METADATA = {"note": SAID, "page": f"/book?name={NAME}&phone={PHONE}"}


def _rest(edge: Edge, text: str, metadata: Any = None) -> None:
    body: dict[str, Any] = {"sender": f"logs-{random.randrange(10**9)}", "message": text}
    if metadata is not None:
        body["metadata"] = metadata
    status, _ = edge.post(
        "/webhooks/rest/webhook", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    assert status == 200


async def _widget(edge: Edge, texts: list[str]) -> int:
    """The website widget's way: socket.io, a session, then messages with metadata."""
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
        await asyncio.wait_for(session, 30)
        answered = 0
        for text in texts:
            await client.emit("user_uttered", {"message": text, "metadata": METADATA})
            await asyncio.wait_for(answers.get(), 60)
            answered += 1
        await client.emit(
            "user_uttered", {"message": SAID, "metadata": {"pad": SAID * 200}}
        )  # over the cap
        await asyncio.wait_for(answers.get(), 60)
        return answered + 1
    finally:
        await client.disconnect()


def _telegram(edge: Edge, text: str, button: bool) -> None:
    from tests.channels.harness import TELEGRAM_SECRET

    chat = random.randrange(10**9, 10**10)
    message = {
        "message_id": 1,
        "date": 1763805600,
        "chat": {"id": chat, "type": "private", "first_name": "Philippa"},
        "from": {"id": chat, "is_bot": False, "first_name": "Philippa"},
    }
    update: dict[str, Any] = {"update_id": random.randrange(10**8, 10**9)}
    if button:
        update["callback_query"] = {
            "id": str(random.randrange(10**18)),
            "chat_instance": "1",
            "data": text,
            "from": message["from"],
            "message": {**message, "text": "Pick one"},
        }
    else:
        update["message"] = {**message, "text": text}
    status, _ = edge.post(
        "/webhooks/telegram/webhook",
        json.dumps(update).encode(),
        {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
    )
    assert status == 200


def _whatsapp(edge: Edge, text: str) -> None:
    phone = "+4479231" + str(random.randrange(10**4, 10**5))
    fields = {
        "From": f"whatsapp:{phone}",
        "WaId": phone.lstrip("+"),
        "To": "whatsapp:+14155238886",
        "Body": text,
        "ProfileName": NAME,
        "NumMedia": "0",
        "MessageSid": "SM" + "2" * 32,
    }
    url = edge.url + "/webhooks/twilio/webhook"
    status, _ = edge.post(
        "/webhooks/twilio/webhook",
        urllib.parse.urlencode(fields).encode(),
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": twilio_signature(url, fields),
        },
    )
    assert status == 200


def _messenger(edge: Edge, text: str, postback: bool) -> None:
    psid = str(random.randrange(10**15, 10**16))
    item: dict[str, Any] = {
        "sender": {"id": psid},
        "recipient": {"id": "1122334455667788"},
        "timestamp": 1,
    }
    if postback:
        item["postback"] = {"mid": "m_pb", "title": NAME, "payload": text}
    else:
        item["message"] = {"mid": f"m_{random.randrange(10**9)}", "text": text}
    body = json.dumps(
        {"object": "page", "entry": [{"id": "1122334455667788", "time": 1, "messaging": [item]}]}
    ).encode()
    status, _ = edge.post(
        "/webhooks/facebook/webhook",
        body,
        {"Content-Type": "application/json", "X-Hub-Signature-256": messenger_signature(body)},
    )
    assert status == 200


def test_no_client_words_in_any_log_whatever_their_shape_or_channel(edge: Edge) -> None:
    """A name, a phone number and health words, in every shape a client can
    send them (plain, "/..." payload-like, button payloads, metadata), through
    REST, the widget's socket.io, Telegram, WhatsApp and Messenger: none of
    it in the Rasa server's or the action server's log."""
    for text in SHAPES:
        _rest(edge, text)
    _rest(edge, "hello", METADATA)
    _rest(edge, "hello", json.dumps(METADATA))
    _rest(edge, "hello", {"pad": SAID * 200})  # over the cap: dropped, and not logged
    assert asyncio.run(_widget(edge, list(SHAPES[:3]))) == 4
    for text in (SAID, f"/{SAID}", SHAPES[6]):
        _telegram(edge, text, button=False)
        _telegram(edge, text, button=True)
        _whatsapp(edge, text)
        _messenger(edge, text, postback=False)
        _messenger(edge, text, postback=True)
    # every channel answered (the fake provider API got a reply for each)
    assert edge.fake.wait_for(lambda c: c.path.endswith("/sendMessage"), count=6, timeout=60)
    assert edge.fake.wait_for(lambda c: c.path.endswith("/Messages.json"), count=3, timeout=60)
    assert edge.fake.wait_for(lambda c: c.path.endswith("/me/messages"), count=6, timeout=60)

    workdir = edge.assistant.workdir
    logs = {
        name: (workdir / name).read_text(errors="replace") for name in ("rasa.log", "actions.log")
    }
    assert "Failed to parse arguments" in logs["rasa.log"], (
        "the payload shapes did not reach Rasa's parser"
    )
    leaks = {
        name: [line[:300] for line in text.splitlines() if any(s in line for s in SECRETS)]
        for name, text in logs.items()
    }
    assert leaks == {"rasa.log": [], "actions.log": []}


def test_logs_are_json_without_message_text_or_numbers(edge: Edge) -> None:
    """Runs after the channel tests in this session (file order): what they
    sent must not be in the assistant's logs."""
    log = (edge.assistant.workdir / "rasa.log").read_text(errors="replace")
    lines = [line for line in log.splitlines() if line.startswith("{")]
    assert lines, "no JSON log lines"
    assert any(json.loads(line).get("logger") == "clinic.access" for line in lines)
    for secret in (
        "therapeutic massage?",
        "447700",
        "6543210987654321",
        "send this to everyone",
        "Traceback",
        '"locals"',
        "screening_reasons",
    ):
        assert secret not in log, secret
