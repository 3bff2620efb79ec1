"""What the booking, cancel/move and call-back forms share: reading an
answer (a button's choice or the typed text), leaving a form ("stop", "not
now"), answering an FAQ asked instead of an answer, a name, whether the
clinic database answers, and asking for a slot.

How a form speaks (the wording is the domain's, chosen by name):

* `utter_ask_<slot>` asks for a slot. Every slot of these forms is asked by
  an `AskForSlot` action, which adds what the question needs (values,
  buttons built from data).
* A validator that cannot use an answer says why before the question comes
  again, with `utter_<slot>_invalid` (or `utter_<slot>_invalid_<why>`).
* When the reason is itself the question ("which Tuesday do you mean?",
  with the two readings as buttons), the validator says
  `utter_ask_<slot>_<why>`, and the form's own question is not repeated in
  that turn (`already_asked`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import content
from actions.constants import (
    ENTITY_CHOICE,
    INTENT_FAQ,
    INTENT_INFORM_BOOKING,
    SLOT_REQUESTED,
    SLOT_STOP,
)
from actions.faq import utter_faq
from actions.store import db
from clinic_core import clock
from clinic_core.dates import parse_date_request
from clinic_core.text_readers import clean_name

logger = logging.getLogger(__name__)

Button = dict[str, str]

# --------------------------------------------------------------------------- #
# wording
# --------------------------------------------------------------------------- #


def wording(domain: DomainDict, response: str, **values: Any) -> str:
    """The text of a one-line response of the domain, filled: for the words
    an action puts together (lines joined into one message, the titles of
    buttons built from data), which are reviewed wording like any response."""
    variations = (domain.get("responses") or {}).get(response) or [{}]
    return str(variations[0].get("text") or "").format(**values)


def button(domain: DomainDict, response: str, payload: str, **values: Any) -> Button:
    """A button whose title is the domain's one-line response `response`."""
    return {"title": wording(domain, response, **values), "payload": payload}


def choice(text: str) -> str:
    """A button payload carrying `text` as the answer."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'/{INTENT_INFORM_BOOKING}{{"{ENTITY_CHOICE}": "{escaped}"}}'


# --------------------------------------------------------------------------- #
# reading an answer
# --------------------------------------------------------------------------- #


def intent_of(tracker: Tracker) -> str | None:
    name = (tracker.latest_message.get("intent") or {}).get("name")
    return str(name) if name else None


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


def answer_faq_if_asked(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
) -> bool:
    """Answers an FAQ asked instead of an answer (then the form asks again)."""
    return intent_of(tracker) == INTENT_FAQ and utter_faq(dispatcher, tracker, domain)


_QUESTION = re.compile(
    r"^\s*(?:what|what's|whats|which|how|why|where|when|who|is|are|do|does|will|would)\b|\?\s*$",
    re.I,
)


def question_answered_first(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, text: str
) -> bool:
    """A question asked at a form step ("what's the difference between 60
    and 90 minutes?") is answered, not read as the step's answer, even when
    it holds words of an answer; the step is then asked again."""
    return bool(_QUESTION.search(text)) and answer_faq_if_asked(dispatcher, tracker, domain)


def name_answer(
    value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, slot: str
) -> dict[str, Any]:
    """A form's "what name?" slot: the cleaned name, else an FAQ answered
    (the question comes again), else `utter_ask_<slot>_again`. Shared by the
    booking and call-back forms so both read names the same way."""
    name = clean_name(answer_text(value, tracker))
    if name:
        return {slot: name}
    if not answer_faq_if_asked(dispatcher, tracker, domain):
        dispatcher.utter_message(response=f"utter_ask_{slot}_again")
    return {slot: None}


# --------------------------------------------------------------------------- #
# leaving a form
# --------------------------------------------------------------------------- #

_STOP_WORDS = re.compile(
    r"\b(?:stop|quit|pause|cancel\w*|enough|later|not now|skip|forget (?:it|about it)|never ?mind|leave it|"
    r"don'?t (?:want|book|bother)|no more|abort)\b",
    re.I,
)


def wants_to_stop(tracker: Tracker, intents: tuple[str, ...]) -> bool:
    """Whether the client is leaving the form ("stop", "not now", the Stop
    button). The classifier alone is not trusted: "can we do next week
    instead" can look like `stop` to it, and is an answer."""
    text = tracker.latest_message.get("text") or ""
    if text.startswith("/stop"):
        return True
    if intent_of(tracker) not in intents or not _STOP_WORDS.search(text):
        return False
    # a date wish is an answer, not a stop
    return parse_date_request(text, clock.now(), content.profile()).problem is not None


def leave_form(events: list[EventType]) -> list[EventType]:
    """Events that end the running form at once (its submit action then does nothing)."""
    return events + [SlotSet(SLOT_STOP, True), SlotSet(SLOT_REQUESTED, None)]


class AnswersOnly:
    """Mixin for form validation actions: validates what the client
    answered, not the slots an action cleared in this turn (action_book and
    action_callback_start reset their form's slots to None before the form
    starts; Rasa hands those to the validation action as candidates too, and
    an empty value is no answer to complain about). A mixin, not an Action
    subclass, so the SDK does not try to register it as an action."""

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        answers = tracker.copy()
        candidates = {
            name: value for name, value in tracker.slots_to_validate().items() if value is not None
        }
        answers.slots_to_validate = lambda: candidates
        # a mixin: FormValidationAction comes after it in the form's bases
        return await super().get_validation_events(dispatcher, answers, domain)  # type: ignore[misc]


class LeavableForm:
    """Mixin for forms the client can leave mid-way: once the stop slot is
    set, nothing more is asked. A mixin, not an Action subclass, so the SDK
    does not try to register it as an action."""

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot(SLOT_STOP):
            return []
        return domain_slots


# --------------------------------------------------------------------------- #
# asking
# --------------------------------------------------------------------------- #


def already_asked(tracker: Tracker, slot: str, also: Iterable[str] = ()) -> bool:
    """Whether this turn already asked for `slot`: a validator said
    `utter_ask_<slot>_<why>` (or one of the response names `also` lists)
    since the client's message, so asking again would repeat the question.
    Rasa records each response's name with the message (`utter_action`)."""
    prefixes = (f"utter_ask_{slot}", *also)
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "bot":
            name = str((event.get("metadata") or {}).get("utter_action") or "")
            if name.startswith(prefixes):
                return True
    return False


class AskForSlot(Action):
    """`action_ask_<slot>`: says `utter_ask_<slot>` unless this turn already
    asked (`already_asked`). Subclasses set `slot` and override `ask` when
    the question needs values or buttons built from data."""

    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if already_asked(tracker, self.slot):
            return []
        return await self.ask(dispatcher, tracker, domain)

    async def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response=f"utter_ask_{self.slot}")
        return []


# --------------------------------------------------------------------------- #
# the clinic database
# --------------------------------------------------------------------------- #


async def store_is_up() -> bool:
    """Whether the clinic database answers (a cheap read, bounded: actions/store.py)."""
    try:
        start = clock.now()
        await db(lambda s: s.busy(start, start + timedelta(minutes=1)))
        return True
    except Exception as error:  # noqa: BLE001 - any storage failure
        logger.error("booking store unavailable: %s", type(error).__name__)
        return False
