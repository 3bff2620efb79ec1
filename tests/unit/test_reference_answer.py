"""A booking reference typed at the reference step is the step's answer,
whatever the classifier made of six random characters (the module doc of
rasa_ext/nlu/form_answers.py: "9L7W9M" read as a bot challenge)."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import ActiveLoop, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

from actions.constants import FORM_MANAGE, SLOT_M_REFERENCE
from rasa_ext.nlu import form_answers
from rasa_ext.nlu.form_answers import ReferenceAnswerOverride

OVERRIDE = ReferenceAnswerOverride()


def _tracker(loop: str | None, step: str | None) -> DialogueStateTracker:
    events = ([ActiveLoop(loop)] if loop else []) + (
        [SlotSet("requested_slot", step)] if step else []
    )
    return DialogueStateTracker.from_events("t", events)


def _read(text: str, intent: str, tracker: DialogueStateTracker | None) -> str:
    ranking = [{"name": intent, "confidence": 0.42}]
    message = Message(data={"text": text, "intent": ranking[0], "intent_ranking": ranking})
    OVERRIDE.process([message], tracker=tracker)
    return message.get("intent")["name"]


AT_THE_STEP = (FORM_MANAGE, SLOT_M_REFERENCE)


def test_the_form_and_step_are_the_action_servers_names() -> None:
    """rasa_ext names them itself (it does not import actions); a rename
    in actions/constants.py must not leave the override watching nothing."""
    assert (form_answers.FORM, form_answers.STEP) == AT_THE_STEP


@pytest.mark.parametrize("text", ["9L7W9M", "9l7w9m", "it's k7m-2qx"])
@pytest.mark.parametrize("intent", ["bot_challenge", "nlu_fallback", "erase_my_data"])
def test_a_reference_at_the_reference_step_is_the_answer(text: str, intent: str) -> None:
    assert _read(text, intent, _tracker(*AT_THE_STEP)) == "inform_booking"


@pytest.mark.parametrize(
    ("text", "intent", "where"),
    [
        ("are you a bot?", "bot_challenge", AT_THE_STEP),  # no reference: a real question
        ("9L7W9M", "bot_challenge", ("manage_booking_form", "manage_contact")),
        ("9L7W9M", "bot_challenge", ("booking_form", "booking_name")),
        ("9L7W9M", "bot_challenge", (None, None)),
        ("9L7W9M", "emergency", AT_THE_STEP),  # never taken away from the safety net
    ],
)
def test_elsewhere_the_reading_stands(
    text: str, intent: str, where: tuple[str | None, str | None]
) -> None:
    assert _read(text, intent, _tracker(*where)) == intent


def test_without_a_conversation_nothing_changes() -> None:
    assert _read("9L7W9M", "bot_challenge", None) == "bot_challenge"
