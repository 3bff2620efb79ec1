"""Which services a client can book here, and reading the one they name.

The services and their lengths and prices are the clinic profile's
(clinic/profile.yml); the words that name a service are the massage types
file's (clinic/massage_types.yml, screening_services).
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.types import DomainDict

from actions import content
from actions.constants import ENTITY_MASSAGE_TYPE, SLOT_SCREENING_STATE
from actions.forms import button, choice, wording
from clinic_core.massage_types import current_service_words
from clinic_core.profile import format_money


def bookable_services(tracker: Tracker | None = None) -> list[Any]:
    """Services a client can book here: the ones the pre-screen covers (a
    screening service and a therapist), limited to the screened service."""
    p = content.profile()
    allowed = screened_service(tracker) if tracker is not None else None
    services = [s for s in p.services if s.screening_service and p.therapists_for(s.id)]
    if allowed in ("body", "facial"):
        services = [s for s in services if s.screening_service == allowed]
    return services


def screened_service(tracker: Tracker) -> str | None:
    """body / facial / both: what the pre-screen was about, if known."""
    state = tracker.get_slot(SLOT_SCREENING_STATE)
    service = state.get("service") if isinstance(state, dict) else None
    return service if service in ("body", "facial", "both") else None


def service_for(screening_service: str | None) -> str | None:
    """The bookable service (profile id) of a pre-screen service."""
    p = content.profile()
    for s in p.services:
        if (
            screening_service
            and s.screening_service == screening_service
            and p.therapists_for(s.id)
        ):
            return str(s.id)
    return None


def service_from_answer(text: str, tracker: Tracker, allowed: list[Any]) -> str | None:
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
        if entity.get("entity") == ENTITY_MASSAGE_TYPE and entity.get("value") in types:
            bookable = types[entity["value"]].bookable_service
            if bookable:
                found.add(bookable)
    said = set(re.findall(r"[a-z]+", text.lower()))
    for screening_service, entry in current_service_words().items():  # clinic/massage_types.yml
        service = service_for(screening_service)
        if service and said & (set(entry.words) | set(entry.booking_words)):
            found.add(service)
    found = {s for s in found if s in ids}
    return found.pop() if len(found) == 1 else None


def price_text(domain: DomainDict, service_id: str, minutes: int) -> str:
    """ "£65", or the domain's word for a free option."""
    p = content.profile()
    option = p.service(service_id).option(int(minutes))
    if option is None:
        return ""
    if option.price == 0:
        return wording(domain, "utter_price_free")
    return format_money(option.price, p.currency_symbol)


def length_buttons(domain: DomainDict, screening_service: str | None) -> list[dict[str, str]]:
    """A screened service's lengths as buttons that start booking with that
    length (the outcome's offer; action_book reads it); none when the
    service is not one (both were screened) or has one length only."""
    service_id = service_for(screening_service)
    if service_id is None:
        return []
    service = content.profile().service(service_id)
    if len(service.options) < 2:
        return []
    return length_option_buttons(domain, service_id, "utter_button_book_length")


def length_option_buttons(
    domain: DomainDict, service_id: str, response: str
) -> list[dict[str, str]]:
    """A button per length of `service_id`, titled by `response` (with the
    minutes and the price) and answering the length question: the booking
    form's length question and the pre-screen's offer show the same choice."""
    service = content.profile().service(service_id)
    return [
        button(
            domain,
            response,
            choice(f"minutes {o.minutes}"),
            minutes=o.minutes,
            price=price_text(domain, service.id, o.minutes),
        )
        for o in service.options
    ]
