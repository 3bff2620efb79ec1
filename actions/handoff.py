"""To a person: a live hand-over, or the clinic's contact details and a call-back.

`action_handoff` answers `human_handoff` (and any "talk to someone" button):
while the clinic is open and someone is signed in to the staff console, a
person joins the chat (clinic_core.handover); otherwise the clinic's phone
and email and the offer of a call-back. A client who asked to be called
("can someone call me back?") or whose pre-screen ended in `clearance` /
`postpone` goes straight to the call-back form (actions/callback_form.py).
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import content
from actions.constants import ACTION_CALLBACK_START, ENTITY_CALLBACK, SLOT_SCREENING_OUTCOME
from actions.store import db
from clinic_core.screening.model import offers_call_back

logger = logging.getLogger(__name__)

_ASKED_FOR_A_CALL = re.compile(
    r"\bcall(?:ed|ing)?\s+(?:me\s+)?back\b|\bcall-?backs?\b|\b(?:ring|phone|call)\s+me\b", re.I
)


# --------------------------------------------------------------------------- #
# hand-off
# --------------------------------------------------------------------------- #


class ActionHandoff(Action):
    """The clinic's contact details, and a call-back.

    Rules deactivate an active form first: someone asking for a person does
    not want the next question.
    """

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        outcome = tracker.get_slot(SLOT_SCREENING_OUTCOME)
        wants_call = (
            bool(_ASKED_FOR_A_CALL.search(text))
            or asked_for_a_call_back(tracker)
            or (text.startswith("/human_handoff") and offers_call_back(outcome))
        )
        if wants_call:
            return [FollowupAction(ACTION_CALLBACK_START)]
        # issue 14, live hand-over: a person joins the chat when one can
        live = await live_handover(tracker)
        if live == LIVE_WAITING:
            dispatcher.utter_message(response="utter_handover_waiting")
            return []
        if live == LIVE_NOBODY_CAME:
            dispatcher.utter_message(
                response="utter_handover_nobody", callback_by=callback_promise()
            )
            return []
        dispatcher.utter_message(response="utter_contact")
        dispatcher.utter_message(response="utter_callback_offer", callback_by=callback_promise())
        return []


# --------------------------------------------------------------------------- #
# issue 14: live hand-over to the staff console (clinic_core.handover)
# --------------------------------------------------------------------------- #

#: what live_handover did: a request waits in the console's inbox, or the
#: client's earlier one waited past the profile's handover.wait_minutes
LIVE_WAITING = "waiting"
LIVE_NOBODY_CAME = "nobody_came"


def asked_for_a_call_back(tracker: Tracker) -> bool:
    """A "Yes, please call me back" button of a line the console sent: it
    cannot rely on "/affirm" (no action_handoff before it), so it says so."""
    return any(
        e.get("entity") == ENTITY_CALLBACK for e in tracker.latest_message.get("entities") or []
    )


async def live_handover(tracker: Tracker) -> str | None:
    """Opens a hand-over request for the console's inbox when the clinic is
    open and someone is signed in (clinic_core.handover.live_possible):
    LIVE_WAITING. When this client's earlier request waited longer than
    ``handover.wait_minutes`` with nobody taking it, it expires instead and
    the client is offered the call-back (LIVE_NOBODY_CAME; the console's
    sweep may have done so first, then this is a new request). None when no
    person can join, or the database cannot say (then the call-back offer).
    One bounded database call (actions/store.py): a locked database delays
    only this turn."""
    from clinic_core.booking_store import utcnow
    from clinic_core.handover import HandoverDesk, live_possible
    from clinic_core.staff import StaffDirectory

    profile = content.profile()
    sender, channel = tracker.sender_id, tracker.get_latest_input_channel()

    def open_request(s: Any) -> str | None:
        desk, now = HandoverDesk(s), utcnow()
        if desk.expire_waiting(
            now - timedelta(minutes=profile.handover.wait_minutes), sender_id=sender, now=now
        ):
            return LIVE_NOBODY_CAME
        if not live_possible(profile, len(StaffDirectory(s).online())):
            return None
        desk.request(sender, channel)
        return LIVE_WAITING

    try:
        return await db(open_request)
    except Exception as error:  # noqa: BLE001 - the call-back offer still works without the console
        logger.error("live hand-over unavailable: %s", type(error).__name__)
        return None


def callback_promise() -> str:
    """ "11am tomorrow": by when a call-back is promised, from the opening hours."""
    from clinic_core.handover import callback_by

    return callback_by(content.profile())
