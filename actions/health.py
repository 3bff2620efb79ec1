""" "Can I have a massage if ...?" (issue 10, item 4): the rules file's answer.

A question that names a condition, medication or procedure the project's
reader recognises gets what clinic/screening_rules.yml says about it and the
offer of the pre-screen; one without (or the "Check it suits me" button)
opens the pre-screen as before. Nothing is stored: no slot, no record; the
pre-screen reads the question again after consent if the client takes it.
The wording lives in the rules file, the logic in clinic_core.health_answers.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import content
from actions.constants import (
    RESPONSE_EMERGENCY,
    SLOT_HEALTH_ANSWERED,
    SLOT_SCREENING_OUTCOME,
    SLOT_SCREENING_STATE,
)
from clinic_core.health_answers import HealthAnswer, health_answer
from clinic_core.nlp.reader import read


def answer_for(text: str) -> HealthAnswer | None:
    """The rules file's answer to what ``text`` names, None when it names
    nothing the reader knows (or is a button's payload)."""
    if not text or text.startswith("/"):
        return None
    return health_answer(content.rules(), read(content.nlp(), text))


def screening_paused(tracker: Tracker) -> bool:
    """A pre-screen was started in this conversation and has no outcome yet:
    "continue the check" resumes it rather than answering a question."""
    return isinstance(tracker.get_slot(SLOT_SCREENING_STATE), dict) and not tracker.get_slot(
        SLOT_SCREENING_OUTCOME
    )


def utter_health_answer(dispatcher: CollectingDispatcher, answer: HealthAnswer) -> None:
    """The answer with the offer of the pre-screen, or the emergency message
    alone when what was said is an emergency."""
    if answer.emergency:
        dispatcher.utter_message(response=RESPONSE_EMERGENCY)
        return
    dispatcher.utter_message(response="utter_health_answer", message=answer.text(content.rules()))


class ActionHealthQuestion(Action):
    """`start_screening`: the rules file's answer and an offer, or the form.

    The slot it sets (whether it answered; never what) is what the rules
    branch on (data/rules/health_answers.yml): a rule, unlike a follow-up
    action, is visible to the policy and to the test stories.
    """

    def name(self) -> str:
        return "action_health_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        answer = (
            None
            if screening_paused(tracker)
            else answer_for(tracker.latest_message.get("text") or "")
        )
        if answer is None:
            return [SlotSet(SLOT_HEALTH_ANSWERED, False)]  # the rules open the pre-screen
        utter_health_answer(dispatcher, answer)
        return [SlotSet(SLOT_HEALTH_ANSWERED, True)]
