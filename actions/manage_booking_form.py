"""Cancelling or moving a booking, as a Rasa form (`manage_booking_form`):
by reference plus the phone number or email used when booking, quoting the
clinic's policy, and warning when the change is inside the notice period
(clinic_core.profile: Policies.is_late_change). Three failed look-ups end
with the clinic's contact details. The wording is the domain's.

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
    INTENT_AFFIRM,
    INTENT_DENY,
    INTENT_STOP,
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
    SLOT_OFFERS,
    SLOT_STOP,
)
from actions.forms import (
    AnswersOnly,
    AskForSlot,
    answer_faq_if_asked,
    answer_text,
    intent_of,
    leave_form,
    store_is_up,
    wants_to_stop,
    wording,
)
from actions.slot_picking import (
    ask_day_again,
    ask_pick,
    ask_when,
    now,
    request_of,
    say_slot_problem,
    slot_of,
    slot_title,
    therapist_name,
    validate_pick,
    validate_when,
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
from clinic_core.dates import describe_date, describe_time, parse_date_request
from clinic_core.text_readers import find_email, find_phone, move_or_cancel, reference_from_text

logger = logging.getLogger(__name__)

_YES = re.compile(r"\s*(?:yes|yeah|yep|ok|okay|sure|please do|go ahead|confirm)\b.{0,20}")
_NO = re.compile(r"^\s*(?:no|nope|keep|leave)\b")


def booking_text(domain: DomainDict, booking: dict[str, Any]) -> str:
    """ "Body massage on Tue 8 Dec at 2pm with Anna (ref K7M2QX)"."""
    p = content.profile()
    start = dt.datetime.fromisoformat(booking["start"]).astimezone(p.tz)
    try:
        service = p.service(booking["service_id"]).name
    except KeyError:
        service = booking["service_id"]
    return wording(
        domain,
        "utter_booking_line",
        service=service,
        date=describe_date(start.date(), short=True),
        time=describe_time(start.time()),
        therapist=therapist_name(booking["therapist_id"]),
        reference=booking["reference"],
    )


def is_late(start_iso: str) -> bool:
    """Whether changing the booking at `start_iso` now is a late change."""
    return content.profile().policies.is_late_change(dt.datetime.fromisoformat(start_iso), now())


def notice_hours() -> str:
    return f"{content.profile().policies.cancellation_notice_hours:g}"


def reset_manage() -> list[EventType]:
    return [
        SlotSet(s, None)
        for s in MANAGE_SLOTS + (SLOT_M_BOOKING, SLOT_M_ATTEMPTS, SLOT_STOP, SLOT_OFFERS)
    ]


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
            dispatcher.utter_message(response="utter_db_apology_offer_call")
            return events + [SlotSet(SLOT_STOP, True)]
        wanted = move_or_cancel(text) if not text.startswith("/") else None
        if wanted:
            events.append(SlotSet(SLOT_M_ACTION, wanted))
        ref = reference_from_text(text) if not text.startswith("/") else None
        if ref:
            events.append(SlotSet(SLOT_M_REFERENCE, ref))
        return events


class ValidateManageBookingForm(AnswersOnly, FormValidationAction):
    def name(self) -> str:
        return "validate_manage_booking_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if wants_to_stop(tracker, (INTENT_STOP,)):  # here "cancel" is an answer
            dispatcher.utter_message(response="utter_manage_stopped")
            return leave_form(reset_manage())
        return await super().run(dispatcher, tracker, domain)

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
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
        ref = reference_from_text(answer_text(value, tracker))
        if ref:
            return {SLOT_M_REFERENCE: ref}
        if not answer_faq_if_asked(dispatcher, tracker, domain):
            dispatcher.utter_message(response="utter_ask_manage_reference_again")
        return {SLOT_M_REFERENCE: None}

    async def validate_manage_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = answer_text(value, tracker)
        region = content.profile().country_code
        contact = find_email(text) or find_phone(text, region)
        if contact is None:
            if not re.search(r"[\d@]", text) and answer_faq_if_asked(dispatcher, tracker, domain):
                return {SLOT_M_CONTACT: None}
            try:
                normalise_contact(text, region)
                dispatcher.utter_message(response="utter_ask_manage_contact_unusable")
            except InvalidContact as error:
                dispatcher.utter_message(
                    response="utter_ask_manage_contact_again", problem=str(error)
                )
            return {SLOT_M_CONTACT: None}
        reference = tracker.get_slot(SLOT_M_REFERENCE)
        try:
            record = await db(lambda s: s.find(reference or "", contact))
        except BookingNotFound:
            attempts = int(tracker.get_slot(SLOT_M_ATTEMPTS) or 0) + 1
            if attempts >= MAX_FIND_ATTEMPTS:
                dispatcher.utter_message(response="utter_manage_not_found")
                return {SLOT_M_CONTACT: None, SLOT_M_ATTEMPTS: attempts, SLOT_STOP: True}
            dispatcher.utter_message(response="utter_ask_manage_reference_not_found")
            return {SLOT_M_REFERENCE: None, SLOT_M_CONTACT: None, SLOT_M_ATTEMPTS: attempts}
        except Exception as error:  # noqa: BLE001 - database down: apologise and stop
            logger.error("booking look-up failed: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_db_apology_offer_call")
            return {SLOT_M_CONTACT: None, SLOT_STOP: True}
        if record.status not in ACTIVE_STATUSES or record.start <= now():
            cancelled = record.status not in ACTIVE_STATUSES
            dispatcher.utter_message(
                response="utter_manage_booking_cancelled"
                if cancelled
                else "utter_manage_booking_passed",
                reference=record.reference,
            )
            return {SLOT_M_CONTACT: None, SLOT_STOP: True}
        return {SLOT_M_CONTACT: contact, SLOT_M_BOOKING: record.to_dict()}

    def validate_manage_action(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value in ("cancel", "move"):
            return {SLOT_M_ACTION: value}
        text = answer_text(value, tracker)
        wanted = move_or_cancel(text)
        if wanted is None and re.search(
            r"\b(?:new|other|different) (?:day|time|date)\b", text.lower()
        ):
            wanted = "move"
        if wanted:
            return {SLOT_M_ACTION: wanted}
        if not answer_faq_if_asked(dispatcher, tracker, domain):
            dispatcher.utter_message(response="utter_ask_manage_action_again")
        return {SLOT_M_ACTION: None}

    def validate_manage_when(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if request_of(value) is not None:
            return {SLOT_M_WHEN: value}
        return validate_when(
            answer_text(value, tracker), dispatcher, tracker, domain, SLOT_M_WHEN, SLOT_M_SLOT
        )

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
        if intent == INTENT_AFFIRM or _YES.fullmatch(lowered):
            return {SLOT_M_CONFIRMED: True}
        if tracker.get_slot(SLOT_M_ACTION) == "move":
            request = parse_date_request(text, now(), content.profile())
            if request.problem is None:
                return {SLOT_M_CONFIRMED: None, SLOT_M_WHEN: request.to_dict(), SLOT_M_SLOT: None}
            if request.problem in ("ambiguous", "past"):
                ask_day_again(dispatcher, request)
                return {SLOT_M_CONFIRMED: None, SLOT_M_WHEN: None, SLOT_M_SLOT: None}
        if answer_faq_if_asked(dispatcher, tracker, domain):
            return {SLOT_M_CONFIRMED: None}
        if intent == INTENT_DENY or _NO.match(lowered):
            dispatcher.utter_message(response="utter_manage_kept")
            return {SLOT_M_CONFIRMED: None, SLOT_STOP: True}
        dispatcher.utter_message(response="utter_ask_manage_confirmed_again")
        return {SLOT_M_CONFIRMED: None}


# --------------------------------------------------------------------------- #
# asking
# --------------------------------------------------------------------------- #


class ActionAskManageReference(AskForSlot):
    slot = SLOT_M_REFERENCE


class ActionAskManageContact(AskForSlot):
    slot = SLOT_M_CONTACT


class ActionAskManageAction(AskForSlot):
    slot = SLOT_M_ACTION

    async def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        booking = tracker.get_slot(SLOT_M_BOOKING) or {}
        dispatcher.utter_message(
            response="utter_ask_manage_action", booking=booking_text(domain, booking)
        )
        return []


class ActionAskManageWhen(AskForSlot):
    slot = SLOT_M_WHEN

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        booking = tracker.get_slot(SLOT_M_BOOKING) or {}
        if booking:
            return ask_when(
                dispatcher,
                tracker,
                SLOT_M_WHEN,
                "utter_ask_manage_when",
                booking=booking_text(domain, booking),
            )
        return ask_when(dispatcher, tracker, SLOT_M_WHEN, "utter_ask_manage_when_no_booking")


class ActionAskManageSlot(AskForSlot):
    slot = SLOT_M_SLOT

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        booking: Any = tracker.get_slot(SLOT_M_BOOKING) or {}  # the slot's JSON
        return await ask_pick(
            dispatcher,
            tracker,
            domain,
            SLOT_M_WHEN,
            booking.get("service_id"),
            booking.get("minutes"),
        )


class ActionAskManageConfirmed(AskForSlot):
    """What will change, the policy, and a warning inside the notice period."""

    slot = SLOT_M_CONFIRMED

    async def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        booking = tracker.get_slot(SLOT_M_BOOKING) or {}
        late = "_late" if is_late(booking["start"]) else ""
        values = {"booking": booking_text(domain, booking), "notice_hours": notice_hours()}
        if tracker.get_slot(SLOT_M_ACTION) == "move":
            new = slot_of(tracker.get_slot(SLOT_M_SLOT))
            dispatcher.utter_message(
                response=f"utter_ask_manage_confirmed_move{late}",
                time=slot_title(new) if new else "",
                **values,
            )
        else:
            dispatcher.utter_message(response=f"utter_ask_manage_confirmed_cancel{late}", **values)
        return []


# --------------------------------------------------------------------------- #
# cancelling or moving
# --------------------------------------------------------------------------- #


class ActionManageSubmit(Action):
    def name(self) -> str:
        return "action_manage_submit"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.get_slot(SLOT_STOP) or tracker.get_slot(SLOT_M_CONFIRMED) is not True:
            return reset_manage()
        reference = tracker.get_slot(SLOT_M_REFERENCE)
        contact = tracker.get_slot(SLOT_M_CONTACT)
        moving = tracker.get_slot(SLOT_M_ACTION) == "move"
        new = slot_of(tracker.get_slot(SLOT_M_SLOT))
        try:
            if moving:
                record = await db(lambda s: s.move(reference, contact, new))
            else:
                record = await db(lambda s: s.cancel(reference, contact))
        except (SlotTaken, SlotUnavailable) as error:
            say_slot_problem(dispatcher, error)
            return [
                SlotSet(SLOT_M_SLOT, None),
                SlotSet(SLOT_M_CONFIRMED, None),
                FollowupAction(FORM_MANAGE),
            ]
        except (BookingNotFound, NotActive) as error:
            dispatcher.utter_message(response="utter_manage_failed", problem=str(error))
            return reset_manage()
        except Exception as error:  # noqa: BLE001 - database down: apologise, nothing changed
            logger.error("cancel/move not saved: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_manage_not_saved")
            return reset_manage()
        late = "_late" if record.late else ""
        if moving:
            dispatcher.utter_message(
                response=f"utter_booking_moved{late}",
                reference=record.reference,
                time=slot_title(new) if new else "",
                notice_hours=notice_hours(),
            )
        else:
            dispatcher.utter_message(
                response=f"utter_booking_cancelled{late}",
                reference=record.reference,
                notice_hours=notice_hours(),
            )
        return reset_manage()
