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

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from clinic_core.screening.triage import is_emergency_text
from clinic_core.text import has_words

EMERGENCY_INTENT = "emergency"
FALLBACK_INTENT = "nlu_fallback"


def force_intent(message: Message, name: str) -> None:
    """Makes `name` the message's intent at full confidence, first in the ranking
    (the overrides here and in booking_wish.py share it)."""
    ranking = [r for r in message.get(INTENT_RANKING_KEY, []) if r.get("name") != name]
    top = {"name": name, "confidence": 1.0}
    message.set(INTENT, top, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [top] + ranking, add_to_output=True)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
    is_trainable=False,
    model_from="SpacyNLP",
)
class RedFlagOverride(GraphComponent):
    """Overrides the intent with `emergency` when red flags are described."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [SpacyNLP]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RedFlagOverride:
        return cls()

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
