"""Conversation hygiene: recording an emergency, the fallback's "Did you mean...?"."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.constants import (
    ENTITY_FAQ_TOPIC,
    INTENT_FAQ,
    INTENT_NLU_FALLBACK,
    SLOT_SCREENING_CONSENT,
    SLOT_SCREENING_OUTCOME,
    SLOT_SCREENING_REASONS,
)
from actions.faq import faq_topic
from actions.forms import wording
from actions.store import db
from clinic_core.text import has_words

logger = logging.getLogger(__name__)


class ActionEmergency(Action):
    """Records an emergency: the outcome slot, so that no booking follows,
    and, when the client consented to the pre-screen's health questions, a
    screening record that binds the client (a later booking is held for a
    therapist's review; clinic_core.screening.binding). Without consent
    nothing health-related is stored.

    The message itself is the domain's `utter_emergency`, which the rules
    send before this action (data/rules/safety.yml): the client gets it from
    the Rasa server alone, and this action may fail (action server down)
    without the client missing the numbers. A rule deactivates any active
    form first.
    """

    def name(self) -> str:
        return "action_emergency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        if tracker.get_slot(SLOT_SCREENING_CONSENT) is True:
            try:
                await db(
                    lambda s: s.save_screening(tracker.sender_id, "emergency", ["red_flag"], {})
                )
            except Exception as error:  # noqa: BLE001 - the slot still stops a booking here
                logger.error("emergency outcome not saved: %s", type(error).__name__)
        return [
            SlotSet(SLOT_SCREENING_OUTCOME, "emergency"),
            SlotSet(SLOT_SCREENING_REASONS, ["red_flag"]),
        ]


class ActionAskAffirmation(Action):
    """Replaces Rasa's "Did you mean 'faq'?" with words a client understands.

    The classifier was unsure, so nothing is answered: the client is told so
    and offered its best guess, which on the real clients' dev set was the
    right one for about two declined questions in three (README,
    "Measured"), and a way to ask the clinic instead. Words with no useful
    guess (out of scope, a health detail out of context) get the honest
    "I can't answer that one here" with the clinic's contacts; a message
    with no words at all (emoji, punctuation) a request to rephrase.

    What each intent is called ("to book a session") is the domain's
    `utter_intent_label_<intent>`; an intent with no label there has no
    useful guess."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        ranking = tracker.latest_message.get("intent_ranking") or []
        intent = next((r["name"] for r in ranking if r.get("name") != INTENT_NLU_FALLBACK), None)
        topic = faq_topic(tracker) if intent == INTENT_FAQ else None
        labels = domain.get("responses") or {}
        if intent == INTENT_FAQ and topic:
            label = wording(
                domain, f"utter_intent_label_{INTENT_FAQ}", topic=topic.replace("_", " ")
            )
            payload = f'/{INTENT_FAQ}{{"{ENTITY_FAQ_TOPIC}": "{topic}"}}'
        elif intent and intent != INTENT_FAQ and f"utter_intent_label_{intent}" in labels:
            label = wording(domain, f"utter_intent_label_{intent}")
            payload = f"/{intent}"
        elif has_words(tracker.latest_message.get("text") or ""):
            dispatcher.utter_message(response="utter_out_of_scope")
            return []
        else:  # emoji, punctuation: nothing was said that could be answered
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        dispatcher.utter_message(response="utter_ask_affirmation", label=label, payload=payload)
        return []
