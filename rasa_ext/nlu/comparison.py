"""A question naming two massage types and how they differ is a comparison.

"What's the difference between hot stone and a regular massage?" was read
as a question about hot stone (issue 10, round four, kind 5): the
classifier has few comparisons of the types the clinic does not offer, and
the type names carry no weight in its features. The entities already say
that two types are named, and a comparing word says how: when the
classifier read a question about one type or a comparison (or, unsure,
guessed one), clinic_core.massage_types.asks_to_compare decides, and the
intent becomes ``compare_massage_types`` (both types, one block each).
Outside forms only: a form reads its answers itself.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.core.constants import ACTION_TWO_STAGE_FALLBACK_NAME
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from clinic_core.massage_types import asks_to_compare
from rasa_ext.nlu.overrides import StatelessComponent, force_intent

COMPARE_INTENT = "compare_massage_types"
TYPE_READINGS = frozenset({"ask_massage_type", COMPARE_INTENT})


def in_a_form(tracker: DialogueStateTracker | None) -> bool:
    """Whether a form (any loop but the two-stage fallback) is active."""
    if tracker is None:
        return False
    return tracker.active_loop_name not in (None, ACTION_TWO_STAGE_FALLBACK_NAME)


RETRIEVAL_INTENT = "faq"


def reading_of(message: Message) -> tuple[str | None, bool]:
    """The classifier's reading ("faq/<topic>" or the intent) and whether the
    fallback declined it: a declined message's reading is its guess, the
    best intent after ``nlu_fallback`` in the ranking."""
    intent = (message.get(INTENT) or {}).get("name")
    declined = intent == DEFAULT_NLU_FALLBACK_INTENT_NAME
    if declined:
        ranking = message.get(INTENT_RANKING_KEY) or []
        intent = next(
            (r.get("name") for r in ranking if r.get("name") != DEFAULT_NLU_FALLBACK_INTENT_NAME),
            None,
        )
    if intent == RETRIEVAL_INTENT:
        selector = (message.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}
        key = (selector.get("response") or {}).get("intent_response_key")
        return key or intent, declined
    return intent, declined


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ComparisonOverride(StatelessComponent):
    """Makes a type question that names two types and compares them a comparison."""

    def process(
        self, messages: list[Message], tracker: DialogueStateTracker | None = None
    ) -> list[Message]:
        if in_a_form(tracker):
            return messages
        for message in messages:
            text = message.get(TEXT) or ""
            reading, _ = reading_of(message)
            if text.startswith("/") or reading not in TYPE_READINGS:
                continue
            types = [
                str(e.get("value"))
                for e in message.get(ENTITIES) or []
                if e.get("entity") == "massage_type"
            ]
            words = [w.strip("?.,!;:") for w in text.lower().split()]
            if asks_to_compare(words, types):
                force_intent(message, COMPARE_INTENT)
        return messages
