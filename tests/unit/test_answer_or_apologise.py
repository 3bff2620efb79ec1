"""Every channel's turn: an answer, or the apology, never silence."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from channels.common import answer_or_apologise
from channels.rest import APOLOGY


def _turn(behaviour: Any) -> tuple[bool, list[str]]:
    output = CollectingOutputChannel()
    message = UserMessage("hello", output, "client-1", input_channel="test")

    async def on_new_message(msg: UserMessage) -> None:
        await behaviour(msg)

    ok = asyncio.run(answer_or_apologise(on_new_message, message))
    return ok, [m.get("text") for m in output.messages]


def test_an_answered_turn_is_left_alone() -> None:
    async def answers(msg: UserMessage) -> None:
        await msg.output_channel.send_response(msg.sender_id, {"text": "Hi!"})

    assert _turn(answers) == (True, ["Hi!"])


def test_a_silent_turn_gets_the_apology() -> None:
    async def silent(msg: UserMessage) -> None:  # a custom action failed: Rasa only logs it
        return None

    assert _turn(silent) == (False, [APOLOGY])


def test_a_failing_turn_gets_the_apology() -> None:
    async def fails(msg: UserMessage) -> None:
        raise ConnectionError("tracker store away")

    assert _turn(fails) == (False, [APOLOGY])


def test_an_unreachable_channel_does_not_raise() -> None:
    class Broken(CollectingOutputChannel):
        async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
            raise OSError("network down")

    async def silent(msg: UserMessage) -> None:
        return None

    message = UserMessage("hello", Broken(), "client-1", input_channel="test")
    assert asyncio.run(answer_or_apologise(lambda m: silent(m), message)) is False


def test_every_channel_turn_carries_at_most_the_metadata_cap() -> None:
    """answer_or_apologise is every channel's door into Rasa: whatever
    metadata a channel took from its client, Rasa gets at most the cap."""
    from channels.common import MAX_METADATA_CHARS

    seen: list[Any] = []

    async def records(msg: UserMessage) -> None:
        seen.append(msg.metadata)
        await msg.output_channel.send_response(msg.sender_id, {"text": "Hi!"})

    for sent, expected in (
        ({"page": "/prices"}, {"page": "/prices"}),
        ('{"page": "/prices"}', {"page": "/prices"}),  # the widget may send it as JSON text
        ({"pad": "x" * (MAX_METADATA_CHARS + 1)}, {}),
        ('{"pad": "' + "x" * 1_000_000 + '"}', {}),
        ("not json", {}),
        (["a", "list"], {}),
        (None, {}),
    ):
        message = UserMessage(
            "hello", CollectingOutputChannel(), "client-1", input_channel="test", metadata=sent
        )
        assert asyncio.run(answer_or_apologise(records, message)) is True
        assert seen[-1] == expected, sent if len(str(sent)) < 100 else "big"
