"""The action server goes away: the client gets an apology, not silence, and
an emergency still gets the emergency numbers (issue 12, item 1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.assistant import Assistant, new_sender, set_slots, start_assistant, texts

NUMBERS = ("112", "999", "911")
RED_FLAG = "I have crushing chest pain and my left arm is numb"
#: words the classifier was never trained on, caught by the rule-based reader (RedFlagOverride)
READER_RED_FLAG = "actually my chest feels tight and pain is going down my left arm"


def has_the_numbers(reply: str) -> bool:
    return all(number in reply for number in NUMBERS)


def test_action_server_down_gets_an_apology(tmp_path: Path) -> None:
    assistant = start_assistant(tmp_path / "outage")
    try:
        assert "automated assistant" in texts(assistant.send("outage-1", "hello"))
        actions = assistant.procs[0]
        actions.terminate()
        actions.wait(timeout=30)
        # FAQ answers come from the Rasa server itself: they keep working
        reply = texts(assistant.send("outage-1", "what is therapeutic massage?"))
        assert "Therapeutic massage is" in reply
        # anything that needs a custom action gets the apology, not silence
        reply = texts(assistant.send("outage-1", "what is deep tissue massage?"))
        assert "Sorry, something went wrong on our side" in reply
        assert assistant.alive()
    finally:
        assistant.stop()


@pytest.fixture(scope="module")
def without_actions(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Assistant, dict[str, str]]]:
    """An assistant whose action server is killed after conversations were
    brought into each flow: {flow: sender}."""
    assistant = start_assistant(Path(tmp_path_factory.mktemp("no-actions")))
    try:
        senders = {
            name: new_sender() for name in ("screening", "screening_yes", "booking", "callback")
        }
        for name in ("screening", "screening_yes"):
            assert "permission" in texts(
                assistant.send(senders[name], "can you check if a massage is ok for me?")
            )
            assert "chest pain" in texts(
                assistant.send(senders[name], "/affirm")
            )  # the red-flag question
        set_slots(
            assistant,
            senders["booking"],
            {
                "screening_outcome": "ok",
                "screening_reasons": [],
                "screening_consent": True,
                "screening_state": {"service": "body"},
            },
        )
        assert "How long" in texts(assistant.send(senders["booking"], "/book_appointment"))
        assert "What's your name?" in texts(
            assistant.send(senders["callback"], "can someone call me back")
        )
        actions = assistant.procs[0]
        actions.kill()
        actions.wait(timeout=30)
        yield assistant, senders
    finally:
        assistant.stop()


def _active_loop(assistant: Assistant, sender: str) -> object:
    return (assistant.tracker(sender).get("active_loop") or {}).get("name")


@pytest.mark.parametrize(
    "message", [RED_FLAG, READER_RED_FLAG, "I think I'm having a stroke, my face is drooping"]
)
def test_an_emergency_outside_any_flow_needs_only_the_rasa_server(
    without_actions: tuple[Assistant, dict[str, str]], message: str
) -> None:
    assistant, _ = without_actions
    reply = texts(assistant.send(new_sender(), message))
    assert has_the_numbers(reply) and "urgent medical help" in reply, reply


@pytest.mark.parametrize("flow", ["screening", "booking", "callback"])
def test_an_emergency_inside_a_form_needs_only_the_rasa_server(
    without_actions: tuple[Assistant, dict[str, str]], flow: str
) -> None:
    """The form's validation is a call to the dead action server: the
    emergency rules must run before it (rasa_ext/rasa_patches.py)."""
    assistant, senders = without_actions
    message = READER_RED_FLAG if flow == "screening" else RED_FLAG
    reply = texts(assistant.send(senders[flow], message))
    assert has_the_numbers(reply) and "urgent medical help" in reply, reply
    assert (
        "Sorry, something went wrong" not in reply
    )  # the emergency message itself, not the apology
    assert _active_loop(assistant, senders[flow]) is None  # the form is over


def test_a_yes_to_the_red_flag_question_gets_the_numbers_in_the_apology(
    without_actions: tuple[Assistant, dict[str, str]],
) -> None:
    """Only the form (the action server) knows that this "yes" is a red
    flag: the apology carries the numbers."""
    assistant, senders = without_actions
    reply = texts(assistant.send(senders["screening_yes"], "/affirm"))
    assert "Sorry, something went wrong" in reply and has_the_numbers(reply), reply
    assert assistant.alive()
