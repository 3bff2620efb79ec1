"""Cancelling or moving a booking, as a Rasa form (`manage_booking_form`):
by reference plus the phone number or email used when booking, quoting the
clinic's policy, and warning when the change is inside the notice period.

Personal data: nothing here logs slot values or message text.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import content
from actions.constants import (
    FORM_MANAGE,
    MANAGE_SLOTS,
    MAX_FIND_ATTEMPTS,
    SLOT_M_ACTION,
    SLOT_M_ATTEMPTS,
    SLOT_M_BOOKING,
    SLOT_M_CONFIRMED,
    SLOT_M_CONTACT,
    SLOT_M_REFERENCE,
    SLOT_M_SLOT,
    SLOT_M_WHEN,
    SLOT_NOTE,
    SLOT_OFFERS,
    SLOT_STOP,
)
from actions.store import db
from clinic_core.booking_store import (
    ACTIVE_STATUSES,
    BookingNotFound,
    NotActive,
    SlotTaken,
    SlotUnavailable,
)
from clinic_core.contact import InvalidContact, normalise_contact
from clinic_core.dates import (
    describe_date,
    describe_time,
    parse_date_request,
)
from clinic_core.text_readers import (
    find_email,
    find_phone,
    move_or_cancel,
    reference_from_text,
)

logger = logging.getLogger(__name__)
from actions.booking_form import (
    _AskBooking,
)
from actions.forms import (
    CALL_BUTTON,
    NO,
    YES,
    answer_faq_if_asked,
    answer_text,
    choice,
    contact_text,
    db_apology,
    intent_of,
    leave_form,
    note,
    store_is_up,
    wants_to_stop,
)
from actions.slot_picking import (
    ask_pick,
    ask_when,
    now,
    request_of,
    slot_of,
    slot_title,
    therapist_name,
    validate_pick,
    validate_when,
    when_problem_note,
)

# --------------------------------------------------------------------------- #
# cancelling and moving
# --------------------------------------------------------------------------- #

def booking_text(booking: dict[str, Any]) -> str:
    p = content.profile()
    start = dt.datetime.fromisoformat(booking["start"]).astimezone(p.tz)
    try:
        service = p.service(booking["service_id"]).name
    except KeyError:
        service = booking["service_id"]
    return (f"{service} on {describe_date(start.date(), short=True)} at {describe_time(start.time())} "
            f"with {therapist_name(booking['therapist_id'])} (ref {booking['reference']})")


def is_late(start_iso: str) -> bool:
    """Whether changing the booking at `start_iso` now is a late change."""
    return content.profile().policies.is_late_change(dt.datetime.fromisoformat(start_iso), now())


def reset_manage() -> list[EventType]:
    return [SlotSet(s, None) for s in MANAGE_SLOTS + (SLOT_M_BOOKING, SLOT_M_ATTEMPTS, SLOT_NOTE, SLOT_STOP,
                                                       SLOT_OFFERS)]


class ActionManageStart(Action):
    """`cancel_appointment`: starts the cancel/move form with what the
    message already says (cancel or move, a reference)."""

    def name(self) -> str:
        return "action_manage_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        events = reset_manage()
        if not await store_is_up():
            dispatcher.utter_message(text=db_apology(), buttons=[CALL_BUTTON])
            return events + [SlotSet(SLOT_STOP, True)]
        wanted = move_or_cancel(text) if not text.startswith("/") else None
        if wanted:
            events.append(SlotSet(SLOT_M_ACTION, wanted))
        ref = reference_from_text(text) if not text.startswith("/") else None
        if ref:
            events.append(SlotSet(SLOT_M_REFERENCE, ref))
        return events


class ValidateManageBookingForm(FormValidationAction):
    def name(self) -> str:
        return "validate_manage_booking_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if wants_to_stop(tracker, ("stop",)):  # here "cancel" is an answer
            dispatcher.utter_message(text="OK, I've stopped. Your booking has not been changed.")
            return leave_form(reset_manage())
        return await super().run(dispatcher, tracker, domain)

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot(SLOT_STOP):
            return []
        if tracker.get_slot(SLOT_M_ACTION) == "cancel":
            return [s for s in domain_slots if s not in (SLOT_M_WHEN, SLOT_M_SLOT)]
        return domain_slots

    def validate_manage_reference(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = answer_text(value, tracker)
        ref = reference_from_text(text)
        if ref:
            return {SLOT_M_REFERENCE: ref}
        if answer_faq_if_asked(dispatcher, tracker, domain):
            return {SLOT_M_REFERENCE: None}
        p = content.profile()
        return {SLOT_M_REFERENCE: None, SLOT_NOTE: note(
            SLOT_M_REFERENCE, "A booking reference has 6 letters and numbers, like K7M2QX; it's in the "
            "message you got when you booked. What's yours? If you can't find it, call us on "
            f"{p.phone}.", [CALL_BUTTON])}

    async def validate_manage_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = answer_text(value, tracker)
        region = content.profile().country_code
        email = find_email(text)
        contact = email or find_phone(text, region)
        if contact is None:
            if not re.search(r"[\d@]", text) and answer_faq_if_asked(dispatcher, tracker, domain):
                return {SLOT_M_CONTACT: None}
            try:
                normalise_contact(text, region)
                problem = "That doesn't look like a phone number or email address."
            except InvalidContact as error:
                problem = str(error)
            return {SLOT_M_CONTACT: None, SLOT_NOTE: note(SLOT_M_CONTACT, problem)}
        reference = tracker.get_slot(SLOT_M_REFERENCE)
        try:
            record = await db(lambda s: s.find(reference or "", contact))
        except BookingNotFound:
            attempts = int(tracker.get_slot(SLOT_M_ATTEMPTS) or 0) + 1
            if attempts >= MAX_FIND_ATTEMPTS:
                dispatcher.utter_message(
                    text="Sorry, I still can't find a booking with those details. " + contact_text(),
                    buttons=[CALL_BUTTON])
                return {SLOT_M_CONTACT: None, SLOT_M_ATTEMPTS: attempts, SLOT_STOP: True}
            return {SLOT_M_REFERENCE: None, SLOT_M_CONTACT: None, SLOT_M_ATTEMPTS: attempts,
                    SLOT_NOTE: note(SLOT_M_REFERENCE, "I couldn't find a booking with that reference and "
                                    "phone number or email. Could you check the reference and type it again?")}
        except Exception as error:  # noqa: BLE001 - database down: apologise and stop
            logger.error("booking look-up failed: %s", type(error).__name__)
            dispatcher.utter_message(text=db_apology(), buttons=[CALL_BUTTON])
            return {SLOT_M_CONTACT: None, SLOT_STOP: True}
        if record.status not in ACTIVE_STATUSES or record.start <= now():
            what = "has been cancelled" if record.status not in ACTIVE_STATUSES else "has already passed"
            dispatcher.utter_message(text=f"That booking ({record.reference}) {what}, so there's nothing "
                                     "to change. Would you like to make a new one?",
                                     buttons=[{"title": "Book a session", "payload": "/book_appointment"}])
            return {SLOT_M_CONTACT: None, SLOT_STOP: True}
        booking = record.to_dict()
        return {SLOT_M_CONTACT: contact, SLOT_M_BOOKING: booking}

    def validate_manage_action(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value in ("cancel", "move"):
            return {SLOT_M_ACTION: value}
        text = answer_text(value, tracker)
        wanted = move_or_cancel(text)
        if wanted is None and re.search(r"\b(?:new|other|different) (?:day|time|date)\b", text.lower()):
            wanted = "move"
        if wanted:
            return {SLOT_M_ACTION: wanted}
        if answer_faq_if_asked(dispatcher, tracker, domain):
            return {SLOT_M_ACTION: None}
        return {SLOT_M_ACTION: None, SLOT_NOTE: note(
            SLOT_M_ACTION, "Would you like to cancel it, or move it to another time?", ACTION_BUTTONS)}

    def validate_manage_when(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if request_of(value) is not None:
            return {SLOT_M_WHEN: value}
        return validate_when(answer_text(value, tracker), dispatcher, tracker, domain, SLOT_M_WHEN, SLOT_M_SLOT)

    def validate_manage_slot(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return validate_pick(value, dispatcher, tracker, domain, SLOT_M_WHEN, SLOT_M_SLOT)

    def validate_manage_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is True:
            return {SLOT_M_CONFIRMED: True}
        text = answer_text(value, tracker)
        lowered = text.lower()
        intent = intent_of(tracker)
        if intent == "affirm" or re.fullmatch(r"\s*(?:yes|yeah|yep|ok|okay|sure|please do|go ahead|confirm)\b.{0,20}",
                                               lowered):
            return {SLOT_M_CONFIRMED: True}
        if tracker.get_slot(SLOT_M_ACTION) == "move":
            request = parse_date_request(text, now(), content.profile())
            if request.problem is None:
                return {SLOT_M_CONFIRMED: None, SLOT_M_WHEN: request.to_dict(), SLOT_M_SLOT: None}
            if request.problem in ("ambiguous", "past"):
                return {SLOT_M_CONFIRMED: None, SLOT_M_WHEN: None, SLOT_M_SLOT: None,
                        SLOT_NOTE: when_problem_note(SLOT_M_WHEN, request)}
        if answer_faq_if_asked(dispatcher, tracker, domain):
            return {SLOT_M_CONFIRMED: None}
        if intent == "deny" or re.match(r"^\s*(?:no|nope|keep|leave)\b", lowered):
            dispatcher.utter_message(text="OK, I've left your booking as it is. Is there anything else I can "
                                     "help with?")
            return {SLOT_M_CONFIRMED: None, SLOT_STOP: True}
        return {SLOT_M_CONFIRMED: None, SLOT_NOTE: note(
            SLOT_M_CONFIRMED, "Sorry, I didn't follow. Shall I go ahead?", CONFIRM_BUTTONS)}


ACTION_BUTTONS = [{"title": "Cancel it", "payload": choice("cancel")},
                  {"title": "Move it", "payload": choice("move")}]
CONFIRM_BUTTONS = [{"title": "Yes, go ahead", "payload": YES}, {"title": "No, keep it as it is", "payload": NO}]


class _AskManage(_AskBooking):
    pass


class ActionAskManageReference(_AskManage):
    slot = SLOT_M_REFERENCE

    def question(self, tracker: Tracker) -> tuple[str, list[dict[str, str]]]:
        return ("I can cancel or move a booking for you. What's your booking reference? It's the "
                "6-character code from when you booked, like K7M2QX."), []


class ActionAskManageContact(_AskManage):
    slot = SLOT_M_CONTACT

    def question(self, tracker: Tracker) -> tuple[str, list[dict[str, str]]]:
        return "And the phone number or email address you booked with?", []


class ActionAskManageAction(_AskManage):
    slot = SLOT_M_ACTION

    def question(self, tracker: Tracker) -> tuple[str, list[dict[str, str]]]:
        booking = tracker.get_slot(SLOT_M_BOOKING) or {}
        return f"I found your {booking_text(booking)}. Would you like to cancel it or move it?", ACTION_BUTTONS


class ActionAskManageWhen(Action):
    def name(self) -> str:
        return "action_ask_manage_when"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        booking = tracker.get_slot(SLOT_M_BOOKING) or {}
        lead = f"I found your {booking_text(booking)}. " if booking else ""
        return ask_when(dispatcher, tracker, SLOT_M_WHEN,
                        lead + "When would you like to move it to? " + content.profile().policies.rescheduling)


class ActionAskManageSlot(Action):
    def name(self) -> str:
        return "action_ask_manage_slot"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        booking = tracker.get_slot(SLOT_M_BOOKING) or {}
        return await ask_pick(dispatcher, tracker, SLOT_M_SLOT, SLOT_M_WHEN, booking.get("service_id"),
                              booking.get("minutes"))


class ActionAskManageConfirmed(_AskManage):
    slot = SLOT_M_CONFIRMED

    def question(self, tracker: Tracker) -> tuple[str, list[dict[str, str]]]:
        p = content.profile()
        booking = tracker.get_slot(SLOT_M_BOOKING) or {}
        late = is_late(booking["start"])
        if tracker.get_slot(SLOT_M_ACTION) == "move":
            new = slot_of(tracker.get_slot(SLOT_M_SLOT))
            text = f"Move your {booking_text(booking)} to {slot_title(new)}?\nOur policy: {p.cancellation_text()}"
            if late:
                text += f"\nAs your appointment is less than {p.policies.cancellation_notice_hours:g} hours away, " \
                        "the late-change terms above apply."
            return text, [{"title": "Yes, move it", "payload": YES}, {"title": "No, keep it as it is", "payload": NO}]
        text = f"Cancel your {booking_text(booking)}?\nOur policy: {p.policies.cancellation}"
        if late:
            text += f"\nAs your appointment is less than {p.policies.cancellation_notice_hours:g} hours away, " \
                    "the late-cancellation charge applies."
        return text, [{"title": "Yes, cancel it", "payload": YES}, {"title": "No, keep it", "payload": NO}]


class ActionManageSubmit(Action):
    def name(self) -> str:
        return "action_manage_submit"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot(SLOT_STOP) or tracker.get_slot(SLOT_M_CONFIRMED) is not True:
            return reset_manage()
        p = content.profile()
        reference = tracker.get_slot(SLOT_M_REFERENCE)
        contact = tracker.get_slot(SLOT_M_CONTACT)
        action = tracker.get_slot(SLOT_M_ACTION)
        try:
            if action == "move":
                new = slot_of(tracker.get_slot(SLOT_M_SLOT))
                record = await db(lambda s: s.move(reference, contact, new))
                text = (f"Done: your booking {record.reference} is moved to {slot_title(new)}. "
                        "See you then!")
            else:
                record = await db(lambda s: s.cancel(reference, contact))
                text = f"Done: your booking {record.reference} is cancelled."
            if record.late:
                text += f"\nAs this was less than {p.policies.cancellation_notice_hours:g} hours before the " \
                        f"appointment, our policy applies: {p.policies.cancellation}"
        except SlotTaken:
            dispatcher.utter_message(text="Sorry, that slot just went. Here are the next free times.")
            return [SlotSet(SLOT_M_SLOT, None), SlotSet(SLOT_M_CONFIRMED, None), SlotSet(SLOT_NOTE, None),
                    FollowupAction(FORM_MANAGE)]
        except SlotUnavailable:
            dispatcher.utter_message(text="Sorry, that time can no longer be booked. Here are the next free times.")
            return [SlotSet(SLOT_M_SLOT, None), SlotSet(SLOT_M_CONFIRMED, None), SlotSet(SLOT_NOTE, None),
                    FollowupAction(FORM_MANAGE)]
        except (BookingNotFound, NotActive) as error:
            dispatcher.utter_message(text=str(error) + " " + contact_text())
            return reset_manage()
        except Exception as error:  # noqa: BLE001 - database down: apologise, nothing changed
            logger.error("cancel/move not saved: %s", type(error).__name__)
            dispatcher.utter_message(text=db_apology() + " Your booking has not been changed.",
                                     buttons=[CALL_BUTTON])
            return reset_manage()
        dispatcher.utter_message(text=text, buttons=[{"title": "Book a session", "payload": "/book_appointment"}]
                                 if action != "move" else [])
        return reset_manage()
