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
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from clinic_core.massage_types import asks_to_compare
from rasa_ext.nlu.overrides import StatelessComponent, force_intent, in_a_form

COMPARE_INTENT = "compare_massage_types"
TYPE_INTENT = "ask_massage_type"
TYPE_READINGS = frozenset({TYPE_INTENT, COMPARE_INTENT})
#: The slot that keeps the type last talked about (domain.yml).
TYPE_SLOT = "massage_type"

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
    """Makes a type question that names two types and compares them a comparison,
    and a comparison that names one type (and none before it) that type's question."""

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
            elif reading == COMPARE_INTENT and about_one_type(types, tracker):
                force_intent(message, TYPE_INTENT)
        return messages


def about_one_type(types: list[str], tracker: DialogueStateTracker | None) -> bool:
    """A comparison naming one type, with no type earlier in the conversation
    to compare it with: "sports massage vs sports therapy" (issue 10, round
    six) compares the type with something that is not one of them. Asking
    "which type should I compare it with?" answers nothing; the named type's
    own answer does. "How is it different from sports?" after a type was
    discussed stays a comparison (the action pairs it with the earlier one)."""
    earlier = tracker.get_slot(TYPE_SLOT) if tracker is not None else None
    return len(set(types)) == 1 and not earlier
