"""A therapist the client asks for while booking ("with Anna", "can I see
Tom again?"), at any booking step, the first message included.

Why no question of its own: most clients don't mind who they see, so the
choice costs them no turn. A name said in any booking message is kept
(`booking_therapist`) and the offered times are then only that therapist's;
where several therapists do the service, the times come with a button per
therapist ("Only with Tom") and one to widen again ("Any therapist"); with
one therapist for the service nothing about choosing is shown. A therapist
who does not do the service is said plainly, with who does. Who works here
and what each does is the clinic profile's (clinic/profile.yml,
`therapists`); the wording is the domain's. The profile says nothing about
the therapists' gender, so "a woman"/"a man" is not read here (the FAQ
answer `client_info.therapist_choice` says to call).

Personal data: a therapist's id only; nothing here logs message text.
"""

from __future__ import annotations

import logging
import re
from typing import Any, NamedTuple

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import content
from actions.constants import (
    SLOT_CONFIRMED,
    SLOT_MINUTES,
    SLOT_NAME,
    SLOT_PHONE,
    SLOT_REQUESTED,
    SLOT_SERVICE,
    SLOT_SLOT,
    SLOT_THERAPIST,
    SLOT_WHEN,
)
from actions.forms import Button, answer_text, button, choice
from actions.slot_picking import request_of, slot_of
from actions.store import db
from clinic_core.availability import Slot, free_slots
from clinic_core.clock import now
from clinic_core.dates import parse_date_request
from clinic_core.text_readers import only_names_a_therapist, therapist_named

logger = logging.getLogger(__name__)

ANY = "any"
_BUTTON = re.compile(r"^therapist\s+(\S+)$")
# a correction of the client's own name at the summary ("change the name to Anna Lee")
_OWN_NAME = re.compile(r"\bname\b", re.I)


class TherapistWish(NamedTuple):
    """What a message's therapist choice does: `events` to apply, and
    whether the message held nothing else (`answered`: the step is asked
    again with the choice applied, not read as the step's answer)."""

    events: list[EventType]
    answered: bool


def therapist_names() -> dict[str, str]:
    return content.profile().therapist_names()


def does_service(therapist_id: str, service_id: str) -> bool:
    return any(t.id == therapist_id for t in content.profile().therapists_for(service_id))


def chosen_therapist(tracker: Tracker) -> str | None:
    """The therapist asked for in this booking, if the profile still has them."""
    value = tracker.get_slot(SLOT_THERAPIST)
    return value if isinstance(value, str) and value in therapist_names() else None


def _wished(tracker: Tracker) -> tuple[str, bool] | None:
    """(therapist id or ANY, says nothing else) from the latest message."""
    typed = (tracker.latest_message or {}).get("text") or ""
    text = answer_text(typed, tracker)
    if typed.startswith("/"):  # a button: only "Only with Tom" / "Any therapist" choose
        pressed = _BUTTON.match(text)
        wish = pressed.group(1) if pressed else None
        return (wish, True) if wish == ANY or wish in therapist_names() else None
    if _OWN_NAME.search(text):
        return None
    names = therapist_names()
    therapist = therapist_named(text, names)
    if therapist is None:
        return None
    return therapist, only_names_a_therapist(text, names[therapist])


async def read_therapist_wish(
    dispatcher: CollectingDispatcher, tracker: Tracker
) -> TherapistWish | None:
    """A therapist named in a booking message, at any step but the client's
    own name and number; None when the message names none."""
    requested = tracker.get_slot(SLOT_REQUESTED)
    if requested in (SLOT_NAME, SLOT_PHONE):
        return None
    wished = _wished(tracker)
    if wished is None:
        return None
    therapist, only = wished
    again = [SlotSet(str(requested), None)] if requested and only else []
    service = tracker.get_slot(SLOT_SERVICE)
    if therapist == ANY:
        dispatcher.utter_message(response="utter_booking_therapist_any")
        return TherapistWish([SlotSet(SLOT_THERAPIST, None), *_new_times(requested), *again], True)
    if service and not does_service(therapist, service):
        say_not_offered(dispatcher, therapist, service)
        return TherapistWish(again, only)
    chosen = [SlotSet(SLOT_THERAPIST, therapist)]
    name = therapist_names()[therapist]
    if requested in (SLOT_SLOT, SLOT_CONFIRMED) and not only:
        text = answer_text(tracker.latest_message.get("text"), tracker)
        request = parse_date_request(text, now(), content.profile())
        if request.problem is None:  # "Tom on Thursday instead": a new wish, new times
            dispatcher.utter_message(response="utter_booking_therapist_chosen", therapist=name)
            return TherapistWish(
                chosen + [SlotSet(SLOT_WHEN, request.to_dict()), *_new_times(requested)], True
            )
        only = True
    if not only:  # "60 minutes with Anna": the step reads the rest
        return TherapistWish(chosen, False)
    dispatcher.utter_message(response="utter_booking_therapist_chosen", therapist=name)
    if requested == SLOT_CONFIRMED:
        same = await _same_time_with(tracker, therapist)
        if same is not None:  # the same time is free with them: only the summary again
            return TherapistWish(
                chosen + [SlotSet(SLOT_SLOT, same.to_dict()), SlotSet(SLOT_CONFIRMED, None)], True
            )
    return TherapistWish(chosen + _new_times(requested) + again, True)


def _new_times(requested: Any) -> list[EventType]:
    """At the times or the summary, a new choice means new times."""
    if requested in (SLOT_SLOT, SLOT_CONFIRMED):
        return [SlotSet(SLOT_SLOT, None), SlotSet(SLOT_CONFIRMED, None)]
    return []


async def _same_time_with(tracker: Tracker, therapist: str) -> Slot | None:
    """The chosen time, with `therapist` instead, if it is free."""
    current = slot_of(tracker.get_slot(SLOT_SLOT))
    if current is None or current.therapist_id == therapist:
        return current
    p = content.profile()
    request = request_of(tracker.get_slot(SLOT_WHEN)) or parse_date_request(
        "as soon as possible", now(), p
    )
    minutes = int(tracker.get_slot(SLOT_MINUTES) or current.minutes)
    try:
        slots = await db(
            lambda s: free_slots(
                p, s, current.service_id, minutes, request, now(), limit=50, therapist_id=therapist
            )
        )
    except Exception as error:  # noqa: BLE001 - the times are offered (and apologised for) instead
        logger.error("free slots unavailable: %s", type(error).__name__)
        return None
    return next((s for s in slots if s.start == current.start), None)


def say_not_offered(dispatcher: CollectingDispatcher, therapist_id: str, service_id: str) -> None:
    """ "Sorry, Tom doesn't do therapeutic facial massage; Anna does." (and
    what Tom does instead)."""
    p = content.profile()
    service = p.service(service_id)
    others = [t.name for t in p.therapists_for(service_id)]
    theirs = [
        s.name.lower()
        for s in p.services
        if s.screening_service and s.id != service_id and does_service(therapist_id, s.id)
    ]
    dispatcher.utter_message(
        response="utter_booking_therapist_not_offered_other"
        if theirs
        else "utter_booking_therapist_not_offered",
        therapist=therapist_names()[therapist_id],
        service=service.name.lower(),
        others=" or ".join(others),
        theirs=" or ".join(theirs),
    )


def therapist_for_times(
    dispatcher: CollectingDispatcher, tracker: Tracker
) -> tuple[str | None, list[EventType]]:
    """The therapist whose times to offer: the one asked for, unless they
    don't do the service chosen since ("facial with Tom" in the first
    message): then said plainly, forgotten, and any therapist's times."""
    therapist, service = chosen_therapist(tracker), tracker.get_slot(SLOT_SERVICE)
    if therapist and service and not does_service(therapist, service):
        say_not_offered(dispatcher, therapist, service)
        return None, [SlotSet(SLOT_THERAPIST, None)]
    return therapist, []


def therapist_buttons(domain: DomainDict, service_id: str, chosen: str | None) -> list[Button]:
    """Beside the times, where several therapists do the service: one
    button per other therapist, and "Any therapist" once one is chosen."""
    therapists = content.profile().therapists_for(service_id)
    if len(therapists) < 2:
        return []
    buttons = [
        button(domain, "utter_button_therapist_only", choice(f"therapist {t.id}"), therapist=t.name)
        for t in therapists
        if t.id != chosen
    ]
    if chosen:
        buttons.append(button(domain, "utter_button_therapist_any", choice(f"therapist {ANY}")))
    return buttons
