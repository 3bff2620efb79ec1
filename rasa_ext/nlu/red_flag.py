"""Deterministic safety net after the intent classifier.

A classifier trained on a few dozen examples will miss some ways of saying
"my chest hurts and my arm is numb". The rule-based reader (the same one the
pre-screen uses) does not depend on training data, so when it finds red-flag
symptoms that the client did not deny, the message is an emergency whatever
DIET thought. Messages with no words at all (emoji only, punctuation, empty)
become `nlu_fallback`, so the client is asked to rephrase rather than
answered at random.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from clinic_core.screening.triage import is_emergency_text
from clinic_core.text import has_words
from rasa_ext.nlu.overrides import StatelessComponent, force_intent

EMERGENCY_INTENT = "emergency"
FALLBACK_INTENT = "nlu_fallback"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
    is_trainable=False,
    model_from="SpacyNLP",
)
class RedFlagOverride(StatelessComponent):
    """Overrides the intent with `emergency` when red flags are described."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [SpacyNLP]

    def process(self, messages: list[Message], model: SpacyModel) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/"):
                continue
            if not has_words(text):
                force_intent(message, FALLBACK_INTENT)
            elif is_emergency_text(model.model, text):
                force_intent(message, EMERGENCY_INTENT)
        return messages
