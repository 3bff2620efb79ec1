"""What the booking, cancel/move and call-back forms share: reading an
answer (a button's choice or the typed text), leaving a form ("stop", "not
now"), answering an FAQ asked instead of an answer, a name, and whether the
clinic database answers.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import content
from actions.constants import (
    ENTITY_CHOICE,
    INTENT_FAQ,
    SLOT_NOTE,
    SLOT_STOP,
)
from actions.faq import utter_faq
from actions.store import db
from clinic_core import text_readers
from clinic_core.dates import (
    parse_date_request,
)
from clinic_core.text_readers import (
    clean_name,
)

logger = logging.getLogger(__name__)

CALL_BUTTON = {"title": "Ask a therapist to call me", "payload": "/human_handoff"}
MANAGE_BUTTON = {"title": "Cancel or move a booking", "payload": "/cancel_appointment"}
YES, NO = "/affirm", "/deny"


def contact_text() -> str:
    p = content.profile()
    return (
        f"You can reach our team on {p.phone} or at {p.email}. "
        "A therapist will be glad to talk it through with you."
    )


def db_apology() -> str:
    """What the client reads when the clinic database cannot be reached."""
    p = content.profile()
    return (
        "Sorry, I can't reach our booking system right now, so I couldn't save anything. "
        f"Please try again in a few minutes, or call us on {p.phone} or email {p.email}."
    )


async def store_is_up() -> bool:
    """Whether the clinic database answers (a cheap read, bounded: actions/store.py)."""
    try:
        start = datetime.now(timezone.utc)
        await db(lambda s: s.busy(start, start + timedelta(minutes=1)))
        return True
    except Exception as error:  # noqa: BLE001 - any storage failure
        logger.error("booking store unavailable: %s", type(error).__name__)
        return False


def intent_of(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


def answer_text(value: Any, tracker: Tracker) -> str:
    """The answer to validate: a button's `booking_choice` when the value is
    this turn's button payload, else the value itself."""
    text = "" if value is None else str(value)
    latest = tracker.latest_message or {}
    if text and text == (latest.get("text") or ""):
        for entity in latest.get("entities") or []:
            if entity.get("entity") == ENTITY_CHOICE and entity.get("value") is not None:
                return str(entity["value"])
    return text.strip()


def choice(text: str) -> str:
    """A button payload carrying `text` as the answer."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'/inform_booking{{"{ENTITY_CHOICE}": "{escaped}"}}'


def note(slot: str, text: str, buttons: Optional[list[dict[str, str]]] = None,
         replace: bool = True) -> dict[str, Any]:
    """A message for the next time `slot` is asked: instead of the question
    (replace) or before it."""
    return {"slot": slot, "text": text, "buttons": buttons or [], "replace": replace}


def take_note(tracker: Tracker, slot: str) -> Optional[dict[str, Any]]:
    value = tracker.get_slot(SLOT_NOTE)
    if isinstance(value, dict) and value.get("slot") == slot:
        return value
    return None


_STOP_WORDS = re.compile(
    r"\b(?:stop|quit|pause|cancel\w*|enough|later|not now|skip|forget (?:it|about it)|never ?mind|leave it|"
    r"don'?t (?:want|book|bother)|no more|abort)\b", re.I)


def wants_to_stop(tracker: Tracker, intents: tuple[str, ...]) -> bool:
    """Whether the client is leaving the form ("stop", "not now", the Stop
    button). The classifier alone is not trusted: "can we do next week
    instead" can look like `stop` to it, and is an answer."""
    text = tracker.latest_message.get("text") or ""
    if text.startswith("/stop"):
        return True
    if intent_of(tracker) not in intents or not _STOP_WORDS.search(text):
        return False

    return parse_date_request(text, datetime.now(timezone.utc), content.profile()).problem is not None


def leave_form(events: list[Any]) -> list[Any]:
    """Events that end the running form at once (its submit action then does nothing)."""
    return events + [SlotSet(SLOT_STOP, True), SlotSet("requested_slot", None)]


def answer_faq_if_asked(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> bool:
    """Answers an FAQ asked instead of an answer (then the form asks again)."""
    return intent_of(tracker) == INTENT_FAQ and utter_faq(dispatcher, tracker, domain)


class LeavableForm:
    """Mixin for forms the client can leave mid-way: once the stop slot is
    set, nothing more is asked. A mixin, not an Action subclass, so the SDK
    does not try to register it as an action."""

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot(SLOT_STOP):
            return []
        return domain_slots


def name_answer(
    value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
    slot: str, retry: str,
) -> dict[str, Any]:
    """A form's "what name?" slot: the cleaned name, else an FAQ answered
    (the question comes again), else the polite retry ``retry``. Shared by
    the booking and call-back forms so both read names the same way."""
    name = clean_name(answer_text(value, tracker))
    if name:
        return {slot: name}
    if answer_faq_if_asked(dispatcher, tracker, domain):
        return {slot: None}
    return {slot: None, SLOT_NOTE: note(slot, retry)}


def phone_problem(text: str, region: str) -> str:
    """The client-friendly reason why `text` is not a usable number."""
    return text_readers.phone_problem(text, region) or "That number doesn't look right. Could you check it?"
