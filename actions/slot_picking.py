"""Choosing a day and a time, shared by booking and moving a booking: the
date wish read with clinic_core.dates (a clarifying question when it is
ambiguous, past or unreadable), then real free slots from
clinic_core.availability offered as buttons, nearest to the wish.

The wording is the domain's: `utter_ask_day_unclear` and `utter_ask_day_other`
ask for the day again (for either form's day slot), `utter_time_gone` and
`utter_time_unclear` come before the free times are offered again, and
`utter_free_times*` offer them.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import content
from actions.constants import INTENT_DENY, SLOT_OFFERS, SLOT_REQUESTED, SLOT_STOP
from actions.forms import already_asked, answer_faq_if_asked, answer_text, button, choice, intent_of
from actions.store import db
from clinic_core.availability import Slot, free_slots, outside_hours
from clinic_core.booking_store import SlotTaken, SlotUnavailable
from clinic_core.clock import now
from clinic_core.dates import DateRequest, describe_date, describe_time, parse_date_request
from clinic_core.text_readers import offer_index, wants_another_time

logger = logging.getLogger(__name__)

#: the responses that ask for a day again, for the booking's and the move's day slot
DAY_AGAIN = ("utter_ask_day_",)


# --------------------------------------------------------------------------- #
# slots and date wishes as the chat shows them
# --------------------------------------------------------------------------- #


def therapist_name(therapist_id: str) -> str:
    try:
        return content.profile().therapist(therapist_id).name
    except KeyError:
        return therapist_id


def slot_title(slot: Slot) -> str:
    return slot.describe(therapist_name(slot.therapist_id))


def slot_payload(slot: Slot) -> str:
    return choice(f"slot {slot.start.isoformat()} {slot.therapist_id}")


def reading_phrase(request: DateRequest) -> str:
    """A phrase that reads back as exactly this reading ("Tue 24 Nov afternoon")."""
    day = request.earliest.date() if request.earliest else None
    text = describe_date(day, short=True) if day else ""
    if request.time_of_day is not None:
        text += f" at {describe_time(request.time_of_day)}"
    elif request.part_of_day and request.part_of_day != "after school":
        text += f" {request.part_of_day}"
    elif request.time_from and request.time_to:
        text += f" between {describe_time(request.time_from)} and {describe_time(request.time_to)}"
    elif request.time_from:
        text += f" after {describe_time(request.time_from)}"
    elif request.time_to:
        text += f" before {describe_time(request.time_to)}"
    return text.strip()


def request_of(value: Any) -> DateRequest | None:
    if isinstance(value, dict):
        try:
            return DateRequest.from_dict(value)
        except (KeyError, ValueError, TypeError):
            return None
    return None


def slot_of(value: Any) -> Slot | None:
    if isinstance(value, dict):
        try:
            return Slot.from_dict(value)
        except (KeyError, ValueError, TypeError):
            return None
    return None


def say_slot_problem(dispatcher: CollectingDispatcher, error: SlotTaken | SlotUnavailable) -> None:
    """Why the chosen time could not be stored (someone took it meanwhile,
    or it is no longer bookable): one wording for a new booking and a move."""
    dispatcher.utter_message(
        response="utter_slot_taken" if isinstance(error, SlotTaken) else "utter_slot_unavailable"
    )


def ask_day_again(dispatcher: CollectingDispatcher, request: DateRequest) -> None:
    """The clarifying question for an ambiguous / past / unreadable date,
    with each reading as a button (clinic_core.dates words the question)."""
    buttons = [
        {"title": reading_phrase(r), "payload": choice(reading_phrase(r))}
        for r in request.readings
        if r.earliest is not None
    ]
    if request.question:
        dispatcher.utter_message(
            response="utter_ask_day_unclear", question=request.question, buttons=buttons
        )
    else:
        dispatcher.utter_message(response="utter_ask_day_unclear_plain", buttons=buttons)


# --------------------------------------------------------------------------- #
# validating "when" and "which time"
# --------------------------------------------------------------------------- #


def validate_when(
    text: str,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: DomainDict,
    when_slot: str,
    slot_slot: str,
) -> dict[str, Any]:
    """A date wish -> the DateRequest as a dict, or a clarifying question."""
    request = parse_date_request(text, now(), content.profile())
    if request.problem == "unreadable" and answer_faq_if_asked(dispatcher, tracker, domain):
        return {when_slot: None}
    if request.problem is not None:
        ask_day_again(dispatcher, request)
        return {when_slot: None, slot_slot: None}
    return {when_slot: request.to_dict(), slot_slot: None}


def validate_pick(
    value: Any,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: DomainDict,
    when_slot: str,
    slot_slot: str,
) -> dict[str, Any]:
    """The client's pick among the offered times, or a new wish."""
    if slot_of(value) is not None:
        return {slot_slot: value}
    text = answer_text(value, tracker)
    offers = [s for s in (slot_of(o) for o in tracker.get_slot(SLOT_OFFERS) or []) if s is not None]
    m = re.match(r"^slot\s+(\S+)\s+(\S+)$", text)
    if m:
        for offer in offers:
            if offer.start.isoformat() == m.group(1) and offer.therapist_id == m.group(2):
                return {slot_slot: offer.to_dict()}
        dispatcher.utter_message(response="utter_time_gone")
        return {slot_slot: None}
    index = offer_index(text, len(offers))
    if index is not None:
        return {slot_slot: offers[index].to_dict()}
    if intent_of(tracker) == INTENT_DENY or wants_another_time(text):
        dispatcher.utter_message(response="utter_ask_day_other")
        return {slot_slot: None, when_slot: None}
    request = parse_date_request(text, now(), content.profile())
    if request.problem is None and offers:
        matching = [o for o in offers if _fits(o, request)]
        if matching and (request.time_of_day is not None or len(matching) == 1):
            return {slot_slot: matching[0].to_dict()}
    if request.problem is None:
        return {when_slot: request.to_dict(), slot_slot: None}  # a new wish: new offers
    if request.problem in ("ambiguous", "past"):
        ask_day_again(dispatcher, request)
        return {slot_slot: None, when_slot: None}
    if not answer_faq_if_asked(dispatcher, tracker, domain):
        dispatcher.utter_message(response="utter_time_unclear")
    return {slot_slot: None}


def _fits(offer: Slot, request: DateRequest) -> bool:
    start = offer.start.astimezone(content.profile().tz)
    if request.time_of_day is not None and start.time() != request.time_of_day:
        return False
    days = request.days
    if days and len(days) < 7 and start.date() not in days:
        return False
    return True


# --------------------------------------------------------------------------- #
# asking
# --------------------------------------------------------------------------- #


def ask_when(
    dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, response: str, **values: Any
) -> list[EventType]:
    """Asks for the day (the form's `response`, with its quick choices),
    unless a validator already asked for it again this turn."""
    if not already_asked(tracker, slot, DAY_AGAIN):
        dispatcher.utter_message(response=response, **values)
    return []


async def ask_pick(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: DomainDict,
    when_slot: str,
    service_id: str,
    minutes: int,
    therapist_id: str | None = None,
    choices: list[dict[str, str]] | None = None,
) -> list[EventType]:
    """Offers the free slots nearest to the wish as buttons (only
    `therapist_id`'s when given), then the `choices` (booking's therapist
    buttons) and "Another day"."""
    p = content.profile()
    request = request_of(tracker.get_slot(when_slot)) or parse_date_request(
        "as soon as possible", now(), p
    )
    try:
        slots = await db(
            lambda s: free_slots(
                p, s, service_id, int(minutes), request, now(), limit=5, therapist_id=therapist_id
            )
        )
    except Exception as error:  # noqa: BLE001 - database down: apologise and end the form
        logger.error("free slots unavailable: %s", type(error).__name__)
        dispatcher.utter_message(response="utter_db_apology_offer_call")
        return [SlotSet(SLOT_STOP, True), SlotSet(SLOT_REQUESTED, None)]
    slots.sort(key=lambda s: s.start)  # nearest to the wish, shown in time order
    buttons = [{"title": slot_title(s), "payload": slot_payload(s)} for s in slots]
    buttons += choices or []
    buttons.append(button(domain, "utter_button_another_day", choice("another day")))
    wish = request.describe()
    hours = outside_hours(p, request, int(minutes))
    if hours is not None and slots:
        # "Friday at 6pm": said plainly that we close at 5 before the nearest times
        dispatcher.utter_message(
            response="utter_free_times_after_closing"
            if hours.after_closing
            else "utter_free_times_before_opening",
            weekday=f"{hours.day:%A}",
            closes=describe_time(hours.closes),
            opens=describe_time(hours.opens),
            minutes=int(minutes),
            last_start=describe_time(hours.last_start) if hours.last_start else "",
            buttons=buttons,
        )
    elif (
        slots
        and request.preferred is not None
        and request.preferred not in {s.start for s in slots}
    ):
        # "Monday at 10" and 10 is taken: said so, not "free times for ... at 10am"
        dispatcher.utter_message(response="utter_free_times_taken", wish=wish, buttons=buttons)
    elif slots and slots.in_window:
        if wish:
            dispatcher.utter_message(response="utter_free_times", wish=wish, buttons=buttons)
        else:
            dispatcher.utter_message(response="utter_free_times_next", buttons=buttons)
    elif slots:
        if slots.reason:
            dispatcher.utter_message(
                response="utter_free_times_nearest_because", reason=slots.reason, buttons=buttons
            )
        else:
            dispatcher.utter_message(response="utter_free_times_nearest", buttons=buttons)
    elif slots.reason:
        dispatcher.utter_message(
            response="utter_free_times_none_because", reason=slots.reason, buttons=buttons
        )
    else:
        dispatcher.utter_message(response="utter_free_times_none", buttons=buttons)
    return [SlotSet(SLOT_OFFERS, [s.to_dict() for s in slots])]
