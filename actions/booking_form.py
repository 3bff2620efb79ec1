"""Booking, as a Rasa form: its validator (`validate_booking_form`).

Booking starts from the pre-screen (`action_book`, actions/booking_gate.py):
no outcome yet means the questions come first; `clearance`, `postpone` and
`emergency` never book (clinic_core.screening.model.may_book). After `ok` or
`modify`, `booking_form` asks, skipping whatever is known:

1. the service and its length (`booking_service`, `booking_minutes`): the
   service is known from the pre-screen (body/facial) or the massage type;
2. when (`booking_when`) and the time (`booking_slot`): actions/slot_picking.py;
3. name, phone (email optional), read with clinic_core.text_readers;
4. a summary to confirm (`booking_confirmed`); any answer can be changed.

The form's parts live by concern: this module reads the answers; each
question is asked by actions/booking_asks.py; a change of service or health
news typed at any step reopens the pre-screen (actions/booking_reopen.py);
`action_booking_submit` writes the booking (actions/booking_submit.py). An
FAQ asked in the middle is answered by the validator (the form then asks its
question again); stop, a person, an emergency end the form by rules
(data/rules/booking.yml). The wording is the domain's (actions/forms.py says
how a form speaks).

Personal and health data: nothing here logs slot values or message text.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import content
from actions.booking_gate import reset_booking
from actions.booking_reopen import reopen_screening
from actions.booking_services import bookable_services, screened_service, service_from_answer
from actions.constants import (
    INTENT_AFFIRM,
    INTENT_BOOK,
    INTENT_CANCEL,
    INTENT_DENY,
    INTENT_STOP,
    SLOT_CONFIRMED,
    SLOT_EMAIL,
    SLOT_MINUTES,
    SLOT_NAME,
    SLOT_PHONE,
    SLOT_REQUESTED,
    SLOT_SERVICE,
    SLOT_SLOT,
    SLOT_WHEN,
)
from actions.forms import (
    AnswersOnly,
    LeavableForm,
    answer_faq_if_asked,
    answer_text,
    button,
    choice,
    intent_of,
    leave_form,
    name_answer,
    question_answered_first,
    wants_to_stop,
)
from actions.slot_picking import (
    ask_day_again,
    now,
    request_of,
    slot_of,
    validate_pick,
    validate_when,
)
from actions.therapist_choice import read_therapist_wish
from clinic_core.dates import parse_date_request
from clinic_core.text_readers import (
    clean_name,
    email_span,
    find_email,
    find_phone,
    minutes_from_text,
    phone_problem,
    split_name_and_contact,
    without_length,
)

# --------------------------------------------------------------------------- #
# the booking form
# --------------------------------------------------------------------------- #

_YES = re.compile(
    r"\s*(?:yes|yeah|yep|yup|ok|okay|sure|correct|confirm|book it|that'?s right|perfect|great|"
    r"go ahead)\b.{0,20}"
)
_BUT = re.compile(r"\b(?:but|change|instead|actually)\b")
_NO = re.compile(r"^\s*(?:no|nope|not quite|wrong)\b")
_LONGEST = re.compile(r"\s*(?:the\s+)?(?:longer|long|longest)(?:\s+one)?\s*")
_SHORTEST = re.compile(r"\s*(?:the\s+)?(?:shorter|short|shortest)(?:\s+one)?\s*")


class ValidateBookingForm(AnswersOnly, LeavableForm, FormValidationAction):
    def name(self) -> str:
        return "validate_booking_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        # "stop" or "cancel" while booking ends the booking; "can we move it
        # to Wednesday" (cancel_appointment or stop to the classifier) is an
        # answer for the validators
        if wants_to_stop(tracker, (INTENT_STOP, INTENT_CANCEL)):
            cancelling = intent_of(tracker) == INTENT_CANCEL
            dispatcher.utter_message(
                response="utter_booking_stopped_cancelling"
                if cancelling
                else "utter_booking_stopped"
            )
            return leave_form(reset_booking())
        asked = tracker.get_slot(SLOT_REQUESTED)
        if asked and (tracker.latest_message.get("text") or "").startswith(f"/{INTENT_BOOK}"):
            # "Book a session" pressed again while booking (the outcome's button,
            # now that booking goes on by itself): the step is simply asked again
            return [SlotSet(str(asked), None)]
        reopened = reopen_screening(dispatcher, tracker)
        if reopened is not None:
            return reopened
        therapist = await read_therapist_wish(dispatcher, tracker)  # "with Anna", at any step
        if therapist is not None and therapist.answered:
            return therapist.events
        answer = await super().run(dispatcher, tracker, domain)
        return (therapist.events if therapist else []) + answer

    def validate_booking_service(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = answer_text(value, tracker)
        if question_answered_first(dispatcher, tracker, domain, text):
            return {SLOT_SERVICE: None}
        service = service_from_answer(text, tracker, bookable_services(tracker))
        if service is None:
            if not answer_faq_if_asked(dispatcher, tracker, domain):
                dispatcher.utter_message(response="utter_booking_service_invalid")
            return {SLOT_SERVICE: None}
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
        if chosen is not None and (
            chosen.service_id != service or chosen.minutes != result.get(SLOT_MINUTES, current)
        ):
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
        if question_answered_first(dispatcher, tracker, domain, text):
            return {SLOT_MINUTES: None}
        m = re.match(r"^minutes\s+(\d+)$", text)
        minutes = int(m.group(1)) if m else minutes_from_text(text)
        if minutes is None and _LONGEST.fullmatch(text.lower()):
            minutes = max(options) if options else None
        if minutes is None and _SHORTEST.fullmatch(text.lower()):
            minutes = min(options) if options else None
        if minutes in options:
            result: dict[str, Any] = {SLOT_MINUTES: minutes}
            current = slot_of(tracker.get_slot(SLOT_SLOT))
            if current is not None and current.minutes != minutes:
                result[SLOT_SLOT] = None
            return result
        if not answer_faq_if_asked(dispatcher, tracker, domain):
            dispatcher.utter_message(
                response="utter_booking_minutes_invalid",
                options=" or ".join(str(o) for o in options),
            )
        return {SLOT_MINUTES: None}

    def validate_booking_when(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if request_of(value) is not None:
            return {SLOT_WHEN: value}
        text = answer_text(value, tracker)
        if (
            minutes_from_text(text) is not None
            and parse_date_request(without_length(text), now(), content.profile()).problem
            == "unreadable"
        ):
            # a length ("Book 60 min" at the outcome's offer, "yes, an hour
            # please") that opened the form is no day: the day is asked next
            return {SLOT_WHEN: None}
        return validate_when(
            answer_text(value, tracker), dispatcher, tracker, domain, SLOT_WHEN, SLOT_SLOT
        )

    def validate_booking_slot(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return validate_pick(value, dispatcher, tracker, domain, SLOT_WHEN, SLOT_SLOT)

    def validate_booking_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The name, and the phone (and email) typed with it: the question
        asks for both (issue 11, one turn fewer), and a number that does not
        work is asked again as the phone question would."""
        text = answer_text(value, tracker)
        name, contact = split_name_and_contact(text)
        if not contact or tracker.get_slot(SLOT_PHONE):
            return name_answer(value, dispatcher, tracker, domain, SLOT_NAME)
        result = self.validate_booking_phone(contact, dispatcher, tracker, domain)
        cleaned = clean_name(name) if name else None
        if cleaned is None and name:
            dispatcher.utter_message(response="utter_ask_booking_name_again")
        return {**result, SLOT_NAME: cleaned}

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
            dispatcher.utter_message(response="utter_ask_booking_phone_bad_email")
            return {SLOT_PHONE: None}
        phone = find_phone(text, region) if re.search(r"\d", text) else None
        if phone:
            result[SLOT_PHONE] = phone
            return result
        if email:
            dispatcher.utter_message(response="utter_ask_booking_phone_email_only")
            return {**result, SLOT_PHONE: None}
        if not re.search(r"\d", text) and answer_faq_if_asked(dispatcher, tracker, domain):
            return {SLOT_PHONE: None}
        problem = phone_problem(text, region)
        if problem and len(re.sub(r"\D", "", text)) >= 10 and not re.match(r"\s*(?:\+|00)", text):
            # a local-looking number that fails validation: asked again in
            # local terms, not "include the country code, e.g. +1 212"
            dispatcher.utter_message(response="utter_ask_booking_phone_again_local")
        elif problem:
            dispatcher.utter_message(response="utter_ask_booking_phone_again", problem=problem)
        else:
            dispatcher.utter_message(response="utter_ask_booking_phone_unusable")
        return {SLOT_PHONE: None}

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
            return self._change(change.group(1), dispatcher, tracker, domain)
        if (intent == INTENT_AFFIRM or _YES.fullmatch(lowered)) and not _BUT.search(lowered):
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
            ask_day_again(dispatcher, request)
            return {SLOT_CONFIRMED: None, SLOT_WHEN: None, SLOT_SLOT: None}
        if keyword:
            return self._change(keyword, dispatcher, tracker, domain)
        if answer_faq_if_asked(dispatcher, tracker, domain):
            return {SLOT_CONFIRMED: None}
        if intent == INTENT_DENY or _NO.match(lowered):
            dispatcher.utter_message(
                response="utter_ask_booking_confirmed_change",
                buttons=change_buttons(tracker, domain),
            )
        else:
            dispatcher.utter_message(
                response="utter_ask_booking_confirmed_again",
                buttons=change_buttons(tracker, domain),
            )
        return {SLOT_CONFIRMED: None}

    @staticmethod
    def _change(
        what: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        result: dict[str, Any] = {SLOT_CONFIRMED: None}
        if what == "service":
            if len(bookable_services(tracker)) < 2 and screened_service(tracker) in (
                "body",
                "facial",
            ):
                dispatcher.utter_message(
                    response="utter_ask_booking_confirmed_service_fixed",
                    buttons=change_buttons(tracker, domain),
                )
                return result
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


_CHANGE_KEYWORDS = (
    ("service", re.compile(r"\b(?:service|treatment|type|facial|body)\b")),
    ("minutes", re.compile(r"\b(?:length|duration|minutes?|longer|shorter)\b")),
    ("when", re.compile(r"\b(?:day|date|when|week)\b")),
    ("slot", re.compile(r"\b(?:time|slot|earlier|later)\b")),
    ("name", re.compile(r"\bname\b")),
    ("phone", re.compile(r"\b(?:phone|number|mobile|email|contact)\b")),
)


def _change_keyword(lowered: str) -> str | None:
    """Which answer a typed correction at the summary is about."""
    return next((what for what, words in _CHANGE_KEYWORDS if words.search(lowered)), None)


def change_buttons(tracker: Tracker, domain: DomainDict) -> list[dict[str, str]]:
    """One button per answer the client can change (the service and the
    length only when there is a choice), then "Stop, don't book"."""
    which = []
    if len(bookable_services(tracker)) > 1:
        which.append("service")
    service = tracker.get_slot(SLOT_SERVICE)
    if service and len(content.profile().service(service).minutes) > 1:
        which.append("minutes")
    which += ["when", "slot", "name", "phone"]
    buttons = [
        button(domain, f"utter_button_change_{what}", choice(f"change {what}")) for what in which
    ]
    return buttons + [button(domain, "utter_button_stop_booking", f"/{INTENT_STOP}")]
