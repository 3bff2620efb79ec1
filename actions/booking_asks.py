"""The booking form's questions (`action_ask_booking_<slot>`): each step
asked with its buttons (services and lengths with their prices, free times,
the summary), skipping a question whose answer the client already gave
("Wednesday at 2pm" and 2pm is free: the time is taken and the name asked).
The answers are read by actions/booking_form.py; the wording is the
domain's.

Personal and health data: nothing here logs slot values or message text.
"""

from __future__ import annotations

import logging

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import content
from actions.booking_gate import day_wished
from actions.booking_services import bookable_services, length_option_buttons, price_text
from actions.constants import (
    SLOT_CONFIRMED,
    SLOT_EMAIL,
    SLOT_MINUTES,
    SLOT_NAME,
    SLOT_OFFERS,
    SLOT_PHONE,
    SLOT_REQUESTED,
    SLOT_SERVICE,
    SLOT_SLOT,
    SLOT_WHEN,
)
from actions.forms import AskForSlot, already_asked, button, choice
from actions.slot_picking import (
    DAY_AGAIN,
    ask_day_again,
    ask_pick,
    ask_when,
    now,
    request_of,
    slot_of,
    slot_title,
)
from actions.store import db
from actions.therapist_choice import therapist_buttons, therapist_for_times
from clinic_core.availability import Slot, free_slots
from clinic_core.dates import parse_date_request

logger = logging.getLogger(__name__)


class ActionAskBookingService(AskForSlot):
    slot = SLOT_SERVICE

    async def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        buttons = [
            button(
                domain,
                "utter_button_service_option",
                choice(f"service {service.id} {option.minutes}"),
                service=service.name,
                minutes=option.minutes,
                price=price_text(domain, service.id, option.minutes),
            )
            for service in bookable_services(tracker)
            for option in service.options
        ]
        dispatcher.utter_message(response="utter_ask_booking_service", buttons=buttons)
        return []


class ActionAskBookingMinutes(AskForSlot):
    slot = SLOT_MINUTES

    async def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        service = content.profile().service(tracker.get_slot(SLOT_SERVICE))
        buttons = length_option_buttons(domain, service.id, "utter_button_length_option")
        dispatcher.utter_message(
            response="utter_ask_booking_minutes", service=service.name.lower(), buttons=buttons
        )
        return []


class ActionAskBookingWhen(AskForSlot):
    """The day; the first time in a booking, a day said when asking to book
    that needs a clarifying question ("next Tuesday", said on a Tuesday)
    gets that question instead."""

    slot = SLOT_WHEN

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        wish = day_wished(tracker)
        if (
            wish
            and not already_asked(tracker, SLOT_WHEN, DAY_AGAIN)
            and not _asked_in_this_booking(tracker)
        ):
            request = parse_date_request(wish, now(), content.profile())
            if request.problem is not None:
                ask_day_again(dispatcher, request)
                return []
        return ask_when(dispatcher, tracker, SLOT_WHEN, "utter_ask_booking_when")


def _asked_in_this_booking(tracker: Tracker) -> bool:
    """Whether the day was asked for since this booking started."""
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") == "action_book":
            return False
        name = (
            str((event.get("metadata") or {}).get("utter_action") or "")
            if event.get("event") == "bot"
            else ""
        )
        if name.startswith((f"utter_ask_{SLOT_WHEN}", *DAY_AGAIN)):
            return True
    return False


class ActionAskBookingSlot(AskForSlot):
    slot = SLOT_SLOT

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        therapist, forgot = therapist_for_times(dispatcher, tracker)
        exact = (
            await exact_time_free(tracker, therapist) if not tracker.get_slot(SLOT_NAME) else None
        )
        if exact is not None:
            # "deep tissue wed 2pm" and 2pm is free: taken, and the next
            # question asked at once (the summary still lets the client change it)
            dispatcher.utter_message(
                response=f"utter_ask_booking_name{_and_phone(tracker)}_exact",
                time=slot_title(exact),
            )
            return forgot + [
                SlotSet(SLOT_SLOT, exact.to_dict()),
                SlotSet(SLOT_OFFERS, [exact.to_dict()]),
                SlotSet(SLOT_REQUESTED, SLOT_NAME),
            ]
        service = tracker.get_slot(SLOT_SERVICE)
        return forgot + await ask_pick(
            dispatcher,
            tracker,
            domain,
            SLOT_WHEN,
            service,
            tracker.get_slot(SLOT_MINUTES),
            therapist_id=therapist,
            choices=therapist_buttons(domain, service, therapist),
        )


async def exact_time_free(tracker: Tracker, therapist: str | None = None) -> Slot | None:
    """The free slot at exactly the day and time the client asked for
    ("Wednesday at 2pm"), if there is one; None for a range, a part of the
    day, or a time that is taken (then the nearest times are offered); only
    `therapist`'s when the client asked for one."""
    request = request_of(tracker.get_slot(SLOT_WHEN))
    service, minutes = tracker.get_slot(SLOT_SERVICE), tracker.get_slot(SLOT_MINUTES)
    if request is None or request.time_of_day is None or len(request.days) != 1:
        return None
    if not service or not minutes:
        return None
    p = content.profile()
    try:
        slots = await db(
            lambda s: free_slots(
                p, s, service, int(minutes), request, now(), limit=1, therapist_id=therapist
            )
        )
    except Exception as error:  # noqa: BLE001 - the offers (ask_pick) say sorry
        logger.error("free slots unavailable: %s", type(error).__name__)
        return None
    first = slots[0] if slots and slots.in_window else None
    if first is None or request.preferred is None or first.start != request.preferred:
        return None
    return first


class ActionAskBookingName(AskForSlot):
    slot = SLOT_NAME

    async def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        chosen = slot_of(tracker.get_slot(SLOT_SLOT))
        both = _and_phone(tracker)
        if chosen:
            dispatcher.utter_message(
                response=f"utter_ask_booking_name{both}", time=slot_title(chosen)
            )
        else:
            dispatcher.utter_message(response=f"utter_ask_booking_name{both}_no_time")
        return []


def _and_phone(tracker: Tracker) -> str:
    """The name question asks for the phone number too when it is not known
    yet (one turn fewer: both are read from one answer, booking_form.py);
    the suffix of its responses."""
    return "" if tracker.get_slot(SLOT_PHONE) else "_and_phone"


class ActionAskBookingPhone(AskForSlot):
    slot = SLOT_PHONE


class ActionAskBookingConfirmed(AskForSlot):
    """The summary to confirm."""

    slot = SLOT_CONFIRMED

    async def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        service = content.profile().service(tracker.get_slot(SLOT_SERVICE))
        minutes = int(tracker.get_slot(SLOT_MINUTES))
        slot = slot_of(tracker.get_slot(SLOT_SLOT))
        response = (
            "utter_ask_booking_confirmed_with_email"
            if tracker.get_slot(SLOT_EMAIL)
            else "utter_ask_booking_confirmed"
        )
        dispatcher.utter_message(
            response=response,
            service=service.name,
            minutes=minutes,
            price=price_text(domain, service.id, minutes),
            time=slot_title(slot) if slot else "",
        )
        return []
