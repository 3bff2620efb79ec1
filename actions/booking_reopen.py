"""Reopening the pre-screen from inside booking (issue 11, items 5 and 6).

A change of service ("actually a facial instead") or health news ("I'm 30
weeks pregnant") typed at any step of booking_form is read before the
step's own answer: the pre-screen reopens for only what changed
(actions/screening_form.py, reopen_events), the booking's answers are kept,
and booking resumes when the new outcome allows it. Called by the booking
form's validator (actions/booking_form.py) on every turn.

Personal and health data: nothing here logs slot values or message text.
"""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import content
from actions.booking_services import screened_service, service_for
from actions.constants import (
    SLOT_CONFIRMED,
    SLOT_MINUTES,
    SLOT_NAME,
    SLOT_OFFERS,
    SLOT_REQUESTED,
    SLOT_RESUME,
    SLOT_SCREENING_STATE,
    SLOT_SERVICE,
    SLOT_SLOT,
)
from actions.screening_form import reopen_events
from clinic_core.nlp.reader import read
from clinic_core.screening import interview
from clinic_core.text_readers import changes_mind, clean_name, split_name_and_contact


def reopen_screening(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
    """A change of service ("actually a facial instead") or health news
    ("I'm 30 weeks pregnant") typed at any booking step, read before the
    step's own answer so it is never taken for a date or a name (issue 11,
    items 5 and 6): the pre-screen reopens for only what it changes (the
    screening side's reopen_events), the booking's answers are kept, and
    booking resumes when the new outcome allows it (actions/screening_form.py,
    continue_booking). None: neither."""
    text = tracker.latest_message.get("text") or ""
    state = tracker.get_slot(SLOT_SCREENING_STATE)
    if not text or text.startswith("/") or not isinstance(state, dict):
        return None
    if state.get("version") != interview.STATE_VERSION:
        return None  # no pre-screen of this conversation to reopen (a test's bare slots)
    asked = tracker.get_slot(SLOT_REQUESTED)
    if asked == SLOT_NAME:
        name, _ = split_name_and_contact(text)  # asked with the phone number
        if clean_name(name) and len(name.split()) <= 4:
            return None  # a name ("Tia Lewis") is a name, not health news (a TIA)
    reading = read(content.nlp(), text)
    news = interview.new_findings(state, reading, content.rules())
    # a service named with "actually", "instead"... at any step, or any other
    # service named when the service is asked: a change of service
    target = (
        interview.service_wanted(text, reading.massage_types)
        if changes_mind(text) or asked == SLOT_SERVICE
        else None
    )
    new_service = service_for(target) if target in ("body", "facial") else None
    if target == screened_service(tracker) or new_service is None:
        target = None
    if not news and target is None:
        return None
    events: list[EventType] = []
    if news:
        dispatcher.utter_message(response="utter_booking_health_news")
    if target and new_service:
        options = content.profile().service(new_service).minutes
        minutes = tracker.get_slot(SLOT_MINUTES)
        events += [
            SlotSet(SLOT_SERVICE, new_service),
            SlotSet(
                SLOT_MINUTES,
                options[0] if len(options) == 1 else (minutes if minutes in options else None),
            ),
            SlotSet(SLOT_SLOT, None),
            SlotSet(SLOT_OFFERS, None),
        ]
        dispatcher.utter_message(
            response="utter_booking_service_changed",
            service=content.profile().service(new_service).name.lower(),
        )
    if asked:
        # the message was taken as the step's answer before this ran: it is
        # not one, and the step is asked again when booking resumes
        events.append(SlotSet(str(asked), None))
    return (
        events
        + [SlotSet(SLOT_CONFIRMED, None), SlotSet(SLOT_RESUME, True), SlotSet(SLOT_REQUESTED, None)]
        + reopen_events(tracker, news=text if news else None, service=target)
    )
