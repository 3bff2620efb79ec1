"""Writing the booking (`action_booking_submit`), after the client confirms
the summary of booking_form.

It books in one transaction (clinic_core.booking_store.BookingStore.book)
with the screening outcome and its reasons, and answers with the reference;
a booking an earlier pre-screen binds is stored held and said so. A slot
someone else took meanwhile (SlotTaken) gets "that slot just went" and the
form offers the next free times; a database failure gets an apology with
the answers kept for a retry. It never books without an `ok` or `modify`
pre-screen (clinic_core.screening.model.may_book).

Personal and health data: nothing here logs slot values or message text.
"""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import content
from actions.booking_gate import reset_booking
from actions.booking_services import price_text
from actions.constants import (
    ACTION_BOOKING_SUBMIT,
    FORM_BOOKING,
    SLOT_CONFIRMED,
    SLOT_EMAIL,
    SLOT_NAME,
    SLOT_OFFERS,
    SLOT_PHONE,
    SLOT_REFERENCE,
    SLOT_SCREENING_OUTCOME,
    SLOT_SCREENING_REASONS,
    SLOT_SLOT,
    SLOT_STOP,
)
from actions.slot_picking import say_slot_problem, slot_of, slot_title
from actions.store import db
from clinic_core.booking_store import STATUS_HELD, SlotTaken, SlotUnavailable
from clinic_core.contact import mask_phone
from clinic_core.screening.model import may_book

logger = logging.getLogger(__name__)


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
            say_slot_problem(dispatcher, error)
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
