"""Booking, as a Rasa form.

Booking starts from the pre-screen (`action_book`): no outcome yet means the
questions come first; `clearance`, `postpone` and `emergency` never book
(clinic_core.screening.model.may_book). After `ok` or `modify`,
`booking_form` asks, skipping whatever is known:

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
rules (data/rules/booking.yml). The wording is the domain's (actions/forms.py
says how a form speaks).

Personal and health data: nothing here logs slot values or message text.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import content
from actions.booking_gate import day_wished, reset_booking
from actions.booking_services import (
    bookable_services,
    price_text,
    screened_service,
    service_for,
    service_from_answer,
)
from actions.constants import (
    ACTION_BOOKING_SUBMIT,
    FORM_BOOKING,
    INTENT_AFFIRM,
    INTENT_BOOK,
    INTENT_CANCEL,
    INTENT_DENY,
    INTENT_STOP,
    SLOT_CONFIRMED,
    SLOT_EMAIL,
    SLOT_MINUTES,
    SLOT_NAME,
    SLOT_OFFERS,
    SLOT_PHONE,
    SLOT_REFERENCE,
    SLOT_REQUESTED,
    SLOT_RESUME,
    SLOT_SCREENING_OUTCOME,
    SLOT_SCREENING_REASONS,
    SLOT_SCREENING_STATE,
    SLOT_SERVICE,
    SLOT_SLOT,
    SLOT_STOP,
    SLOT_WHEN,
)
from actions.forms import (
    AnswersOnly,
    AskForSlot,
    LeavableForm,
    already_asked,
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
from actions.screening_form import reopen_events
from actions.slot_picking import (
    DAY_AGAIN,
    ask_day_again,
    ask_pick,
    ask_when,
    now,
    request_of,
    slot_of,
    slot_title,
    validate_pick,
    validate_when,
)
from actions.store import db
from clinic_core.availability import Slot, free_slots
from clinic_core.booking_store import STATUS_HELD, SlotTaken, SlotUnavailable
from clinic_core.contact import mask_phone
from clinic_core.dates import parse_date_request
from clinic_core.nlp.reader import read
from clinic_core.screening import interview
from clinic_core.screening.model import may_book
from clinic_core.text_readers import (
    changes_mind,
    clean_name,
    email_span,
    find_email,
    find_phone,
    minutes_from_text,
    phone_problem,
)

logger = logging.getLogger(__name__)

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
        return await super().run(dispatcher, tracker, domain)

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
        return name_answer(value, dispatcher, tracker, domain, SLOT_NAME)

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
    if asked == SLOT_NAME and clean_name(text) and len(text.split()) <= 4:
        return None  # a name ("Tia Lewis") is a name, not health news (a TIA)
    reading = read(content.nlp(), text)
    news = interview.new_findings(state, reading)
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


# --------------------------------------------------------------------------- #
# asking
# --------------------------------------------------------------------------- #


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
        buttons = [
            button(
                domain,
                "utter_button_length_option",
                choice(f"minutes {o.minutes}"),
                minutes=o.minutes,
                price=price_text(domain, service.id, o.minutes),
            )
            for o in service.options
        ]
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
        exact = await exact_time_free(tracker) if not tracker.get_slot(SLOT_NAME) else None
        if exact is not None:
            # "deep tissue wed 2pm" and 2pm is free: taken, and the next
            # question asked at once (the summary still lets the client change it)
            dispatcher.utter_message(
                response="utter_ask_booking_name_exact", time=slot_title(exact)
            )
            return [
                SlotSet(SLOT_SLOT, exact.to_dict()),
                SlotSet(SLOT_OFFERS, [exact.to_dict()]),
                SlotSet(SLOT_REQUESTED, SLOT_NAME),
            ]
        return await ask_pick(
            dispatcher,
            tracker,
            domain,
            SLOT_WHEN,
            tracker.get_slot(SLOT_SERVICE),
            tracker.get_slot(SLOT_MINUTES),
        )


async def exact_time_free(tracker: Tracker) -> Slot | None:
    """The free slot at exactly the day and time the client asked for
    ("Wednesday at 2pm"), if there is one; None for a range, a part of the
    day, or a time that is taken (then the nearest times are offered)."""
    request = request_of(tracker.get_slot(SLOT_WHEN))
    service, minutes = tracker.get_slot(SLOT_SERVICE), tracker.get_slot(SLOT_MINUTES)
    if request is None or request.time_of_day is None or len(request.days) != 1:
        return None
    if not service or not minutes:
        return None
    p = content.profile()
    try:
        slots = await db(lambda s: free_slots(p, s, service, int(minutes), request, now(), limit=1))
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
        if chosen:
            dispatcher.utter_message(response="utter_ask_booking_name", time=slot_title(chosen))
        else:
            dispatcher.utter_message(response="utter_ask_booking_name_no_time")
        return []


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


# --------------------------------------------------------------------------- #
# booking
# --------------------------------------------------------------------------- #


class ActionBookingSubmit(Action):
    """Writes the booking; SlotTaken -> the next free times; a database
    failure -> an apology, answers kept for a retry."""

    def name(self) -> str:
        return ACTION_BOOKING_SUBMIT

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        slot = slot_of(tracker.get_slot(SLOT_SLOT))
        if (
            tracker.get_slot(SLOT_STOP)
            or slot is None
            or tracker.get_slot(SLOT_CONFIRMED) is not True
        ):
            return reset_booking()
        outcome = tracker.get_slot(SLOT_SCREENING_OUTCOME)
        if not may_book(outcome):  # never book without an ok/modify pre-screen
            dispatcher.utter_message(response="utter_booking_needs_screening")
            return reset_booking()
        try:
            record = await db(
                lambda s: s.book(
                    slot,
                    name=tracker.get_slot(SLOT_NAME),
                    phone=tracker.get_slot(SLOT_PHONE),
                    email=tracker.get_slot(SLOT_EMAIL),
                    screening_outcome=outcome,
                    screening_reasons=[
                        str(r) for r in tracker.get_slot(SLOT_SCREENING_REASONS) or []
                    ],
                    sender_id=tracker.sender_id,
                )
            )
        except (SlotTaken, SlotUnavailable) as error:
            dispatcher.utter_message(
                response="utter_slot_taken"
                if isinstance(error, SlotTaken)
                else "utter_slot_unavailable"
            )
            return [
                SlotSet(SLOT_SLOT, None),
                SlotSet(SLOT_CONFIRMED, None),
                FollowupAction(FORM_BOOKING),
            ]
        except Exception as error:  # noqa: BLE001 - database down or invalid data: apologise
            logger.error("booking not saved: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_booking_not_saved")
            return [
                SlotSet(SLOT_SLOT, None),
                SlotSet(SLOT_CONFIRMED, None),
                SlotSet(SLOT_OFFERS, None),
            ]
        service = content.profile().service(record.service_id)
        values = {
            "reference": record.reference,
            "service": service.name,
            "minutes": record.minutes,
            "time": slot_title(slot),
        }
        if record.status == STATUS_HELD:
            # an earlier pre-screen binds this client (clinic_core.screening.binding):
            # not confirmed, and said so plainly
            dispatcher.utter_message(
                response="utter_booking_held",
                name=record.name,
                when=values["time"],
                service=service.name,
                minutes=record.minutes,
                reference=record.reference,
                phone_end=mask_phone(record.phone or "")[-4:],
            )
        else:
            dispatcher.utter_message(
                response="utter_booked_modify" if outcome == "modify" else "utter_booked",
                price=price_text(domain, record.service_id, record.minutes),
                **values,
            )
        return reset_booking() + [SlotSet(SLOT_REFERENCE, record.reference)]
