"""To a person: the clinic's contact details and a call-back request.

`action_handoff` answers `human_handoff` (and any "talk to someone" button)
with the clinic's phone and email and offers a call-back; a client who asked
to be called ("can someone call me back?") or whose pre-screen ended in
`clearance`/`postpone` goes straight to the call-back form. The form asks
name, number and the best time to call; `action_callback_submit` stores the
request with BookingStore.request_callback, which puts it in the webhook
outbox in the same transaction, like a booking.

Personal data: the name and number live in slots (the tracker store, erased
by `python -m clinic_core.privacy erase`) and the clinic database; nothing
here logs them.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import content
from actions.constants import SLOT_SCREENING_OUTCOME, SLOT_SCREENING_REASONS
from actions.faq import utter_faq
from actions.store import db
from clinic_core import text_readers
from clinic_core.contact import mask_phone
from clinic_core.screening.model import offers_call_back
from clinic_core.text_readers import clean_name, find_phone

logger = logging.getLogger(__name__)

FORM_CALLBACK = "callback_form"
ACTION_CALLBACK_START = "action_callback_start"
SLOT_CALLBACK_NAME = "callback_name"
SLOT_CALLBACK_PHONE = "callback_phone"
SLOT_CALLBACK_TIME = "callback_time"
#: what the next question of a form says instead of (or before) its usual text
SLOT_NOTE = "booking_note"
#: set when a form must end at once (database down, too many attempts)
SLOT_STOP = "booking_stop"
ENTITY_CHOICE = "booking_choice"
INTENT_FAQ = "faq"

_ASKED_FOR_A_CALL = re.compile(
    r"\bcall(?:ed|ing)?\s+(?:me\s+)?back\b|\bcall-?backs?\b|\b(?:ring|phone|call)\s+me\b", re.I)


def contact_text() -> str:
    p = content.profile()
    return (
        f"You can reach our team on {p.phone} or at {p.email}. "
        "A therapist will be glad to talk it through with you."
    )


def db_apology() -> str:
    """What the client reads when the clinic database cannot be reached."""
    p = content.profile()
    return (
        "Sorry, I can't reach our booking system right now, so I couldn't save anything. "
        f"Please try again in a few minutes, or call us on {p.phone} or email {p.email}."
    )


async def store_is_up() -> bool:
    """Whether the clinic database answers (a cheap read, bounded: actions/store.py)."""
    try:
        start = datetime.now(timezone.utc)
        await db(lambda s: s.busy(start, start + timedelta(minutes=1)))
        return True
    except Exception as error:  # noqa: BLE001 - any storage failure
        logger.error("booking store unavailable: %s", type(error).__name__)
        return False


# --------------------------------------------------------------------------- #
# small helpers the booking module shares
# --------------------------------------------------------------------------- #

def intent_of(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def answer_text(value: Any, tracker: Tracker) -> str:
    """The answer to validate: a button's `booking_choice` when the value is
    this turn's button payload, else the value itself."""
    text = "" if value is None else str(value)
    latest = tracker.latest_message or {}
    if text and text == (latest.get("text") or ""):
        for entity in latest.get("entities") or []:
            if entity.get("entity") == ENTITY_CHOICE and entity.get("value") is not None:
                return str(entity["value"])
    return text.strip()


def choice(text: str) -> str:
    """A button payload carrying `text` as the answer."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'/inform_booking{{"{ENTITY_CHOICE}": "{escaped}"}}'


def note(slot: str, text: str, buttons: Optional[list[dict[str, str]]] = None,
         replace: bool = True) -> dict[str, Any]:
    """A message for the next time `slot` is asked: instead of the question
    (replace) or before it."""
    return {"slot": slot, "text": text, "buttons": buttons or [], "replace": replace}


def take_note(tracker: Tracker, slot: str) -> Optional[dict[str, Any]]:
    value = tracker.get_slot(SLOT_NOTE)
    if isinstance(value, dict) and value.get("slot") == slot:
        return value
    return None


_STOP_WORDS = re.compile(
    r"\b(?:stop|quit|pause|cancel\w*|enough|later|not now|skip|forget (?:it|about it)|never ?mind|leave it|"
    r"don'?t (?:want|book|bother)|no more|abort)\b", re.I)


def wants_to_stop(tracker: Tracker, intents: tuple[str, ...]) -> bool:
    """Whether the client is leaving the form ("stop", "not now", the Stop
    button). The classifier alone is not trusted: "can we do next week
    instead" can look like `stop` to it, and is an answer."""
    text = tracker.latest_message.get("text") or ""
    if text.startswith("/stop"):
        return True
    if intent_of(tracker) not in intents or not _STOP_WORDS.search(text):
        return False
    from clinic_core.dates import parse_date_request  # a date wish is an answer, not a stop

    return parse_date_request(text, datetime.now(timezone.utc), content.profile()).problem is not None


def leave_form(events: list[Any]) -> list[Any]:
    """Events that end the running form at once (its submit action then does nothing)."""
    return events + [SlotSet(SLOT_STOP, True), SlotSet("requested_slot", None)]


def answer_faq_if_asked(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> bool:
    """Answers an FAQ asked instead of an answer (then the form asks again)."""
    return intent_of(tracker) == INTENT_FAQ and utter_faq(dispatcher, tracker, domain)


class LeavableForm:
    """Mixin for forms the client can leave mid-way: once the stop slot is
    set, nothing more is asked. A mixin, not an Action subclass, so the SDK
    does not try to register it as an action."""

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot(SLOT_STOP):
            return []
        return domain_slots


def name_answer(
    value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
    slot: str, retry: str,
) -> dict[str, Any]:
    """A form's "what name?" slot: the cleaned name, else an FAQ answered
    (the question comes again), else the polite retry ``retry``. Shared by
    the booking and call-back forms so both read names the same way."""
    name = clean_name(answer_text(value, tracker))
    if name:
        return {slot: name}
    if answer_faq_if_asked(dispatcher, tracker, domain):
        return {slot: None}
    return {slot: None, SLOT_NOTE: note(slot, retry)}


def phone_problem(text: str, region: str) -> str:
    """The client-friendly reason why `text` is not a usable number."""
    return text_readers.phone_problem(text, region) or "That number doesn't look right. Could you check it?"


# --------------------------------------------------------------------------- #
# hand-off
# --------------------------------------------------------------------------- #

class ActionHandoff(Action):
    """The clinic's contact details, and a call-back.

    Rules deactivate an active form first: someone asking for a person does
    not want the next question.
    """

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        outcome = tracker.get_slot(SLOT_SCREENING_OUTCOME)
        wants_call = bool(_ASKED_FOR_A_CALL.search(text)) or asked_for_a_call_back(tracker) or (
            text.startswith("/human_handoff") and offers_call_back(outcome))
        if wants_call:
            return [FollowupAction(ACTION_CALLBACK_START)]
        # issue 14, live hand-over: a person joins the chat when one can
        live = await live_handover(tracker)
        if live == LIVE_WAITING:
            dispatcher.utter_message(response="utter_handover_waiting")
            return []
        if live == LIVE_NOBODY_CAME:
            dispatcher.utter_message(response="utter_handover_nobody", callback_by=callback_promise())
            return []
        dispatcher.utter_message(text=contact_text())
        dispatcher.utter_message(response="utter_callback_offer", callback_by=callback_promise())
        return []


# --------------------------------------------------------------------------- #
# issue 14: live hand-over to the staff console (clinic_core.handover)
# --------------------------------------------------------------------------- #

#: what live_handover did: a request waits in the console's inbox, or the
#: client's earlier one waited past the profile's handover.wait_minutes
LIVE_WAITING = "waiting"
LIVE_NOBODY_CAME = "nobody_came"
#: the entity of a button that asks for a call-back outright (domain.yml)
ENTITY_CALLBACK = "callback"


def asked_for_a_call_back(tracker: Tracker) -> bool:
    """A "Yes, please call me back" button of a line the console sent: it
    cannot rely on "/affirm" (no action_handoff before it), so it says so."""
    return any(e.get("entity") == ENTITY_CALLBACK for e in tracker.latest_message.get("entities") or [])


async def live_handover(tracker: Tracker) -> Optional[str]:
    """Opens a hand-over request for the console's inbox when the clinic is
    open and someone is signed in (clinic_core.handover.live_possible):
    LIVE_WAITING. When this client's earlier request waited longer than
    ``handover.wait_minutes`` with nobody taking it, it expires instead and
    the client is offered the call-back (LIVE_NOBODY_CAME; the console's
    sweep may have done so first, then this is a new request). None when no
    person can join, or the database cannot say (then the call-back offer).
    One bounded database call (actions/store.py): a locked database delays
    only this turn."""
    from clinic_core.booking_store import utcnow
    from clinic_core.handover import HandoverDesk, live_possible
    from clinic_core.staff import StaffDirectory

    profile = content.profile()
    sender, channel = tracker.sender_id, tracker.get_latest_input_channel()

    def open_request(s: Any) -> Optional[str]:
        desk, now = HandoverDesk(s), utcnow()
        if desk.expire_waiting(now - timedelta(minutes=profile.handover.wait_minutes), sender_id=sender, now=now):
            return LIVE_NOBODY_CAME
        if not live_possible(profile, len(StaffDirectory(s).online())):
            return None
        desk.request(sender, channel)
        return LIVE_WAITING

    try:
        return await db(open_request)
    except Exception as error:  # noqa: BLE001 - the call-back offer still works without the console
        logger.error("live hand-over unavailable: %s", type(error).__name__)
        return None


def callback_promise() -> str:
    """"11am tomorrow": by when a call-back is promised, from the opening hours."""
    from clinic_core.handover import callback_by

    return callback_by(content.profile())


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
