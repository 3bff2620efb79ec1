"""The booking gate: `action_book` answers every request to book.

Booking starts from the pre-screen: no outcome yet means the questions come
first (the screening form runs next); `emergency` gets the emergency
message; `clearance` and `postpone` never book (clinic_core.screening.model
.may_book) and are offered a therapist's call; a database that does not
answer gets the apology before any question. Otherwise `booking_allowed`
is set and a rule opens booking_form (actions/booking_form.py) with what is
already known.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import content
from actions.booking_services import bookable_services, screened_service, service_for
from actions.constants import (
    ACTION_BOOKING_SUBMIT,
    ACTION_CALLBACK_START,
    BOOK_INTENTS,
    ENTITY_CHOICE,
    FORM_BOOKING,
    FORM_SCREENING,
    INTENT_AFFIRM,
    INTENT_INFORM_BOOKING,
    RESPONSE_EMERGENCY,
    SLOT_ALLOWED,
    SLOT_CONFIRMED,
    SLOT_EMAIL,
    SLOT_MASSAGE_TYPE,
    SLOT_MINUTES,
    SLOT_NAME,
    SLOT_OFFERS,
    SLOT_PHONE,
    SLOT_SCREENING_OUTCOME,
    SLOT_SERVICE,
    SLOT_SLOT,
    SLOT_STOP,
    SLOT_THERAPIST,
    SLOT_WHEN,
)
from actions.forms import intent_of, store_is_up
from actions.slot_picking import now
from clinic_core.dates import parse_date_request
from clinic_core.screening.model import may_book
from clinic_core.text_readers import minutes_from_text, therapist_named


def booking_requests(tracker: Tracker) -> list[str]:
    """What the client typed when asking to book, newest first (this booking
    only: the search stops at the previous booking)."""
    texts = []
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") == ACTION_BOOKING_SUBMIT:
            break
        if event.get("event") == "user":
            text = event.get("text") or ""
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent in BOOK_INTENTS and text and not text.startswith("/"):
                texts.append(text)
    return texts


def day_wished(tracker: Tracker) -> str | None:
    """The newest thing said when asking to book that reads as a day ("next
    Tuesday afternoon"), even one that needs a clarifying question."""
    return next(
        (
            t
            for t in booking_requests(tracker)
            if parse_date_request(t, now(), content.profile()).problem != "unreadable"
        ),
        None,
    )


def _answer_now(tracker: Tracker) -> str:
    """This turn's message as an answer: a button's `booking_choice`
    ("minutes 60", the outcome's offer of lengths) or the text typed ("yes,
    an hour please")."""
    latest = tracker.latest_message or {}
    for entity in latest.get("entities") or []:
        if entity.get("entity") == ENTITY_CHOICE and entity.get("value") is not None:
            return str(entity["value"])
    text = latest.get("text") or ""
    return "" if text.startswith("/") else text


def reset_booking(keep_contact: bool = True) -> list[EventType]:
    events = [
        SlotSet(s, None)
        for s in (
            SLOT_SERVICE,
            SLOT_MINUTES,
            SLOT_WHEN,
            SLOT_SLOT,
            SLOT_CONFIRMED,
            SLOT_OFFERS,
            SLOT_STOP,
            SLOT_THERAPIST,
        )
    ]
    if not keep_contact:
        events += [SlotSet(s, None) for s in (SLOT_NAME, SLOT_PHONE, SLOT_EMAIL)]
    return events


class ActionBook(Action):
    """Booking starts from the pre-screen: no outcome yet means the
    questions come first; `clearance` and `postpone` never book."""

    def name(self) -> str:
        return "action_book"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        closed = [SlotSet(SLOT_ALLOWED, False)]
        text = tracker.latest_message.get("text") or ""
        if (
            intent_of(tracker) == INTENT_INFORM_BOOKING
            and not text.startswith("/")
            and parse_date_request(text, now(), content.profile()).problem == "unreadable"
            and minutes_from_text(text) is None  # "an hour please" to the offer's lengths
        ):
            # a stray name or number outside any form: not a booking request
            dispatcher.utter_message(response="utter_ask_rephrase")
            return closed
        outcome = tracker.get_slot(SLOT_SCREENING_OUTCOME)
        if intent_of(tracker) == INTENT_AFFIRM and outcome is not None and not may_book(outcome):
            # "yes" to the outcome's offer of a therapist's call
            return closed + [FollowupAction(ACTION_CALLBACK_START)]
        if outcome is None:
            dispatcher.utter_message(response="utter_book_screening_first")
            return closed + [FollowupAction(FORM_SCREENING)]
        if outcome == "emergency":
            dispatcher.utter_message(response=RESPONSE_EMERGENCY)
            return closed
        if not may_book(outcome):
            dispatcher.utter_message(response="utter_booking_not_possible")
            return closed
        if not await store_is_up():
            dispatcher.utter_message(response="utter_db_apology_offer_call")
            return closed
        # booking_allowed=true: booking_form next (by the rules after a
        # request; as the follow-up after a "yes" or the pre-screen's outcome)
        return (
            reset_booking()
            + self._prefill(tracker)
            + [SlotSet(SLOT_ALLOWED, True), FollowupAction(FORM_BOOKING)]
        )

    @staticmethod
    def _prefill(tracker: Tracker) -> list[EventType]:
        """What is already known: the screened service (or the massage type
        asked about), a length and a day said when asking to book (a day that
        needs a clarifying question is asked about when the form comes to it:
        ActionAskBookingWhen)."""
        events: list[EventType] = []
        service = None
        screened = screened_service(tracker)
        if screened in ("body", "facial"):
            service = service_for(screened)
        else:
            kind = tracker.get_slot(SLOT_MASSAGE_TYPE)
            entry = content.massage_types().get(kind) if isinstance(kind, str) else None
            allowed = [s.id for s in bookable_services(tracker)]
            if entry is not None and entry.bookable_service in allowed:
                service = entry.bookable_service
        if service:
            events.append(SlotSet(SLOT_SERVICE, service))
            options = content.profile().service(service).minutes
            said = [_answer_now(tracker), *booking_requests(tracker)]
            minutes = next((m for m in map(minutes_from_text, said) if m is not None), None)
            if len(options) == 1:
                minutes = options[0]
            if minutes in options:
                events.append(SlotSet(SLOT_MINUTES, minutes))
        wish = day_wished(tracker)
        if wish and parse_date_request(wish, now(), content.profile()).problem is None:
            events.append(SlotSet(SLOT_WHEN, wish))
        return events + therapist_wished(tracker)


def therapist_wished(tracker: Tracker) -> list[EventType]:
    """The therapist named when asking to book ("a massage with Tom on
    Friday"), kept for the offered times (actions/therapist_choice.py)."""
    names = content.profile().therapist_names()
    for text in booking_requests(tracker):
        therapist = therapist_named(text, names)
        if therapist is not None:
            return [SlotSet(SLOT_THERAPIST, therapist)]
    return []
