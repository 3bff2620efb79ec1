"""A booking wish the intent classifier missed, made a booking request.

Short messages that ask to book at a time ("facial fri afternoon?", "deep
tissue wed 2pm", "any chance of a sports massage on monday after 5?") were
read as an FAQ, a comparison, a greeting or nothing at all (issue 11, item
7: 28 of 73 scripted booking clients' first messages). When the classifier
chose one of those weak readings, the date reader finds a time in the
message, the rule of clinic_core.text_readers.booking_wish holds and the
health reader finds nothing (a health question goes to the rules file and
the pre-screen, never to booking), the intent becomes `book_appointment`.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from clinic_core import clock
from clinic_core.dates import parse_date_request
from clinic_core.nlp.reader import read
from clinic_core.profile import current_profile
from clinic_core.text_readers import booking_wish, booking_with_therapist
from rasa_ext.nlu.overrides import StatelessComponent, force_intent

BOOK_INTENT = "book_appointment"
#: readings the classifier gives these messages that a booking wish overrules
WEAK_INTENTS = frozenset(
    {
        "nlu_fallback",
        "faq",
        "greet",
        "out_of_scope",
        "compare_massage_types",
        "ask_massage_type",
        "recommend_massage",
    }
)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
    is_trainable=False,
    model_from="SpacyNLP",
)
class BookingWishOverride(StatelessComponent):
    """Makes a missed booking wish `book_appointment` (see the module doc)."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [SpacyNLP]

    def process(self, messages: list[Message], model: SpacyModel) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            intent = (message.get(INTENT) or {}).get("name")
            if text.startswith("/") or intent not in WEAK_INTENTS:
                continue
            if not self._wishes_to_book(text):
                continue
            if read(model.model, text).findings:
                continue  # a health question: the rules file and the pre-screen
            force_intent(message, BOOK_INTENT)
        return messages

    @staticmethod
    def _wishes_to_book(text: str) -> bool:
        """At a time it names, or with a therapist it names (the module doc)."""
        profile = current_profile()
        request = parse_date_request(text, clock.now(), profile)
        if booking_wish(text, request.problem != "unreadable"):
            return True
        return booking_with_therapist(text, profile.therapist_names())
