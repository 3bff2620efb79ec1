"""What each console action does, shared by the pages and the JSON API.

Business rules live in clinic_core (booking rules, roles, hand-over states,
the call-back promise); this module strings them together for one signed-in
staff member: it checks the role, writes the audit rows for every view of
health data, tells the client over their channel when the clinic changed
something of theirs, and runs the blocking database calls in a few worker
threads, each bounded (clinic_core.db_threads, as the action server does): a
locked or unreachable database gives staff an error page after
CLINIC_DB_TIMEOUT + 1 s, while the login page, static files and every page
that does not need the database keep answering.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from clinic_core import analytics, responses
from clinic_core.availability import Slot
from clinic_core.booking_store import STATUS_HELD, BookingError, BookingRecord, BookingStore, utcnow
from clinic_core.contact import InvalidContact
from clinic_core.dates import describe_date, describe_time
from clinic_core.db_threads import DatabaseThreads, busy_timeout
from clinic_core.handover import (
    STATUS_ACTIVE,
    HandoverDesk,
    HandoverRecord,
    HandoverTaken,
    callback_by,
)
from clinic_core.profile import current_profile
from clinic_core.screening.model import BOOKABLE_OUTCOMES
from clinic_core.screening.rules import default_rules_path, load_rules
from clinic_core.staff import SignedIn, StaffDirectory, StaffError, StaffMember

from .config import Settings
from .rasa_api import RasaApi, RasaUnavailable, transcript

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: worker threads for the console's database calls: a few staff at once, and
#: SQLite takes one writer at a time anyway (as actions/store.py)
DB_THREADS = 4
#: how often the console looks for hand-over requests nobody took (at most)
SWEEP_SECONDS = 15.0

#: outcomes a receptionist may book a phone caller with (see docs/console.md)
PHONE_BOOKING_OUTCOMES = BOOKABLE_OUTCOMES  # the chat's rule (clinic_core.screening.model)


class Forbidden(Exception):
    """The signed-in role may not do this (403)."""


class NotFound(Exception):
    """No such record (404)."""


@dataclass
class Outcome:
    """What an action did, for the page's notice or the API's answer."""

    message: str
    data: dict[str, Any] = field(default_factory=dict)
    warning: str | None = None


class Console:
    def __init__(self, settings: Settings, store: BookingStore | None = None) -> None:
        self.settings = settings
        self.store = store or BookingStore(
            settings.db_url, profile=self.profile, busy_timeout=busy_timeout()
        )
        self._threads = DatabaseThreads(DB_THREADS, "console-db")
        self.staff = StaffDirectory(self.store, idle_minutes=settings.idle_minutes)
        self.desk = HandoverDesk(self.store)
        self.rasa = RasaApi(settings.rasa_url, settings.rasa_token)
        self._rules_cache: dict[str, Any] = {}
        #: (session, handover) pairs whose transcript view is already audited
        self._audited: set = set()

    @property
    def profile(self) -> Any:
        """Re-read when the file changes, as the assistant does."""
        return current_profile(self.settings.profile_path)

    async def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` in a database thread; DatabaseTimeout after the
        bound (the app turns it into a "database busy" page, 503)."""
        return await self._threads.run(fn, *args, **kwargs)

    @staticmethod
    def require(member: StaffMember, permission: str) -> None:
        if not member.can(permission):
            raise Forbidden(permission)

    def condition_labels(self) -> dict[str, str]:
        path = default_rules_path()
        stamp = str(path.stat().st_mtime)
        if self._rules_cache.get("stamp") != stamp:
            rules = load_rules(path)
            self._rules_cache = {
                "stamp": stamp,
                "labels": {c.id: c.label for c in rules.conditions.values()},
            }
        return self._rules_cache["labels"]

    def line(self, name: str, **values: Any) -> dict[str, Any]:
        """A client-facing line from the domain's responses (never Python wording)."""
        return responses.render(name, self.profile, **values)

    # ----------------------------------------------------------------- reviews
    def conditions(self, reasons: list[str]) -> list[dict[str, str]]:
        """Condition ids with their labels from clinic/screening_rules.yml."""
        labels = self.condition_labels()
        return [{"id": r, "label": labels.get(r, r)} for r in reasons or []]

    def history_view(self, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The client's other pre-screens (issue 12's store: bound by conversation,
        phone or email) as the page shows them: outcome, condition labels, date."""
        return [
            {
                "id": h["screening_id"],
                "outcome": h["outcome"],
                "conditions": self.conditions(h.get("reasons")),
                "created_at": dt.datetime.fromisoformat(h["date"]),
            }
            for h in history
        ]

    async def reviews(
        self, member: StaffMember, include_reviewed: bool = False
    ) -> list[dict[str, Any]]:
        """The review queue; every item shown is an audited view of health data."""
        self.require(member, "reviews")
        items = await self.db(self.store.review_queue, include_reviewed=include_reviewed)
        held = await self.db(self.store.held_bookings)
        notes = await self.db(self.staff.notes, "screening", [i["id"] for i in items])
        for item in items:
            item["conditions"] = self.conditions(item["reasons"])
            item["notes"] = notes.get(str(item["id"]), [])
            item["history"] = self.history_view(item["history"])
            # the held bookings this pre-screen holds (they are worked in the list above the queue)
            item["held_bookings"] = [h["reference"] for h in held if item["id"] in h["held_by"]]
        if items:
            await self.db(self.staff.audit, member, "view", "screening", [i["id"] for i in items])
        return items

    async def _screening(self, screening_id: int) -> dict[str, Any]:
        items = await self.db(self.store.review_queue, include_reviewed=True)
        for item in items:
            if item["id"] == screening_id:
                return item
        raise NotFound("screening")

    async def review_done(self, member: StaffMember, screening_id: int) -> Outcome:
        self.require(member, "reviews")
        await self._screening(screening_id)
        await self.db(self.store.mark_reviewed, screening_id, member.username)
        await self.db(self.staff.audit, member, "reviewed", "screening", [screening_id])
        return Outcome("Marked as reviewed.")

    async def review_note(self, member: StaffMember, screening_id: int, text: str) -> Outcome:
        self.require(member, "reviews")
        item = await self._screening(screening_id)
        await self.db(
            self.staff.add_note,
            member,
            "screening",
            screening_id,
            text,
            sender_id=item["sender_id"],
        )
        await self.db(self.staff.audit, member, "note", "screening", [screening_id])
        return Outcome("Note added.")

    async def review_ask_callback(self, member: StaffMember, screening_id: int) -> Outcome:
        """Asks the client, over their channel, to leave a number for a therapist's call."""
        self.require(member, "reviews")
        item = await self._screening(screening_id)
        if not item["sender_id"]:
            raise StaffError("This pre-screen has no conversation to write to (it was erased).")
        await self.rasa.tell(item["sender_id"], self.line("utter_review_callback_offer"))
        await self.db(self.staff.audit, member, "ask_callback", "screening", [screening_id])
        return Outcome("The client has been asked, in their chat, to leave a number for a call.")

    # ----------------------------------------------------- held bookings (issue 12)
    async def held_bookings(self, member: StaffMember) -> list[dict[str, Any]]:
        """Bookings held for a therapist's review because of an earlier non-ok
        pre-screen, each with the client's history; an audited view (the
        history is health data)."""
        self.require(member, "reviews")
        items = await self.db(self.store.held_bookings)
        notes = await self.db(self.staff.notes, "booking", [i["reference"] for i in items])
        for item in items:
            item["history"] = self.history_view(item["history"])
            item["start"] = dt.datetime.fromisoformat(item["start"])
            item["when"] = self.when(item["start"])
            item["notes"] = notes.get(item["reference"], [])
            item["has_channel"] = bool(item["sender_id"])
        if items:
            await self.db(
                self.staff.audit, member, "view", "held_booking", [i["reference"] for i in items]
            )
        return items

    async def _held(self, member: StaffMember, reference: str) -> BookingRecord:
        self.require(member, "reviews")
        booking = await self.db(self.store.get, reference)
        if booking is None:
            raise NotFound("booking")
        if booking.status != STATUS_HELD:
            raise StaffError(f"Booking {booking.reference} is not waiting for a review any more.")
        return booking

    async def approve_held(self, member: StaffMember, reference: str) -> Outcome:
        """The therapist's yes (issue 12's confirm_held): booked, booking.confirmed
        for the clinic's system, and the client told over their channel."""
        held = await self._held(member, reference)
        try:
            booking = await self.db(self.store.confirm_held, held.reference, member.username)
        except BookingError as error:
            raise StaffError(str(error)) from None
        await self.db(self.staff.audit, member, "approve", "booking", [booking.reference])
        warning = await self._tell_client(
            booking,
            "utter_booking_approved",
            reference=booking.reference,
            when=self.when(booking.start),
            minutes=booking.minutes,
            service=self.service_name(booking.service_id),
        )
        return Outcome(
            f"Approved {booking.reference}: it is booked.", {"booking": booking.to_dict()}, warning
        )

    async def decline_held(self, member: StaffMember, reference: str) -> Outcome:
        """The therapist's no: cancelled, the time freed, booking.declined, and the
        client told and offered a therapist's call over their channel."""
        held = await self._held(member, reference)
        try:
            booking = await self.db(self.store.decline_held, held.reference, member.username)
        except BookingError as error:
            raise StaffError(str(error)) from None
        await self.db(self.staff.audit, member, "decline", "booking", [booking.reference])
        warning = await self._tell_client(
            booking,
            "utter_booking_declined",
            reference=booking.reference,
            when=self.when(booking.start),
        )
        return Outcome(
            f"Declined {booking.reference}: it is cancelled and the time is free again.",
            {"booking": booking.to_dict()},
            warning,
        )

    async def held_ask_callback(self, member: StaffMember, reference: str) -> Outcome:
        """Asks the client with a held booking, in their chat, for a number to call
        (the booking stays held until approved or declined)."""
        held = await self._held(member, reference)
        if not held.sender_id:
            raise StaffError("This booking was not made in a chat: please phone the client.")
        await self.rasa.tell(held.sender_id, self.line("utter_review_callback_offer"))
        await self.db(self.staff.audit, member, "ask_callback", "booking", [held.reference])
        return Outcome("The client has been asked, in their chat, to leave a number for a call.")

    async def held_note(self, member: StaffMember, reference: str, text: str) -> Outcome:
        held = await self._held(member, reference)
        await self.db(
            self.staff.add_note, member, "booking", held.reference, text, sender_id=held.sender_id
        )
        await self.db(self.staff.audit, member, "note", "booking", [held.reference])
        return Outcome("Note added.")

    # ---------------------------------------------------------------- bookings
    def therapists_for(self, member: StaffMember) -> list[Any]:
        therapists = list(self.profile.therapists)
        if member.can("bookings.all"):
            return therapists
        return [t for t in therapists if t.id == member.therapist_id]

    async def diary(
        self, member: StaffMember, therapist_id: str | None, day: dt.date, view: str = "day"
    ) -> dict[str, Any]:
        self.require(member, "bookings.view")
        allowed = self.therapists_for(member)
        if not allowed:
            raise Forbidden("bookings.view")
        if therapist_id is None:
            therapist_id = allowed[0].id
        if therapist_id not in [t.id for t in allowed]:
            raise Forbidden("bookings.all")
        tz = self.profile.tz
        first = day - dt.timedelta(days=day.weekday()) if view == "week" else day
        n_days = 7 if view == "week" else 1
        start = dt.datetime.combine(first, dt.time(0), tzinfo=tz)
        records = await self.db(
            self.store.between, start, start + dt.timedelta(days=n_days), therapist_id
        )
        days = []
        for i in range(n_days):
            d = first + dt.timedelta(days=i)
            days.append(
                {
                    "date": d,
                    "label": describe_date(d, short=True),
                    "hours": self.profile.hours_on(d),
                    "bookings": [self.booking_view(b) for b in records if b.start.date() == d],
                }
            )
        return {
            "therapist_id": therapist_id,
            "therapists": allowed,
            "days": days,
            "view": view,
            "day": day,
            "first": first,
        }

    def service_name(self, service_id: str) -> str:
        try:
            return self.profile.service(service_id).name
        except KeyError:
            return service_id

    def when(self, start: dt.datetime) -> str:
        """ "Fri 11 Dec at 2pm", in the clinic's time zone (as clients read it)."""
        local = start.astimezone(self.profile.tz)
        return f"{describe_date(local.date(), short=True)} at {describe_time(local.time())}"

    def booking_view(self, b: BookingRecord) -> dict[str, Any]:
        service = self.service_name(b.service_id)
        return {
            "reference": b.reference,
            "start": b.start,
            "end": b.end,
            "time": b.start.strftime("%H:%M"),
            "until": b.end.strftime("%H:%M"),
            "minutes": b.minutes,
            "service": service,
            "service_id": b.service_id,
            "therapist_id": b.therapist_id,
            "name": b.name,
            "phone": b.phone,
            "email": b.email,
            "status": b.status,
            "has_channel": bool(b.sender_id),
            "by_phone": b.sender_id is None,
        }

    def _slot(self, service_id: str, minutes: Any, therapist_id: str, day: str, time: str) -> Slot:
        try:
            start = dt.datetime.combine(
                dt.date.fromisoformat(day), dt.time.fromisoformat(time), tzinfo=self.profile.tz
            )
            length = int(minutes)
        except (TypeError, ValueError):
            raise StaffError("Please give a valid date, time and length.") from None
        return Slot(start, start + dt.timedelta(minutes=length), therapist_id, service_id, length)

    async def create_booking(self, member: StaffMember, form: dict[str, str]) -> Outcome:
        """A booking for a phone caller: only with a pre-screen outcome that allows booking."""
        self.require(member, "bookings.change")
        outcome = (form.get("screening_outcome") or "").strip()
        if outcome not in PHONE_BOOKING_OUTCOMES or form.get("screened") != "yes":
            raise StaffError(
                "No booking without the pre-screen: ask the caller the questions and book only "
                "when the outcome is ok or modify. Otherwise add a call-back for a therapist."
            )
        service_id, _, minutes = (form.get("service") or "").partition(":")
        slot = self._slot(
            service_id,
            minutes,
            form.get("therapist_id") or "",
            form.get("date") or "",
            form.get("time") or "",
        )
        try:
            booking = await self.db(
                self.store.book,
                slot,
                name=form.get("name") or "",
                phone=form.get("phone") or "",
                email=(form.get("email") or "").strip() or None,
                screening_outcome=outcome,
            )
        except (BookingError, InvalidContact, ValueError) as error:
            raise StaffError(str(error)) from None
        await self.db(self.staff.audit, member, "create", "booking", [booking.reference])
        if (
            booking.status == STATUS_HELD
        ):  # an earlier pre-screen binds this phone or email (issue 12)
            return Outcome(
                f"Held {booking.reference} on {self.when(booking.start)} for a therapist's review: "
                "this caller had a stricter pre-screen outcome before. Tell them it is not confirmed "
                "yet; a therapist approves or declines it in the review queue.",
                {"booking": booking.to_dict()},
            )
        return Outcome(
            f"Booked {booking.reference} on {self.when(booking.start)}.",
            {"booking": booking.to_dict()},
        )

    async def _booking(self, member: StaffMember, reference: str) -> BookingRecord:
        booking = await self.db(self.store.get, reference)
        if booking is None:
            raise NotFound("booking")
        if not member.can("bookings.all") and booking.therapist_id != member.therapist_id:
            raise Forbidden("bookings.all")
        return booking

    async def move_booking(
        self, member: StaffMember, reference: str, form: dict[str, str]
    ) -> Outcome:
        self.require(member, "bookings.change")
        old = await self._booking(member, reference)
        slot = self._slot(
            old.service_id,
            form.get("minutes") or old.minutes,
            form.get("therapist_id") or old.therapist_id,
            form.get("date") or "",
            form.get("time") or "",
        )
        try:
            moved = await self.db(self.store.move, old.reference, None, slot, by_clinic=True)
        except (BookingError, ValueError) as error:
            raise StaffError(str(error)) from None
        await self.db(self.staff.audit, member, "move", "booking", [moved.reference])
        when = self.when(moved.start)
        warning = await self._tell_client(
            old,
            "utter_booking_moved_by_clinic",
            reference=moved.reference,
            when=when,
            therapist=self.profile.therapist(moved.therapist_id).name,
        )
        return Outcome(f"Moved {moved.reference} to {when}.", {"booking": moved.to_dict()}, warning)

    async def cancel_booking(self, member: StaffMember, reference: str) -> Outcome:
        self.require(member, "bookings.change")
        old = await self._booking(member, reference)
        try:
            cancelled = await self.db(self.store.cancel, old.reference, None, by_clinic=True)
        except BookingError as error:
            raise StaffError(str(error)) from None
        await self.db(self.staff.audit, member, "cancel", "booking", [cancelled.reference])
        when = self.when(old.start)
        warning = await self._tell_client(
            old, "utter_booking_cancelled_by_clinic", reference=old.reference, when=when
        )
        return Outcome(
            f"Cancelled {cancelled.reference}.", {"booking": cancelled.to_dict()}, warning
        )

    async def _tell_client(
        self, booking: BookingRecord, response: str, **values: Any
    ) -> str | None:
        """Tells the client over their chat channel; the change stands either way (the
        webhook has it), so a failure is only a warning for staff to phone instead."""
        if not booking.sender_id:
            return "Booked by phone: please let the client know by phone."
        try:
            await self.rasa.tell(booking.sender_id, self.line(response, **values))
        except RasaUnavailable:
            return "The client's chat could not be reached: please let them know by phone."
        return None

    # --------------------------------------------------------------- call-backs
    async def callbacks(
        self, member: StaffMember, include_called: bool = False
    ) -> list[dict[str, Any]]:
        self.require(member, "callbacks")
        records = await self.db(self.store.callbacks, include_called=include_called)
        notes = await self.db(self.staff.notes, "callback", [c.id for c in records])
        if records:  # the reason may name a pre-screen outcome: an audited view
            await self.db(self.staff.audit, member, "view", "callback", [c.id for c in records])
        return [
            {
                "id": c.id,
                "name": c.name,
                "phone": c.phone,
                "best_time": c.best_time,
                "reason": c.reason,
                "created_at": c.created_at,
                "called_at": c.called_at,
                "called_by": c.called_by,
                "notes": notes.get(str(c.id), []),
            }
            for c in records
        ]

    async def mark_called(self, member: StaffMember, callback_id: int) -> Outcome:
        self.require(member, "callbacks")
        if not await self.db(self.store.mark_called, callback_id, member.username):
            raise NotFound("callback")
        await self.db(self.staff.audit, member, "called", "callback", [callback_id])
        return Outcome("Marked as called.")

    async def callback_note(self, member: StaffMember, callback_id: int, text: str) -> Outcome:
        self.require(member, "callbacks")
        record = await self.db(self.store.get_callback, callback_id)
        if record is None:
            raise NotFound("callback")
        await self.db(
            self.staff.add_note, member, "callback", callback_id, text, sender_id=record.sender_id
        )
        return Outcome("Note added.")

    # -------------------------------------------------------------------- inbox
    async def inbox(self, member: StaffMember) -> list[HandoverRecord]:
        self.require(member, "inbox")
        return await self.db(self.desk.open_requests)

    async def _handover(self, handover_id: int) -> HandoverRecord:
        record = await self.db(self.desk.get, handover_id)
        if record is None or not record.sender_id:
            raise NotFound("handover")
        return record

    async def conversation(self, signed_in: SignedIn, handover_id: int) -> dict[str, Any]:
        """The transcript (polled by the page); audited once per session and conversation."""
        member = signed_in.member
        self.require(member, "inbox")
        record = await self._handover(handover_id)
        key = (signed_in.session_id, handover_id)
        if key not in self._audited:
            await self.db(self.staff.audit, member, "view", "conversation", [handover_id])
            self._audited.add(key)
        view = transcript(await self.rasa.tracker(record.sender_id))
        view["handover"] = record.to_dict()
        view["mine"] = record.status == STATUS_ACTIVE and record.taken_by == member.username
        return view

    async def take(self, member: StaffMember, handover_id: int) -> Outcome:
        self.require(member, "inbox")
        record = await self._handover(handover_id)
        try:
            taken = await self.db(self.desk.take, handover_id, member.username, member.display_name)
        except HandoverTaken as error:
            raise StaffError(str(error)) from None
        try:
            await self.rasa.take_over(
                record.sender_id,
                self.line("utter_handover_taken", staff_name=member.display_name),
                member.display_name,
            )
        except RasaUnavailable:
            await self.db(self.desk.release, handover_id, member.username)
            raise
        await self.db(self.staff.audit, member, "take_over", "conversation", [handover_id])
        return Outcome(
            "You have the conversation: the assistant is paused.", {"handover": taken.to_dict()}
        )

    async def _mine(self, member: StaffMember, handover_id: int) -> HandoverRecord:
        record = await self._handover(handover_id)
        if record.status != STATUS_ACTIVE or record.taken_by != member.username:
            raise StaffError("Take the conversation over first (or it is someone else's).")
        return record

    async def send(self, member: StaffMember, handover_id: int, text: str) -> Outcome:
        self.require(member, "inbox")
        record = await self._mine(member, handover_id)
        text = (text or "").strip()
        if not text:
            raise StaffError("The message is empty.")
        if len(text) > 2000:
            raise StaffError("A message is at most 2,000 characters.")
        await self.rasa.say(record.sender_id, {"text": text}, member.first_name)
        return Outcome("Sent.")

    async def hand_back(self, member: StaffMember, handover_id: int) -> Outcome:
        self.require(member, "inbox")
        record = await self._mine(member, handover_id)
        await self.rasa.hand_back(
            record.sender_id,
            self.line(
                "utter_handover_returned", staff_name=record.taken_by_name or member.display_name
            ),
            record.taken_by_name or member.display_name,
        )
        await self.db(self.desk.close, handover_id)
        await self.db(self.staff.audit, member, "hand_back", "conversation", [handover_id])
        return Outcome("Handed back to the assistant.")

    async def close_unanswered(self, member: StaffMember, handover_id: int) -> Outcome:
        """Closes a waiting request nobody will take (the client left): the assistant never paused."""
        self.require(member, "inbox")
        record = await self._handover(handover_id)
        if record.status == STATUS_ACTIVE:
            raise StaffError("Hand the conversation back instead.")
        await self.db(self.desk.close, handover_id)
        return Outcome("Closed.")

    # -------------------------------------------------- a request nobody took
    async def expire_handovers(self, now: dt.datetime | None = None) -> int:
        """Hand-over requests that waited longer than the profile's
        ``handover.wait_minutes`` with nobody taking them: expired, and each
        client offered the call-back in their chat (utter_handover_nobody).
        When the assistant cannot be reached the request waits again, for
        the next sweep. Returns how many clients were told."""
        profile, now = self.profile, now or utcnow()
        expired = await self.db(
            self.desk.expire_waiting,
            now - dt.timedelta(minutes=profile.handover.wait_minutes),
            now=now,
        )
        told = 0
        for record in expired:
            if not record.sender_id:
                continue
            try:
                await self.rasa.tell(
                    record.sender_id,
                    self.line("utter_handover_nobody", callback_by=callback_by(profile, now)),
                )
                told += 1
            except RasaUnavailable:
                await self.db(self.desk.unexpire, record.id)
        return told

    def sweep_seconds(self) -> float:
        """A quarter of the wait, between 1 and SWEEP_SECONDS seconds."""
        return min(SWEEP_SECONDS, max(1.0, self.profile.handover.wait_minutes * 60 / 4))

    async def sweep_handovers(self) -> None:
        """For the console's life (staff_console.app starts it): expire_handovers
        every sweep_seconds; a failed sweep is logged by type and retried."""
        while True:
            try:
                await self.expire_handovers()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - the database or profile away: try again later
                logger.error("hand-over sweep failed: %s", type(error).__name__)
            await asyncio.sleep(self.sweep_seconds())

    # ------------------------------------------------------------ at a glance
    async def analytics(self, member: StaffMember, days: int = 14) -> analytics.Summary:
        self.require(member, "analytics")
        return await self.db(
            analytics.summary,
            self.store,
            self.profile,
            days=days,
            tracker_url=self.settings.tracker_url,
            now=utcnow(),
        )
