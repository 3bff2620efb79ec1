"""The call-back form: name, number and the best time to call.

`action_callback_start` opens it (from a hand-off, "can someone call me
back?", or the button after a `clearance` / `postpone` outcome), unless the
clinic database is down; `action_callback_submit` stores the request with
BookingStore.request_callback, which puts it in the webhook outbox in the
same transaction, like a booking.

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
    INTENT_FAQ,
    SLOT_CALLBACK_NAME,
    SLOT_CALLBACK_PHONE,
    SLOT_CALLBACK_TIME,
    SLOT_NOTE,
    SLOT_SCREENING_OUTCOME,
    SLOT_SCREENING_REASONS,
    SLOT_STOP,
)
from actions.faq import utter_faq
from actions.store import db
from clinic_core.contact import mask_phone
from clinic_core.screening.model import offers_call_back
from clinic_core.text_readers import (
    find_phone,
)

logger = logging.getLogger(__name__)
from actions.forms import (
    LeavableForm,
    answer_faq_if_asked,
    answer_text,
    choice,
    contact_text,
    db_apology,
    intent_of,
    leave_form,
    name_answer,
    note,
    phone_problem,
    store_is_up,
    take_note,
    wants_to_stop,
)


class ActionCallbackStart(Action):
    """Starts the call-back form (a rule runs it next), unless the clinic
    database is down: then the client gets the apology and the numbers at
    once rather than after three questions."""

    def name(self) -> str:
        return ACTION_CALLBACK_START

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = [SlotSet(SLOT_NOTE, None), SlotSet(SLOT_CALLBACK_NAME, None),
                                        SlotSet(SLOT_CALLBACK_PHONE, None), SlotSet(SLOT_CALLBACK_TIME, None)]
        if not await store_is_up():
            dispatcher.utter_message(text=db_apology())
            return events + [SlotSet(SLOT_STOP, True)]
        dispatcher.utter_message(
            text="Of course, I'll ask one of our therapists to call you back. "
            "I just need your name, your number and the best time to call. "
            f"(If it can't wait, call us on {content.profile().phone}.)"
        )
        return events + [SlotSet(SLOT_STOP, None)]


# --------------------------------------------------------------------------- #
# the call-back form
# --------------------------------------------------------------------------- #

class ValidateCallbackForm(LeavableForm, FormValidationAction):
    def name(self) -> str:
        return "validate_callback_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if wants_to_stop(tracker, ("stop", "cancel_appointment")):
            dispatcher.utter_message(text="No problem, I won't ask for a call-back. " + contact_text())
            return leave_form([SlotSet(SLOT_CALLBACK_NAME, None), SlotSet(SLOT_CALLBACK_PHONE, None),
                               SlotSet(SLOT_CALLBACK_TIME, None), SlotSet(SLOT_NOTE, None)])
        return await super().run(dispatcher, tracker, domain)

    def validate_callback_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return name_answer(value, dispatcher, tracker, domain, SLOT_CALLBACK_NAME,
                           "Sorry, I didn't catch your name. Who should the therapist ask for?")

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
        return {SLOT_CALLBACK_PHONE: None, SLOT_NOTE: note(SLOT_CALLBACK_PHONE, phone_problem(text, region))}

    def validate_callback_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = re.sub(r"\s+", " ", answer_text(value, tracker)).strip()
        if intent_of(tracker) == INTENT_FAQ and "?" in text and utter_faq(dispatcher, tracker, domain):
            return {SLOT_CALLBACK_TIME: None}
        if not re.search(r"[^\W\d_]|\d", text) or text.startswith("/"):
            return {SLOT_CALLBACK_TIME: None, SLOT_NOTE: note(
                SLOT_CALLBACK_TIME, "When would suit you best for the call? For example \"weekday "
                "mornings\" or \"tomorrow after 5pm\".", TIME_BUTTONS)}
        return {SLOT_CALLBACK_TIME: text[:200]}


TIME_BUTTONS = [
    {"title": "Any time", "payload": choice("any time")},
    {"title": "Mornings", "payload": choice("mornings")},
    {"title": "Afternoons", "payload": choice("afternoons")},
    {"title": "Evenings", "payload": choice("evenings")},
]


class _AskCallback(Action):
    slot = ""
    question = ""
    buttons: list[dict[str, str]] = []

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        pending = take_note(tracker, self.slot)
        if pending:
            dispatcher.utter_message(text=pending["text"], buttons=pending.get("buttons") or self.buttons)
            if pending.get("replace"):
                return [SlotSet(SLOT_NOTE, None)]
        dispatcher.utter_message(text=self.question, buttons=self.buttons)
        return [SlotSet(SLOT_NOTE, None)] if pending else []


class ActionAskCallbackName(_AskCallback):
    slot = SLOT_CALLBACK_NAME
    question = "What's your name?"


class ActionAskCallbackPhone(_AskCallback):
    slot = SLOT_CALLBACK_PHONE
    question = "What number should we call you on?"


class ActionAskCallbackTime(_AskCallback):
    slot = SLOT_CALLBACK_TIME
    question = ("When is the best time to call? For example \"weekday mornings\" or "
                "\"tomorrow after 5pm\".")
    buttons = TIME_BUTTONS


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
        reset = [SlotSet(SLOT_NOTE, None), SlotSet(SLOT_STOP, None)]
        name = tracker.get_slot(SLOT_CALLBACK_NAME)
        phone = tracker.get_slot(SLOT_CALLBACK_PHONE)
        best_time = tracker.get_slot(SLOT_CALLBACK_TIME)
        if tracker.get_slot(SLOT_STOP) or not (name and phone and best_time):
            return reset
        try:
            await db(lambda s: s.request_callback(name, phone, best_time=best_time, reason=callback_reason(tracker),
                                                  sender_id=tracker.sender_id))
        except Exception as error:  # noqa: BLE001 - any storage failure: apologise, never hang
            logger.error("call-back request not saved: %s", type(error).__name__)
            dispatcher.utter_message(text=db_apology())
            return reset
        dispatcher.utter_message(
            text=f"Thank you, {name}. I've passed your request on: one of our therapists will call you "
            f"on the number ending {mask_phone(phone)[-4:]} ({best_time}). "
            f"If it's urgent, call us on {content.profile().phone}.",
        )
        return reset + [SlotSet(SLOT_CALLBACK_TIME, None)]
