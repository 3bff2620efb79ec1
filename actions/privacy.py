"""The client's own data, in the chat (issue 12, item 9).

"What do you know about me?" lists what the clinic database holds that this
conversation created (pre-screens, bookings, call-back requests:
clinic_core.privacy.conversation_records), plus the chat's messages, in plain
words, and never more than the store holds: the slots are not read. "Forget
me" lists the same, warns about an upcoming booking, asks; a yes erases it
as `python -m clinic_core.privacy erase --sender-id` does, and sets the slot
that makes the tracker store erase the conversation at the end of the turn
(rasa_ext/sql_tracker_store.py): deleting it from here, in the middle of the
turn, would have Rasa write it back when it saves.

Another chat's records are never listed or erased from here, even when bound
to this one through a phone (clinic_core.screening.binding): the chat cannot
prove it is the same person. The wording is the domain's (domain.yml).
"""

from __future__ import annotations

import datetime as dt
import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import content
from actions.constants import SLOT_CONVERSATION_ERASED
from actions.forms import wording
from actions.slot_picking import slot_title
from actions.store import db
from clinic_core.availability import Slot
from clinic_core.booking_store import ACTIVE_STATUSES, BookingRecord, utcnow
from clinic_core.contact import mask_email, mask_phone
from clinic_core.privacy import ConversationRecords, conversation_records, erase

logger = logging.getLogger(__name__)


def _date(value: dt.datetime) -> str:
    local = value.astimezone(content.profile().tz)
    return f"{local.day} {local:%b %Y}"


def _when(booking: BookingRecord) -> str:
    return slot_title(
        Slot(booking.start, booking.end, booking.therapist_id, booking.service_id, booking.minutes)
    )


def _reasons(ids: list[str]) -> str:
    rules = content.rules()
    labels = []
    for cid in ids:
        try:
            labels.append(rules.condition(cid).label or cid.replace("_", " "))
        except KeyError:
            labels.append(cid.replace("_", " "))
    return f" ({', '.join(labels)})" if labels else ""


def held_lines(domain: DomainDict, records: ConversationRecords) -> list[str]:
    """One line per record, then the chat itself."""
    p = content.profile()
    lines = [
        wording(
            domain,
            "utter_my_data_screening",
            date=_date(x["created_at"]),
            outcome=wording(domain, f"utter_outcome_{x['outcome']}"),
            reasons=_reasons(x["reasons"]),
            until=_date(x["retain_until"]),
        )
        for x in records.screenings
    ]
    lines += [
        wording(
            domain,
            "utter_my_data_booking",
            reference=b.reference,
            service=p.service(b.service_id).name,
            when=_when(b),
            status=wording(domain, f"utter_booking_status_{b.status}"),
            name=b.name or "",
            phone_end=mask_phone(b.phone or "")[-4:],
            email=f", email {mask_email(b.email)}" if b.email else "",
        )
        for b in records.bookings
    ]
    lines += [
        wording(
            domain,
            "utter_my_data_callback",
            date=_date(c.created_at),
            best_time=c.best_time or "any time",
            phone_end=mask_phone(c.phone or "")[-4:],
        )
        for c in records.callbacks
    ]
    return lines + [wording(domain, "utter_my_data_chat", days=p.retention.conversation_days)]


def erased_lines(domain: DomainDict, records: ConversationRecords) -> list[str]:
    lines = [
        wording(domain, "utter_erased_screening", date=_date(x["created_at"]))
        for x in records.screenings
    ]
    lines += [
        wording(domain, "utter_erased_booking", reference=b.reference) for b in records.bookings
    ]
    lines += [
        wording(domain, "utter_erased_callback", date=_date(c.created_at))
        for c in records.callbacks
    ]
    return lines + [wording(domain, "utter_erased_chat")]


async def _records(tracker: Tracker) -> ConversationRecords:
    return await db(lambda s: conversation_records(s, tracker.sender_id))


class ActionMyData(Action):
    """What the clinic holds about this conversation."""

    def name(self) -> str:
        return "action_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            records = await _records(tracker)
        except Exception as error:  # noqa: BLE001 - database down: say so, claim nothing
            logger.error("records not read: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_my_data_unavailable")
            return []
        dispatcher.utter_message(
            response="utter_my_data", items="\n".join(held_lines(domain, records))
        )
        return []


class ActionAskErase(Action):
    """ "Forget me": what would be erased, a warning for a booking still to
    come (it stays in the diary without a name or number), and a yes/no."""

    def name(self) -> str:
        return "action_ask_erase"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            records = await _records(tracker)
        except Exception as error:  # noqa: BLE001 - database down: nothing can be erased now
            logger.error("records not read: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_erase_unavailable")
            return []
        now = utcnow()
        warning = "".join(
            wording(domain, "utter_erase_upcoming", reference=b.reference, when=_when(b)) + "\n"
            for b in records.bookings
            if b.status in ACTIVE_STATUSES and b.start > now
        )
        dispatcher.utter_message(
            response="utter_ask_erase",
            items="\n".join(held_lines(domain, records)),
            warning=warning,
        )
        return []


class ActionEraseMyData(Action):
    """The yes to "forget me": erases the clinic's records of this
    conversation, then marks the turn so that the tracker store erases the
    conversation itself instead of saving it."""

    def name(self) -> str:
        return "action_erase_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            records = await _records(tracker)
            await db(lambda s: erase(s, sender_id=tracker.sender_id, include_tracker=False))
        except Exception as error:  # noqa: BLE001 - database down: nothing erased, and said so
            logger.error("erasure failed: %s", type(error).__name__)
            dispatcher.utter_message(response="utter_erase_unavailable")
            return []
        dispatcher.utter_message(
            response="utter_erased", items="\n".join(erased_lines(domain, records))
        )
        return [SlotSet(SLOT_CONVERSATION_ERASED, True)]
