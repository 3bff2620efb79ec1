"""General health questions routed by what the project's readers recognise.

"Is massage safe with high blood pressure?", "does massage help with
plantar fasciitis?", "any risks of massage if you have osteoporosis?": real
clients ask these in words unlike any training example, and the classifier
mostly declined them (issue 10, round four, kind 2). Which answer fits
does not depend on the wording but on what is named, and the project has
rule-based readers for exactly that: the health reader (the rules file's
conditions, medications and procedures) and the types file's symptom
keywords. So, outside forms, when the classifier was unsure (``nlu_fallback``)
and its guess is one of ``health_guesses`` (the readings of a question about
health and massage), clinic_core.health_answers.general_question_route
decides: a symptom the recommendation covers -> ``recommend_massage``; a
rules-file condition -> ``start_screening``, answered from the rules file
with the pre-screen offered and nothing stored (actions/health.py);
neither -> unchanged, the honest decline with the call-back. Nothing is
logged: the text is health data.

A confident reading is left alone: "can you have a massage with cancer?"
read as the medical-conditions topic is an answer the clients' vocabulary
accepts (general questions about a condition get the FAQ topic; measured:
re-routing those turned acceptable answers on every set into wrong ones).
Nor are unsure readings with an answer of their own re-routed (a facial
topic, flexibility, sleep...): the broad symptom keywords ("jaw", "face",
"training") would send them to a recommendation.

Cost: the readers run only on those readings, never on the other FAQ turns.
The emergency override runs after this and overrules it.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from clinic_core.health_answers import RECOMMENDATION, RULES_FILE, general_question_route
from clinic_core.massage_types import Recommendation, current_massage_types, recommend
from clinic_core.nlp.reader import read
from rasa_ext.nlu.fallback import in_a_form, reading_of
from rasa_ext.nlu.red_flag import force_intent

NO_RECOMMENDATION = Recommendation(type_id=None, reason="", score=0)
INTENT_FOR_ROUTE = {RULES_FILE: "start_screening", RECOMMENDATION: "recommend_massage"}


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
    is_trainable=False,
    model_from="SpacyNLP",
)
class HealthQuestionRouter(GraphComponent):
    """Routes a general health question by what it names (module doc)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "health_guesses": [
                "faq/medical_conditions",
                "faq/suitability",
                "faq/chronic_pain",
                "start_screening",
                "recommend_massage",
                "inform_health",
            ],
        }

    @classmethod
    def required_components(cls) -> list[type]:
        return [SpacyNLP]

    def __init__(self, config: dict[str, Any]) -> None:
        self._health_guesses = frozenset(config["health_guesses"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> HealthQuestionRouter:
        return cls({**cls.get_default_config(), **config})

    def process(
        self,
        messages: list[Message],
        model: SpacyModel,
        tracker: DialogueStateTracker | None = None,
    ) -> list[Message]:
        if in_a_form(tracker):
            return messages  # a form reads its answers itself
        for message in messages:
            text = message.get(TEXT) or ""
            guess, declined = reading_of(message)
            if text.startswith("/") or not declined or guess not in self._health_guesses:
                continue
            reading = read(model.model, text)
            # a question about a named type ("is sports massage good for
            # runners?") is about that type, not a request for a suggestion
            recommendation = (
                NO_RECOMMENDATION
                if reading.massage_types
                else recommend(text, current_massage_types())
            )
            route = general_question_route(reading, recommendation)
            if route is not None:
                force_intent(message, INTENT_FOR_ROUTE[route])
        return messages
