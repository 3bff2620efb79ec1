"""Answers FAQ questions, filling practical facts from the clinic profile."""
from __future__ import annotations

from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import content
from actions.constants import ENTITY_FAQ_TOPIC, RETRIEVAL_FAQ


def faq_topic(tracker: Tracker) -> Optional[str]:
    """The topic a button named, else the one the response selector chose.

    Buttons send `/faq{"faq_topic": "prices"}` because Rasa's payload syntax
    cannot name a retrieval sub-intent; typed questions go through the
    ResponseSelector.
    """
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == ENTITY_FAQ_TOPIC and entity.get("value"):
            return str(entity["value"])
    selector = (tracker.latest_message.get("response_selector") or {}).get(RETRIEVAL_FAQ) or {}
    key = (selector.get("response") or {}).get("intent_response_key") or ""
    return key.split("/", 1)[1] if "/" in key else None


def profile_values() -> dict[str, Any]:
    """Template values for the practical answers (domain/faq_practical.yml)."""
    p = content.profile()
    from datetime import datetime

    today = datetime.now(p.tz).date()
    return {
        "price_list": p.price_list(),
        "payment": p.policies.payment,
        "durations": p.durations(),
        "opening_hours": p.opening_hours_text(today=today),
        "address": p.address_text(),
        "directions": p.directions,
        "parking": p.parking,
        "accessibility": p.accessibility,
        "cancellation": p.policies.cancellation,
        "rescheduling": p.policies.rescheduling,
        "late_arrival": p.policies.late_arrival,
        "what_to_wear": p.advice.get("what_to_wear", ""),
        "aftercare": p.advice.get("aftercare", ""),
        "clinic_name": p.name,
        "phone": p.phone,
        "email": p.email,
    }


class ActionAnswerFaq(Action):
    """Utters `utter_faq/<topic>`; unknown topics get the polite default."""

    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if not utter_faq(dispatcher, tracker, domain):
            dispatcher.utter_message(response="utter_default")
        return []


def utter_faq(dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> bool:
    """Answers the FAQ the latest message asked; False when there is none.

    Shared with the pre-screen, which answers a question asked mid-form
    itself and then repeats its own question.
    """
    topic = faq_topic(tracker)
    response = f"utter_faq/{topic}" if topic else None
    if response is None or response not in (domain.get("responses") or {}):
        return False
    dispatcher.utter_message(response=response, **profile_values())
    return True
