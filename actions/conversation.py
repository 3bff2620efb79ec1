"""Conversation hygiene: emergencies, hand-off, fallback wording."""
from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.constants import SLOT_SCREENING_CONSENT, SLOT_SCREENING_OUTCOME, SLOT_SCREENING_REASONS
from actions.faq import faq_topic
# contact_text moved to actions.handoff with ActionHandoff; re-exported for old imports
from actions.handoff import contact_text  # noqa: F401
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
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if tracker.get_slot(SLOT_SCREENING_CONSENT) is True:
            try:
                await db(lambda s: s.save_screening(tracker.sender_id, "emergency", ["red_flag"], {}))
            except Exception as error:  # noqa: BLE001 - the slot still stops a booking here
                logger.error("emergency outcome not saved: %s", type(error).__name__)
        return [
            SlotSet(SLOT_SCREENING_OUTCOME, "emergency"),
            SlotSet(SLOT_SCREENING_REASONS, ["red_flag"]),
        ]


#: What the two-stage fallback calls each intent when it asks "Did you mean...?"
INTENT_LABELS: dict[str, str] = {
    "greet": "to say hello",
    "goodbye": "to say goodbye",
    "thank": "to say thanks",
    "book_appointment": "to book a session",
    "cancel_appointment": "to cancel or move a booking",
    "start_screening": "to check whether a massage suits you",
    "ask_massage_type": "to ask about a type of massage",
    "compare_massage_types": "to compare two types of massage",
    "recommend_massage": "a recommendation for a massage",
    "human_handoff": "to talk to a person",
    "bot_challenge": "to know whether I'm a bot",
    "inform_health": "to tell me about your health",
    "stop": "to stop for now",
    "out_of_scope": "something I can't help with",
    "ask_my_data": "to know what we hold about you",
    "erase_my_data": "us to erase what we hold about you",
}


class ActionAskAffirmation(Action):
    """Replaces Rasa's "Did you mean 'faq'?" with words a client understands.

    The classifier was unsure, so nothing is answered: the client is told so
    and offered its best guess, which on the real clients' dev set was the
    right one for about two declined questions in three (README,
    "Measured"), and a way to ask the clinic instead. Words with no useful
    guess (out of scope, a health detail out of context) get the honest
    "I can't answer that one here" with the clinic's contacts; a message
    with no words at all (emoji, punctuation) a request to rephrase."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        ranking = tracker.latest_message.get("intent_ranking") or []
        intent = next((r["name"] for r in ranking if r.get("name") != "nlu_fallback"), None)
        topic = faq_topic(tracker) if intent == "faq" else None
        if intent == "faq" and topic:
            label = "information about " + topic.replace("_", " ")
            payload = f'/faq{{"faq_topic": "{topic}"}}'
        elif intent in INTENT_LABELS and intent not in ("inform_health", "out_of_scope"):
            label = INTENT_LABELS[intent]
            payload = f"/{intent}"
        elif has_words(tracker.latest_message.get("text") or ""):
            dispatcher.utter_message(response="utter_out_of_scope")
            return []
        else:  # emoji, punctuation: nothing was said that could be answered
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        dispatcher.utter_message(
            text=f"Sorry, I'm not sure I can answer that one here. Did you want {label}?",
            buttons=[
                {"title": "Yes", "payload": payload},
                {"title": "No", "payload": "/deny"},
                {"title": "Ask the clinic", "payload": "/human_handoff"},
            ],
        )
        return []
