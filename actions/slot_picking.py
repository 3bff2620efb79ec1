"""Choosing a day and a time, shared by booking and moving a booking: the
date wish read with clinic_core.dates (a clarifying question when it is
ambiguous, past or unreadable), then real free slots from
clinic_core.availability offered as buttons, nearest to the wish.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import content
from actions.constants import (
    SLOT_NOTE,
    SLOT_OFFERS,
    SLOT_STOP,
)
from actions.store import db
from clinic_core.availability import Slot, free_slots
from clinic_core.dates import (
    DateRequest,
    describe_date,
    describe_time,
    parse_date_request,
)
from clinic_core.text_readers import (
    offer_index,
    wants_another_time,
)

logger = logging.getLogger(__name__)
from actions.forms import (
    CALL_BUTTON,
    answer_faq_if_asked,
    answer_text,
    choice,
    db_apology,
    intent_of,
    note,
    take_note,
)


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)



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


def request_of(value: Any) -> Optional[DateRequest]:
    if isinstance(value, dict):
        try:
            return DateRequest.from_dict(value)
        except (KeyError, ValueError, TypeError):
            return None
    return None


def slot_of(value: Any) -> Optional[Slot]:
    if isinstance(value, dict):
        try:
            return Slot.from_dict(value)
        except (KeyError, ValueError, TypeError):
            return None
    return None


def when_problem_note(slot: str, request: DateRequest) -> dict[str, Any]:
    """The clarifying question for an ambiguous / past / unreadable date."""
    buttons = [{"title": reading_phrase(r), "payload": choice(reading_phrase(r))}
               for r in request.readings if r.earliest is not None]
    return note(slot, request.question or "Which day and time would suit you?", buttons)


# --------------------------------------------------------------------------- #
# "when" and "which time": shared by booking and moving
# --------------------------------------------------------------------------- #

def validate_when(text: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                  when_slot: str, slot_slot: str) -> dict[str, Any]:
    """A date wish -> the DateRequest as a dict, or a clarifying question."""
    p = content.profile()
    request = parse_date_request(text, now(), p)
    if request.problem == "unreadable" and answer_faq_if_asked(dispatcher, tracker, domain):
        return {when_slot: None}
    if request.problem is not None:
        return {when_slot: None, slot_slot: None, SLOT_NOTE: when_problem_note(when_slot, request)}
    return {when_slot: request.to_dict(), slot_slot: None}


def validate_pick(value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                  when_slot: str, slot_slot: str) -> dict[str, Any]:
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
        return {slot_slot: None, SLOT_NOTE: note(
            slot_slot, "Sorry, that time is no longer on offer. Here are the current free times:", replace=False)}
    index = offer_index(text, len(offers))
    if index is not None:
        return {slot_slot: offers[index].to_dict()}
    if intent_of(tracker) == "deny" or wants_another_time(text):
        return {slot_slot: None, when_slot: None, SLOT_NOTE: note(
            when_slot, "No problem. Which other day or time would suit you?")}
    request = parse_date_request(text, now(), content.profile())
    if request.problem is None and offers:
        matching = [o for o in offers if _fits(o, request)]
        if matching and (request.time_of_day is not None or len(matching) == 1):
            return {slot_slot: matching[0].to_dict()}
    if request.problem is None:
        return {when_slot: request.to_dict(), slot_slot: None}  # a new wish: new offers
    if request.problem in ("ambiguous", "past"):
        return {slot_slot: None, when_slot: None, SLOT_NOTE: when_problem_note(when_slot, request)}
    if answer_faq_if_asked(dispatcher, tracker, domain):
        return {slot_slot: None}
    return {slot_slot: None, SLOT_NOTE: note(
        slot_slot, "Sorry, I didn't catch which time you'd like. Pick one of these, or tell me another "
        "day and time:", replace=False)}


def _fits(offer: Slot, request: DateRequest) -> bool:
    start = offer.start.astimezone(content.profile().tz)
    if request.time_of_day is not None and start.time() != request.time_of_day:
        return False
    days = request.days
    if days and len(days) < 7 and start.date() not in days:
        return False
    return True


def ask_when(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, question: str) -> list[EventType]:
    pending = take_note(tracker, slot)
    if pending:
        dispatcher.utter_message(text=pending["text"], buttons=pending.get("buttons") or [])
        if pending.get("replace"):
            return [SlotSet(SLOT_NOTE, None)]
    dispatcher.utter_message(
        text=question,
        buttons=[{"title": "As soon as possible", "payload": choice("as soon as possible")},
                 {"title": "Tomorrow", "payload": choice("tomorrow")},
                 {"title": "This week", "payload": choice("this week")},
                 {"title": "Next week", "payload": choice("next week")}],
    )
    return [SlotSet(SLOT_NOTE, None)] if pending else []


async def ask_pick(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, when_slot: str,
                   service_id: str, minutes: int) -> list[EventType]:
    """Offers the free slots nearest to the wish as buttons."""
    pending = take_note(tracker, slot)
    events: list[EventType] = [SlotSet(SLOT_NOTE, None)] if pending else []
    request = request_of(tracker.get_slot(when_slot)) or parse_date_request("as soon as possible", now(),
                                                                           content.profile())
    p = content.profile()
    try:
        slots = await db(lambda s: free_slots(p, s, service_id, int(minutes), request, now(), limit=5))
    except Exception as error:  # noqa: BLE001 - database down: apologise and end the form
        logger.error("free slots unavailable: %s", type(error).__name__)
        dispatcher.utter_message(text=db_apology(), buttons=[CALL_BUTTON])
        return events + [SlotSet(SLOT_STOP, True), SlotSet("requested_slot", None)]
    lines = []
    if pending and pending.get("text"):
        lines.append(pending["text"])
    wish = request.describe()
    if slots and slots.in_window:
        lines.append(f"Here are the free times for {wish}:" if wish else "Here are the next free times:")
    elif slots:
        lines.append((slots.reason + " " if slots.reason else "") + "The nearest free times are:")
    else:
        lines.append((slots.reason or "Sorry, nothing is free then.") + " Which other day would suit you?")
    if slots:
        lines.append("Tap one, or tell me another day and time.")
    buttons = [{"title": slot_title(s), "payload": slot_payload(s)} for s in slots]
    buttons.append({"title": "Another day", "payload": choice("another day")})
    dispatcher.utter_message(text="\n".join(lines), buttons=buttons)
    return events + [SlotSet(SLOT_OFFERS, [s.to_dict() for s in slots])]
