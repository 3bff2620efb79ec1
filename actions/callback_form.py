"""The call-back form: name, number and the best time to call.

`action_callback_start` opens it (after a hand-off offer, "can someone call
me back?", or the button after a `clearance` / `postpone` outcome), unless
the clinic database is down; `action_callback_submit` stores the request
with BookingStore.request_callback, which puts it in the webhook outbox in
the same transaction, like a booking.

Personal data: the name and number live in slots (the tracker store, erased
by `python -m clinic_core.privacy erase`) and the clinic database; nothing
here logs them.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import content
from actions.constants import (
    ACTION_CALLBACK_START,
    CALLBACK_SLOTS,
    INTENT_CANCEL,
    INTENT_FAQ,
    INTENT_STOP,
    SLOT_CALLBACK_NAME,
    SLOT_CALLBACK_PHONE,
    SLOT_CALLBACK_TIME,
    SLOT_SCREENING_OUTCOME,
    SLOT_SCREENING_REASONS,
    SLOT_STOP,
)
from actions.faq import utter_faq
from actions.forms import (
    AnswersOnly,
    AskForSlot,
    LeavableForm,
    answer_faq_if_asked,
    answer_text,
    intent_of,
    leave_form,
    name_answer,
    store_is_up,
    wants_to_stop,
)
from actions.store import db
from clinic_core.contact import mask_phone
from clinic_core.screening.model import offers_call_back
from clinic_core.text_readers import find_phone, phone_problem

logger = logging.getLogger(__name__)


class ActionCallbackStart(Action):
    """Starts the call-back form (a rule runs it next), unless the clinic
    database is down: then the client gets the apology and the numbers at
    once rather than after three questions."""

    def name(self) -> str:
        return ACTION_CALLBACK_START

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events: list[EventType] = [SlotSet(slot, None) for slot in CALLBACK_SLOTS]
        if not await store_is_up():
            dispatcher.utter_message(response="utter_db_apology")
            return events + [SlotSet(SLOT_STOP, True)]
        dispatcher.utter_message(response="utter_callback_start")
        return events + [SlotSet(SLOT_STOP, None)]


class ValidateCallbackForm(AnswersOnly, LeavableForm, FormValidationAction):
    def name(self) -> str:
        return "validate_callback_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if wants_to_stop(tracker, (INTENT_STOP, INTENT_CANCEL)):
            dispatcher.utter_message(response="utter_callback_stopped")
            return leave_form([SlotSet(slot, None) for slot in CALLBACK_SLOTS])
        return await super().run(dispatcher, tracker, domain)

    def validate_callback_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return name_answer(value, dispatcher, tracker, domain, SLOT_CALLBACK_NAME)

    def validate_callback_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = answer_text(value, tracker)
        region = content.profile().country_code
        phone = find_phone(text, region)
        if phone:
            return {SLOT_CALLBACK_PHONE: phone}
        if not re.search(r"\d", text) and answer_faq_if_asked(dispatcher, tracker, domain):
            return {SLOT_CALLBACK_PHONE: None}
        problem = phone_problem(text, region)
        if problem:
            dispatcher.utter_message(response="utter_ask_callback_phone_again", problem=problem)
        else:
            dispatcher.utter_message(response="utter_ask_callback_phone_unusable")
        return {SLOT_CALLBACK_PHONE: None}

    def validate_callback_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = re.sub(r"\s+", " ", answer_text(value, tracker)).strip()
        if (
            intent_of(tracker) == INTENT_FAQ
            and "?" in text
            and utter_faq(dispatcher, tracker, domain)
        ):
            return {SLOT_CALLBACK_TIME: None}
        if not re.search(r"[^\W\d_]|\d", text) or text.startswith("/"):
            dispatcher.utter_message(response="utter_ask_callback_time_again")
            return {SLOT_CALLBACK_TIME: None}
        return {SLOT_CALLBACK_TIME: text[:200]}


class ActionAskCallbackName(AskForSlot):
    slot = SLOT_CALLBACK_NAME


class ActionAskCallbackPhone(AskForSlot):
    slot = SLOT_CALLBACK_PHONE


class ActionAskCallbackTime(AskForSlot):
    slot = SLOT_CALLBACK_TIME


def callback_reason(tracker: Tracker) -> str:
    """Why the client wants a call, for the therapist: the pre-screen outcome
    and its reason ids when they were told not to book, else a plain request."""
    outcome = tracker.get_slot(SLOT_SCREENING_OUTCOME)
    if offers_call_back(outcome):
        reasons = [str(r) for r in tracker.get_slot(SLOT_SCREENING_REASONS) or []]
        return f"pre-screen outcome: {outcome}" + (f" ({', '.join(reasons)})" if reasons else "")
    return "asked to talk to a person"


class ActionCallbackSubmit(Action):
    """Stores the call-back request (and its outbox event) and says so."""

    def name(self) -> str:
        return "action_callback_submit"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reset = [SlotSet(SLOT_STOP, None)]
        name = tracker.get_slot(SLOT_CALLBACK_NAME)
        phone = tracker.get_slot(SLOT_CALLBACK_PHONE)
        best_time = tracker.get_slot(SLOT_CALLBACK_TIME)
        if tracker.get_slot(SLOT_STOP) or not (name and phone and best_time):
            return reset
        try:
            await db(
                lambda s: s.request_callback(
                    name,
                    phone,
                    best_time=best_time,
                    reason=callback_reason(tracker),
                    sender_id=tracker.sender_id,
                )
            )
        except Exception as error:  # noqa: BLE001 - any storage failure: apologise, never hang
            logger.error("call-back request not saved: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_db_apology")
            return reset
        dispatcher.utter_message(
            response="utter_callback_requested",
            name=name,
            phone_end=mask_phone(phone)[-4:],
            best_time=best_time,
        )
        return reset + [SlotSet(SLOT_CALLBACK_TIME, None)]
