"""Booking, as a Rasa form.

Booking starts from the pre-screen (`action_book`): no outcome yet means the
questions come first; `clearance`, `postpone` and `emergency` never book.
After `ok` or `modify`, `booking_form` asks, skipping whatever is known:

1. the service and its length (`booking_service`, `booking_minutes`): the
   service is known from the pre-screen (body/facial) or the massage type;
2. when (`booking_when`) and the time (`booking_slot`): actions/slot_picking.py;
3. name, phone (email optional), read with clinic_core.text_readers;
4. a summary to confirm (`booking_confirmed`); any answer can be changed.

`action_booking_submit` books in one transaction (BookingStore.book) with the
screening outcome and reasons, and answers with the reference. A slot someone
else took meanwhile (SlotTaken) gets "that slot just went" and the next free
times. An FAQ asked in the middle is answered by the validator (the form
then asks its question again); stop, a person, an emergency end the form by
rules (data/rules/booking.yml).

Personal and health data: nothing here logs slot values or message text.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import content
from actions.constants import (
    BOOK_INTENTS,
    FORM_BOOKING,
    FORM_SCREENING,
    RESPONSE_EMERGENCY,
    SLOT_ALLOWED,
    SLOT_CONFIRMED,
    SLOT_EMAIL,
    SLOT_MASSAGE_TYPE,
    SLOT_MINUTES,
    SLOT_NAME,
    SLOT_NOTE,
    SLOT_OFFERS,
    SLOT_PHONE,
    SLOT_REFERENCE,
    SLOT_SCREENING_OUTCOME,
    SLOT_SCREENING_REASONS,
    SLOT_SCREENING_STATE,
    SLOT_SERVICE,
    SLOT_SLOT,
    SLOT_STOP,
    SLOT_WHEN,
)
from actions.store import db
from clinic_core.booking_store import (
    STATUS_HELD,
    SlotTaken,
    SlotUnavailable,
)
from clinic_core.contact import mask_phone
from clinic_core.dates import (
    parse_date_request,
)
from clinic_core.massage_types import current_service_words
from clinic_core.profile import format_money
from clinic_core.screening.model import may_book
from clinic_core.text_readers import (
    clean_name,
    email_span,
    find_email,
    find_phone,
    minutes_from_text,
)

logger = logging.getLogger(__name__)
from actions.forms import (
    CALL_BUTTON,
    MANAGE_BUTTON,
    NO,
    YES,
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
from actions.slot_picking import (
    ask_pick,
    ask_when,
    now,
    request_of,
    slot_of,
    slot_title,
    validate_pick,
    validate_when,
    when_problem_note,
)

# --------------------------------------------------------------------------- #
# services and texts
# --------------------------------------------------------------------------- #

def bookable_services(tracker: Optional[Tracker] = None) -> list[Any]:
    """Services a client can book here: the ones the pre-screen covers (a
    screening service and a therapist), limited to the screened service."""
    p = content.profile()
    allowed = screened_service(tracker) if tracker is not None else None
    services = [s for s in p.services if s.screening_service and p.therapists_for(s.id)]
    if allowed in ("body", "facial"):
        services = [s for s in services if s.screening_service == allowed]
    return services


def screened_service(tracker: Tracker) -> Optional[str]:
    """body / facial / both: what the pre-screen was about, if known."""
    state = tracker.get_slot(SLOT_SCREENING_STATE)
    service = state.get("service") if isinstance(state, dict) else None
    return service if service in ("body", "facial", "both") else None


def service_for(screening_service: Optional[str]) -> Optional[str]:
    for s in content.profile().services:
        if screening_service and s.screening_service == screening_service and content.profile().therapists_for(s.id):
            return s.id
    return None


def service_from_answer(text: str, tracker: Tracker, allowed: list[Any]) -> Optional[str]:
    """A service id from "the facial", "deep tissue please", a button."""
    ids = [s.id for s in allowed]
    m = re.match(r"^service\s+(\S+)", text)
    if m and m.group(1) in ids:
        return m.group(1)
    if text in ids:
        return text
    found = set()
    types = content.massage_types()
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == SLOT_MASSAGE_TYPE and entity.get("value") in types:
            bookable = types[entity["value"]].bookable_service
            if bookable:
                found.add(bookable)
    said = set(re.findall(r"[a-z]+", text.lower()))
    for screening_service, entry in current_service_words().items():  # clinic/massage_types.yml
        if said & (set(entry.words) | set(entry.booking_words)):
            found.add(service_for(screening_service))
    found = {s for s in found if s in ids}
    return found.pop() if len(found) == 1 else None


def price_text(service_id: str, minutes: int) -> str:
    p = content.profile()
    option = p.service(service_id).option(int(minutes))
    if option is None:
        return ""
    return "free" if option.price == 0 else format_money(option.price, p.currency_symbol)


# --------------------------------------------------------------------------- #
# starting a booking
# --------------------------------------------------------------------------- #

def booking_requests(tracker: Tracker) -> list[str]:
    """What the client typed when asking to book, newest first (this booking
    only: the search stops at the previous booking)."""
    texts = []
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") == "action_booking_submit":
            break
        if event.get("event") == "user":
            text = event.get("text") or ""
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent in BOOK_INTENTS and text and not text.startswith("/"):
                texts.append(text)
    return texts


def reset_booking(keep_contact: bool = True) -> list[EventType]:
    events = [SlotSet(s, None) for s in (SLOT_SERVICE, SLOT_MINUTES, SLOT_WHEN, SLOT_SLOT, SLOT_CONFIRMED,
                                          SLOT_OFFERS, SLOT_NOTE, SLOT_STOP)]
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
        if intent_of(tracker) == "inform_booking" and not text.startswith("/") \
                and parse_date_request(text, now(), content.profile()).problem == "unreadable":
            # a stray name or number outside any form: not a booking request
            dispatcher.utter_message(response="utter_ask_rephrase")
            return closed
        outcome = tracker.get_slot(SLOT_SCREENING_OUTCOME)
        if outcome is None:
            dispatcher.utter_message(
                text="Happy to help you book. First, a few quick questions to make sure "
                "the massage suits you."
            )
            return closed + [FollowupAction(FORM_SCREENING)]
        if outcome == "emergency":
            dispatcher.utter_message(response=RESPONSE_EMERGENCY)
            return closed
        if not may_book(outcome):
            dispatcher.utter_message(
                text="From your answers we can't book you just yet. " + contact_text()
                + "\nI can also ask a therapist to call you back.",
                buttons=[CALL_BUTTON],
            )
            return closed
        if not await store_is_up():
            dispatcher.utter_message(text=db_apology(), buttons=[CALL_BUTTON])
            return closed
        # booking_allowed=true: a rule opens booking_form next
        return reset_booking() + self._prefill(tracker) + [SlotSet(SLOT_ALLOWED, True)]

    @staticmethod
    def _prefill(tracker: Tracker) -> list[EventType]:
        """What is already known: the screened service (or the massage type
        asked about), a length and a date said when asking to book."""
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
        said = booking_requests(tracker)
        if service:
            events.append(SlotSet(SLOT_SERVICE, service))
            options = content.profile().service(service).minutes
            minutes = next((m for m in map(minutes_from_text, said) if m is not None), None)
            if len(options) == 1:
                minutes = options[0]
            if minutes in options:
                events.append(SlotSet(SLOT_MINUTES, minutes))
        wish = next((t for t in said
                     if parse_date_request(t, now(), content.profile()).problem != "unreadable"), None)
        if wish:
            events.append(SlotSet(SLOT_WHEN, wish))
        return events


# --------------------------------------------------------------------------- #
# the booking form
# --------------------------------------------------------------------------- #

class ValidateBookingForm(LeavableForm, FormValidationAction):
    def name(self) -> str:
        return "validate_booking_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        # "stop" or "cancel" while booking ends the booking; "can we move it
        # to Wednesday" (cancel_appointment or stop to the classifier) is an
        # answer for the validators
        if wants_to_stop(tracker, ("stop", "cancel_appointment")):
            stopped_booking(dispatcher, cancelling=intent_of(tracker) == "cancel_appointment")
            return leave_form(reset_booking())
        return await super().run(dispatcher, tracker, domain)

    def validate_booking_service(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        allowed = bookable_services(tracker)
        text = answer_text(value, tracker)
        service = service_from_answer(text, tracker, allowed)
        if service is None:
            if answer_faq_if_asked(dispatcher, tracker, domain):
                return {SLOT_SERVICE: None}
            return {SLOT_SERVICE: None, SLOT_NOTE: note(
                SLOT_SERVICE, "Sorry, which would you like? Pick one below.", replace=False)}
        result: dict[str, Any] = {SLOT_SERVICE: service}
        options = content.profile().service(service).minutes
        m = re.match(r"^service\s+\S+\s+(\d+)$", text)
        minutes = int(m.group(1)) if m else minutes_from_text(text)
        current = tracker.get_slot(SLOT_MINUTES)
        if len(options) == 1:
            minutes = options[0]
        if minutes in options:
            result[SLOT_MINUTES] = minutes
        elif current not in options:
            result[SLOT_MINUTES] = None
        chosen = slot_of(tracker.get_slot(SLOT_SLOT))
        if chosen is not None and (chosen.service_id != service
                                   or chosen.minutes != result.get(SLOT_MINUTES, current)):
            result[SLOT_SLOT] = None
        return result

    def validate_booking_minutes(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        service = tracker.get_slot(SLOT_SERVICE)
        options = content.profile().service(service).minutes if service else []
        if isinstance(value, (int, float)) and int(value) in options:
            return {SLOT_MINUTES: int(value)}
        text = answer_text(value, tracker)
        m = re.match(r"^minutes\s+(\d+)$", text)
        minutes = int(m.group(1)) if m else minutes_from_text(text)
        if minutes is None and re.fullmatch(r"\s*(?:the\s+)?(?:longer|long|longest)(?:\s+one)?\s*", text.lower()):
            minutes = max(options) if options else None
        if minutes is None and re.fullmatch(r"\s*(?:the\s+)?(?:shorter|short|shortest)(?:\s+one)?\s*", text.lower()):
            minutes = min(options) if options else None
        if minutes in options:
            result: dict[str, Any] = {SLOT_MINUTES: minutes}
            current = slot_of(tracker.get_slot(SLOT_SLOT))
            if current is not None and current.minutes != minutes:
                result[SLOT_SLOT] = None
            return result
        if answer_faq_if_asked(dispatcher, tracker, domain):
            return {SLOT_MINUTES: None}
        spoken = " or ".join(str(o) for o in options)
        return {SLOT_MINUTES: None, SLOT_NOTE: note(
            SLOT_MINUTES, f"Sorry, that length isn't on offer: we do {spoken} minutes.", replace=False)}

    def validate_booking_when(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if request_of(value) is not None:
            return {SLOT_WHEN: value}
        return validate_when(answer_text(value, tracker), dispatcher, tracker, domain, SLOT_WHEN, SLOT_SLOT)

    def validate_booking_slot(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return validate_pick(value, dispatcher, tracker, domain, SLOT_WHEN, SLOT_SLOT)

    def validate_booking_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return name_answer(value, dispatcher, tracker, domain, SLOT_NAME,
                           "Sorry, I didn't catch your name. What name should I put the booking under?")

    def validate_booking_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = answer_text(value, tracker)
        region = content.profile().country_code
        result: dict[str, Any] = {}
        email = find_email(text)
        if email:
            result[SLOT_EMAIL] = email
            text = text.replace(email_span(text) or "", " ")
        elif "@" in text:
            return {SLOT_PHONE: None, SLOT_NOTE: note(
                SLOT_PHONE, "That email address doesn't look right. Could you type it again, e.g. "
                "name@example.com? And a phone number, please.")}
        phone = find_phone(text, region) if re.search(r"\d", text) else None
        if phone:
            result[SLOT_PHONE] = phone
            return result
        if email:
            result[SLOT_PHONE] = None
            result[SLOT_NOTE] = note(
                SLOT_PHONE, "Thanks, I've noted your email. We also need a phone number for the booking, "
                "in case we have to reach you on the day. What's your number?")
            return result
        if not re.search(r"\d", text) and answer_faq_if_asked(dispatcher, tracker, domain):
            return {SLOT_PHONE: None}
        return {SLOT_PHONE: None, SLOT_NOTE: note(SLOT_PHONE, phone_problem(text, region))}

    def validate_booking_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is True:
            return {SLOT_CONFIRMED: True}
        text = answer_text(value, tracker)
        lowered = text.lower()
        intent = intent_of(tracker)
        change = re.match(r"^change\s+(\w+)$", text)
        if change:
            return self._change(change.group(1), tracker)
        if intent == "affirm" or re.fullmatch(r"\s*(?:yes|yeah|yep|yup|ok|okay|sure|correct|confirm|"
                                               r"book it|that'?s right|perfect|great|go ahead)\b.{0,20}", lowered):
            if not re.search(r"\b(?:but|change|instead|actually)\b", lowered):
                return {SLOT_CONFIRMED: True}
        # a typed correction: a phone, an email, a name, a date, a service
        region = content.profile().country_code
        email = find_email(text)
        phone = find_phone(text, region) if re.search(r"\d{5}", text) else None
        if email or phone:
            result: dict[str, Any] = {SLOT_CONFIRMED: None}
            if email:
                result[SLOT_EMAIL] = email
            if phone:
                result[SLOT_PHONE] = phone
            return result
        m = re.search(r"\bname(?:'s| is| should be| to)\s+(.+)$", text, re.I)
        if m and clean_name(m.group(1)):
            return {SLOT_CONFIRMED: None, SLOT_NAME: clean_name(m.group(1))}
        keyword = _change_keyword(lowered)
        request = parse_date_request(text, now(), content.profile())
        if request.problem != "unreadable" and keyword in (None, "when"):
            if request.problem is None:
                return {SLOT_CONFIRMED: None, SLOT_WHEN: request.to_dict(), SLOT_SLOT: None}
            return {SLOT_CONFIRMED: None, SLOT_WHEN: None, SLOT_SLOT: None,
                    SLOT_NOTE: when_problem_note(SLOT_WHEN, request)}
        if keyword:
            return self._change(keyword, tracker)
        if answer_faq_if_asked(dispatcher, tracker, domain):
            return {SLOT_CONFIRMED: None}
        if intent == "deny" or re.match(r"^\s*(?:no|nope|not quite|wrong)\b", lowered):
            return {SLOT_CONFIRMED: None, SLOT_NOTE: note(
                SLOT_CONFIRMED, "What would you like to change?", change_buttons(tracker))}
        return {SLOT_CONFIRMED: None, SLOT_NOTE: note(
            SLOT_CONFIRMED, "Sorry, I didn't follow. Shall I book it as it is, or what would you like to change?",
            [{"title": "Yes, book it", "payload": YES}] + change_buttons(tracker))}

    @staticmethod
    def _change(what: str, tracker: Tracker) -> dict[str, Any]:
        result: dict[str, Any] = {SLOT_CONFIRMED: None}
        if what == "service":
            if len(bookable_services(tracker)) < 2 and screened_service(tracker) in ("body", "facial"):
                return {SLOT_CONFIRMED: None, SLOT_NOTE: note(
                    SLOT_CONFIRMED, "Your health check was for this service only. For another one, "
                    "please run the check for it first: say \"check it suits me\" after this booking, "
                    "or stop here.", change_buttons(tracker))}
            result.update({SLOT_SERVICE: None, SLOT_MINUTES: None, SLOT_SLOT: None})
        elif what == "minutes":
            result.update({SLOT_MINUTES: None, SLOT_SLOT: None})
        elif what == "when":
            result.update({SLOT_WHEN: None, SLOT_SLOT: None})
        elif what == "slot":
            result.update({SLOT_SLOT: None})
        elif what == "name":
            result.update({SLOT_NAME: None})
        elif what in ("phone", "contact"):
            result.update({SLOT_PHONE: None, SLOT_EMAIL: None})
        return result


def _change_keyword(lowered: str) -> Optional[str]:
    if re.search(r"\b(?:service|treatment|type|facial|body)\b", lowered):
        return "service"
    if re.search(r"\b(?:length|duration|minutes?|longer|shorter)\b", lowered):
        return "minutes"
    if re.search(r"\b(?:day|date|when|week)\b", lowered):
        return "when"
    if re.search(r"\b(?:time|slot|earlier|later)\b", lowered):
        return "slot"
    if re.search(r"\bname\b", lowered):
        return "name"
    if re.search(r"\b(?:phone|number|mobile|email|contact)\b", lowered):
        return "phone"
    return None


def change_buttons(tracker: Tracker) -> list[dict[str, str]]:
    buttons = []
    if len(bookable_services(tracker)) > 1:
        buttons.append({"title": "The service", "payload": choice("change service")})
    service = tracker.get_slot(SLOT_SERVICE)
    if service and len(content.profile().service(service).minutes) > 1:
        buttons.append({"title": "The length", "payload": choice("change minutes")})
    buttons += [
        {"title": "The day", "payload": choice("change when")},
        {"title": "The time", "payload": choice("change slot")},
        {"title": "My name", "payload": choice("change name")},
        {"title": "My phone / email", "payload": choice("change phone")},
        {"title": "Stop, don't book", "payload": "/stop"},
    ]
    return buttons


class _AskBooking(Action):
    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        pending = take_note(tracker, self.slot)
        if pending and pending.get("replace"):
            dispatcher.utter_message(text=pending["text"], buttons=pending.get("buttons") or [])
            return [SlotSet(SLOT_NOTE, None)]
        text, buttons = self.question(tracker)
        if pending:
            text = pending["text"] + "\n" + text
        dispatcher.utter_message(text=text, buttons=buttons)
        return [SlotSet(SLOT_NOTE, None)] if pending else []

    def question(self, tracker: Tracker) -> tuple[str, list[dict[str, str]]]:
        raise NotImplementedError


class ActionAskBookingService(_AskBooking):
    slot = SLOT_SERVICE

    def question(self, tracker: Tracker) -> tuple[str, list[dict[str, str]]]:
        buttons = []
        for service in bookable_services(tracker):
            for option in service.options:
                buttons.append({
                    "title": f"{service.name}, {option.minutes} min ({price_text(service.id, option.minutes)})",
                    "payload": choice(f"service {service.id} {option.minutes}"),
                })
        return "Which treatment would you like to book?", buttons


class ActionAskBookingMinutes(_AskBooking):
    slot = SLOT_MINUTES

    def question(self, tracker: Tracker) -> tuple[str, list[dict[str, str]]]:
        service = content.profile().service(tracker.get_slot(SLOT_SERVICE))
        buttons = [{"title": f"{o.minutes} min ({price_text(service.id, o.minutes)})",
                    "payload": choice(f"minutes {o.minutes}")} for o in service.options]
        return f"How long would you like your {service.name.lower()} to be?", buttons


class ActionAskBookingWhen(Action):
    def name(self) -> str:
        return "action_ask_booking_when"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return ask_when(dispatcher, tracker, SLOT_WHEN,
                        "When would you like to come in? Tell me a day and time, like \"Friday "
                        "afternoon\" or \"tomorrow at 3\".")


class ActionAskBookingSlot(Action):
    def name(self) -> str:
        return "action_ask_booking_slot"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return await ask_pick(dispatcher, tracker, SLOT_SLOT, SLOT_WHEN, tracker.get_slot(SLOT_SERVICE),
                              tracker.get_slot(SLOT_MINUTES))


class ActionAskBookingName(_AskBooking):
    slot = SLOT_NAME

    def question(self, tracker: Tracker) -> tuple[str, list[dict[str, str]]]:
        chosen = slot_of(tracker.get_slot(SLOT_SLOT))
        lead = f"{slot_title(chosen)} it is. " if chosen else ""
        return lead + "What name should I put the booking under?", []


class ActionAskBookingPhone(_AskBooking):
    slot = SLOT_PHONE

    def question(self, tracker: Tracker) -> tuple[str, list[dict[str, str]]]:
        return ("What's the best phone number to reach you on? You can add your email address too "
                "if you like."), []


def booking_summary(tracker: Tracker) -> str:
    service = content.profile().service(tracker.get_slot(SLOT_SERVICE))
    minutes = int(tracker.get_slot(SLOT_MINUTES))
    slot = slot_of(tracker.get_slot(SLOT_SLOT))
    lines = [
        f"• {service.name}, {minutes} minutes ({price_text(service.id, minutes)})",
        f"• {slot_title(slot)}" if slot else "",
        f"• Name: {tracker.get_slot(SLOT_NAME)}",
        f"• Phone: {tracker.get_slot(SLOT_PHONE)}",
    ]
    if tracker.get_slot(SLOT_EMAIL):
        lines.append(f"• Email: {tracker.get_slot(SLOT_EMAIL)}")
    return "\n".join(line for line in lines if line)


class ActionAskBookingConfirmed(_AskBooking):
    slot = SLOT_CONFIRMED

    def question(self, tracker: Tracker) -> tuple[str, list[dict[str, str]]]:
        text = "Here's your booking:\n" + booking_summary(tracker) + "\nShall I book it?"
        return text, [{"title": "Yes, book it", "payload": YES},
                      {"title": "Change something", "payload": NO},
                      {"title": "Stop, don't book", "payload": "/stop"}]


class ActionBookingSubmit(Action):
    """Writes the booking; SlotTaken -> the next free times; a database
    failure -> an apology, answers kept for a retry."""

    def name(self) -> str:
        return "action_booking_submit"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        slot = slot_of(tracker.get_slot(SLOT_SLOT))
        if tracker.get_slot(SLOT_STOP) or slot is None or tracker.get_slot(SLOT_CONFIRMED) is not True:
            return reset_booking()
        outcome = tracker.get_slot(SLOT_SCREENING_OUTCOME)
        if not may_book(outcome):  # never book without an ok/modify pre-screen
            dispatcher.utter_message(text="Sorry, I can't book you without the health check. " + contact_text(),
                                     buttons=[CALL_BUTTON])
            return reset_booking()
        try:
            record = await db(lambda s: s.book(
                slot, name=tracker.get_slot(SLOT_NAME), phone=tracker.get_slot(SLOT_PHONE),
                email=tracker.get_slot(SLOT_EMAIL), screening_outcome=outcome,
                screening_reasons=[str(r) for r in tracker.get_slot(SLOT_SCREENING_REASONS) or []],
                sender_id=tracker.sender_id,
            ))
        except (SlotTaken, SlotUnavailable) as error:
            what = "that slot just went" if isinstance(error, SlotTaken) else "that time can no longer be booked"
            dispatcher.utter_message(text=f"Sorry, {what}. Here are the next free times.")
            return [SlotSet(SLOT_SLOT, None), SlotSet(SLOT_CONFIRMED, None), SlotSet(SLOT_NOTE, None),
                    FollowupAction(FORM_BOOKING)]
        except Exception as error:  # noqa: BLE001 - database down or invalid data: apologise
            logger.error("booking not saved: %s", type(error).__name__)
            dispatcher.utter_message(
                text=db_apology() + " Nothing has been booked yet; say \"book\" to try again.",
                buttons=[CALL_BUTTON])
            return [SlotSet(SLOT_SLOT, None), SlotSet(SLOT_CONFIRMED, None), SlotSet(SLOT_NOTE, None),
                    SlotSet(SLOT_OFFERS, None)]
        p = content.profile()
        service = p.service(record.service_id)
        if record.status == STATUS_HELD:
            # an earlier pre-screen binds this client (clinic_core.screening.binding):
            # not confirmed, and said so plainly
            dispatcher.utter_message(
                response="utter_booking_held", name=record.name, when=slot_title(slot),
                service=service.name, minutes=record.minutes, reference=record.reference,
                phone_end=mask_phone(record.phone or "")[-4:])
            return reset_booking() + [SlotSet(SLOT_REFERENCE, record.reference)]
        text = (
            f"You're booked in! Your reference is {record.reference}.\n"
            f"{service.name}, {record.minutes} minutes ({price_text(record.service_id, record.minutes)}), "
            f"{slot_title(slot)}, at {p.address_text()}\n"
            "Keep the reference: with it and your phone number or email you can cancel or move the "
            f"booking here.\n{p.cancellation_text()}"
        )
        if outcome == "modify":
            text += "\nYour therapist will see your health-check notes and adapt the session."
        dispatcher.utter_message(text=text, buttons=[
            {"title": "What should I wear?", "payload": '/faq{"faq_topic": "what_to_wear"}'},
            {"title": "How do I get there?", "payload": '/faq{"faq_topic": "location"}'},
            MANAGE_BUTTON,
        ])
        return reset_booking() + [SlotSet(SLOT_REFERENCE, record.reference)]


def stopped_booking(dispatcher: CollectingDispatcher, cancelling: bool = False) -> None:
    text = "OK, I've stopped. Nothing has been booked."
    buttons = [{"title": "Book a session", "payload": "/book_appointment"}]
    if cancelling:
        text += " If you wanted to cancel or move an existing booking, tap below."
        buttons = [MANAGE_BUTTON] + buttons
    dispatcher.utter_message(text=text, buttons=buttons)
