"""The widget's channel carries the name of the person from the clinic who
wrote a line (issue 14: staff messages no longer look like the assistant's):
live, through the output channel Rasa's HTTP API sends the console's lines
with, and in the history a reloaded page shows. The browser test
(tests/browser/test_console.py) checks the widget shows it above the bubble."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa.shared.core.events import BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from channels.website import ClinicSocketIOInput, ClinicSocketIOOutput, history_messages, staff_name
from staff_console.rasa_api import bot_event


class FakeSio:
    def __init__(self) -> None:
        self.emitted: list[tuple[str, Any, Any]] = []

    async def emit(self, event: str, data: Any = None, room: Any = None, **_: Any) -> None:
        self.emitted.append((event, data, room))


def send(message: dict[str, Any]) -> list[dict[str, Any]]:
    """What the widget receives for one bot message, as Rasa's processor sends it
    (BotUttered.message(): the event's metadata merged into the message)."""
    sio = FakeSio()
    output = ClinicSocketIOOutput(sio, "bot_uttered")
    asyncio.run(output.send_response("room-1", message))
    assert all(event == "bot_uttered" and room == "room-1" for event, _, room in sio.emitted)
    return [data for _, data, _ in sio.emitted]


def as_rasa_sends(event: dict[str, Any]) -> dict[str, Any]:
    bot = BotUttered(event["text"], event["data"], event["metadata"])
    return bot.message()


def test_a_staff_line_reaches_the_widget_with_the_first_name() -> None:
    line = as_rasa_sends(bot_event({"text": "Hello, this is Rita.\n\nHow can I help?"}, "Rita"))
    assert send(line) == [
        {"text": "Hello, this is Rita.", "staff": "Rita"},
        {"text": "How can I help?", "staff": "Rita"},
    ]


def test_a_staff_line_with_buttons_keeps_them_and_the_name() -> None:
    line = as_rasa_sends(
        bot_event(
            {"text": "Shall I call you?", "buttons": [{"title": "Yes", "payload": "/affirm"}]},
            "Rita",
        )
    )
    sent = send(line)
    assert sent == [
        {
            "text": "Shall I call you?",
            "staff": "Rita",
            "quick_replies": [{"content_type": "text", "title": "Yes", "payload": "/affirm"}],
        }
    ]


def test_the_assistants_and_the_clinics_own_lines_carry_no_name() -> None:
    assert send({"text": "Hi there"}) == [{"text": "Hi there"}]
    clinic = as_rasa_sends(bot_event({"text": "Good news: confirmed."}, None))
    assert send(clinic) == [{"text": "Good news: confirmed."}]


def test_a_name_is_plain_short_text_or_nothing() -> None:
    assert staff_name({"staff": "  Rita  "}) == "Rita"
    assert staff_name({"staff": "R" * 100}) == "R" * 40
    assert staff_name({"staff": {"html": "<b>x</b>"}}) is None and staff_name({"staff": ""}) is None
    assert staff_name(None) is None


def test_the_history_keeps_who_wrote_each_line() -> None:
    tracker = DialogueStateTracker.from_events(
        "s",
        [
            SessionStarted(),
            UserUttered("can I talk to a person?"),
            BotUttered("I've asked the team to join this chat."),
            BotUttered("Hello, this is Rita.", metadata={"staff": "Rita"}),
        ],
    )
    assert history_messages(tracker)[-2:] == [
        {"sender": "bot", "text": "I've asked the team to join this chat."},
        {"sender": "bot", "text": "Hello, this is Rita.", "staff": "Rita"},
    ]


def test_rasas_api_sends_the_consoles_lines_through_this_output() -> None:
    channel = ClinicSocketIOInput.from_credentials({})
    channel.sio = FakeSio()
    assert isinstance(channel.get_output_channel(), ClinicSocketIOOutput)
