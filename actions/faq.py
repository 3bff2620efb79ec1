"""Answers the FAQ a button or a form names; rasa_ext/nlg.py fills in the profile's facts."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.constants import ENTITY_ASKED_TOPIC, ENTITY_FAQ_TOPIC, RETRIEVAL_FAQ


def faq_topic(tracker: Tracker) -> str | None:
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


class ActionAnswerFaq(Action):
    """Utters `utter_faq/<topic>`; unknown topics get the polite default."""

    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
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
    dispatcher.utter_message(response=response)  # rasa_ext/nlg.py fills the profile's facts
    return True


class ActionAnswerQuestions(Action):
    """Answers every FAQ topic of a message that asks several ("how much is
    90 minutes and are you open on Saturday?"), in the order asked: one
    `utter_faq/<topic>` each, as a single question would get it.

    The NLU marks each topic with an `asked_topic` entity only when every
    part of the message is a confident, different FAQ topic; anything else
    goes the usual single-answer way."""

    def name(self) -> str:
        return "action_answer_questions"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        responses = domain.get("responses") or {}
        entities = sorted(
            (
                e
                for e in tracker.latest_message.get("entities") or []
                if e.get("entity") == ENTITY_ASKED_TOPIC
            ),
            key=lambda e: e.get("start") or 0,
        )
        answered = 0
        for entity in entities:
            response = f"utter_faq/{entity.get('value')}"
            if response in responses:
                dispatcher.utter_message(response=response)
                answered += 1
        if not answered and not utter_faq(dispatcher, tracker, domain):
            dispatcher.utter_message(response="utter_default")
        return []
