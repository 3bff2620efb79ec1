"""A booking reference typed at the step that asks for it is that step's answer.

A reference is six random letters and digits ("9L7W9M"), nothing a text
classifier has words for: some read as `bot_challenge` at 0.42, and the
rule for a bot challenge in the middle of cancelling or moving answered
"I'm an automated assistant ..." and asked for the reference again, so a
client with the right reference could not get past the first step (found by
tests/http/test_booking.py, whose references are random). When the
cancel-or-move form is asking for the reference and the message reads as
one (clinic_core.text_readers.reference_from_text, the form's own reader),
an interrupting reading becomes `inform_booking` and the form reads it. An
emergency is decided after this (RedFlagOverride), whatever this says.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import REQUESTED_SLOT
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from clinic_core.text_readers import reference_from_text
from rasa_ext.nlu.overrides import StatelessComponent, force_intent

ANSWER_INTENT = "inform_booking"
#: the form and its step as actions/constants.py names them (rasa_ext does
#: not import the action server's package; tests/unit/test_reference_answer.py
#: checks the two agree)
FORM = "manage_booking_form"
STEP = "manage_reference"
#: readings that would take the message away from the form (domain.yml's
#: rules for the cancel-or-move form, and the fallback)
INTERRUPTING = frozenset(
    {"bot_challenge", "ask_my_data", "erase_my_data", "human_handoff", "nlu_fallback"}
)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ReferenceAnswerOverride(StatelessComponent):
    """Makes a reference typed at the reference step `inform_booking` (module doc)."""

    def process(
        self, messages: list[Message], tracker: DialogueStateTracker | None = None
    ) -> list[Message]:
        if not asks_for_reference(tracker):
            return messages
        for message in messages:
            text = message.get(TEXT) or ""
            intent = (message.get(INTENT) or {}).get("name")
            if text.startswith("/") or intent not in INTERRUPTING:
                continue
            if reference_from_text(text) is not None:
                force_intent(message, ANSWER_INTENT)
        return messages


def asks_for_reference(tracker: DialogueStateTracker | None) -> bool:
    """Whether the cancel-or-move form is waiting for the booking reference."""
    return (
        tracker is not None
        and tracker.active_loop_name == FORM
        and tracker.get_slot(REQUESTED_SLOT) == STEP
    )
