"""Erasure on request, retention purges, and the screening records.

``erase(store, sender_id=..., phone=..., email=...)`` blanks a client's
personal and screening fields on their bookings (the booking itself, its time
and reference, stays for the clinic's accounts), deletes their call-back
requests and screening records, redacts the copies in the webhook outbox and
deletes the Rasa tracker events of every sender id linked to them.

``purge(store, profile, now)`` removes what is past ``profile.retention``:

* screenings past ``retain_until`` (set from ``screening_days`` when saved),
  and the screening fields on bookings created more than ``screening_days`` ago;
* bookings that ended more than ``bookings_days`` ago;
* call-back requests older than ``callbacks_days`` (default 90);
* delivered or abandoned outbox rows older than ``outbox_days`` (default 30);
* Rasa tracker events older than ``conversation_days`` (``events.timestamp``,
  unix seconds);
* the staff console's records (:mod:`clinic_core.staff`,
  :mod:`clinic_core.handover`): notes whose record is gone, hand-over
  requests older than ``conversation_days``, expired sessions, and audit
  rows older than ``audit_days``.

``erase`` also deletes the console's notes on the client's records and their
conversations' hand-over requests. The audit log is kept: it says which
staff member opened which record id when (no name, number, condition or
text), which the clinic must be able to show (GDPR Art. 5(2), 30, 32), and
once the record is erased the id points at nothing.

The Rasa tracker store is Rasa's SQL tracker store (table ``events``, column
``sender_id``), at ``$RASA_TRACKER_DB_URL`` (default
``sqlite:///<repo>/var/rasa_tracker.db``). When that database or table does
not exist the tracker part is skipped and the report says so.

CLI::

    python -m clinic_core.privacy erase --sender-id ID | --phone P | --email E
    python -m clinic_core.privacy purge [--now 2027-01-01T00:00:00+00:00]
    python -m clinic_core.privacy review           # non-ok screenings to review
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set

from sqlalchemy import and_, column, create_engine, delete, func, inspect, or_, select, table, update

from .booking_store import (
    REPO_ROOT, Booking, BookingStore, Callback, OutboxEvent, Screening, SlotClaim, utcnow,
)
from .contact import normalise_email, normalise_phone
from .handover import Handover
from .staff import AuditEntry, StaffNote, StaffSession

DEFAULT_TRACKER_URL = f"sqlite:///{REPO_ROOT / 'var' / 'rasa_tracker.db'}"

_PERSONAL_KEYS = ("name", "phone", "email", "screening_outcome", "screening_reasons", "reasons",
                  "sender_id", "best_time", "reason", "answers")


@dataclass
class Report:
    bookings_erased: int = 0
    bookings_screening_cleared: int = 0
    bookings_deleted: int = 0
    callbacks_deleted: int = 0
    screenings_deleted: int = 0
    outbox_redacted: int = 0
    outbox_deleted: int = 0
    tracker_events_deleted: int = 0
    notes_deleted: int = 0
    handovers_deleted: int = 0
    audit_deleted: int = 0
    staff_sessions_deleted: int = 0
    tracker: str = "not touched"
    sender_ids: List[str] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)


def tracker_url_from_env() -> str:
    return os.environ.get("RASA_TRACKER_DB_URL") or DEFAULT_TRACKER_URL


def _tracker_engine(url: Optional[str]) -> tuple:
    """(engine or None, note)."""
    url = url or tracker_url_from_env()
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path not in ("", ":memory:") and not Path(path).exists():
            return None, f"skipped: no tracker database at {path}"
    try:
        engine = create_engine(url, future=True)
        if not inspect(engine).has_table("events"):
            engine.dispose()
            return None, "skipped: the tracker database has no events table"
    except Exception as exc:  # a tracker store that is down must not block an erasure of our data
        return None, f"skipped: cannot open the tracker database ({type(exc).__name__}: {exc})"
    return engine, "ok"


#: the tracker database's engine and a note (also read by clinic_core.analytics)
tracker_engine = _tracker_engine

_EVENTS = table("events", column("sender_id"), column("timestamp"))


def _delete_tracker_events(url: Optional[str], sender_ids: Iterable[str] = (),
                           older_than: Optional[float] = None) -> tuple:
    engine, note = _tracker_engine(url)
    if engine is None:
        return 0, note
    try:
        with engine.begin() as conn:
            if older_than is not None:
                result = conn.execute(delete(_EVENTS).where(_EVENTS.c.timestamp < older_than))
            else:
                ids = sorted(set(i for i in sender_ids if i))
                if not ids:
                    return 0, "ok"
                result = conn.execute(delete(_EVENTS).where(_EVENTS.c.sender_id.in_(ids)))
        return result.rowcount or 0, "ok"
    finally:
        engine.dispose()


def _redact(payload: Dict[str, Any]) -> Dict[str, Any]:
    data = dict(payload)
    for key in _PERSONAL_KEYS:
        if key in data:
            data[key] = None
    data["erased"] = True
    return data


# --------------------------------------------------------------------------- #

def erase(store: BookingStore, *, sender_id: Optional[str] = None, phone: Optional[str] = None,
          email: Optional[str] = None, tracker_url: Optional[str] = None,
          now: Optional[dt.datetime] = None) -> Report:
    """Erase one client's personal data (see module doc). At least one key is needed."""
    if not (sender_id or phone or email):
        raise ValueError("give a sender id, phone or email")
    now = now or utcnow()
    phone_e164 = normalise_phone(phone, store.region) if phone else None
    email_norm = normalise_email(email).lower() if email else None
    report = Report()
    with store.session() as s, s.begin():
        conditions = []
        if sender_id:
            conditions.append(Booking.sender_id == sender_id)
        if phone_e164:
            conditions.append(Booking.phone == phone_e164)
        if email_norm:
            conditions.append(func.lower(Booking.email) == email_norm)
        bookings = s.execute(select(Booking).where(or_(*conditions))).scalars().all()

        cb_conditions = []
        if sender_id:
            cb_conditions.append(Callback.sender_id == sender_id)
        if phone_e164:
            cb_conditions.append(Callback.phone == phone_e164)
        callbacks = s.execute(select(Callback).where(or_(*cb_conditions))).scalars().all() if cb_conditions else []

        sender_ids: Set[str] = {sender_id} if sender_id else set()
        sender_ids.update(b.sender_id for b in bookings if b.sender_id)
        sender_ids.update(c.sender_id for c in callbacks if c.sender_id)
        references = {b.reference for b in bookings}
        callback_ids = {c.id for c in callbacks}

        screenings = s.execute(select(Screening).where(Screening.sender_id.in_(sorted(sender_ids)))).scalars().all() \
            if sender_ids else []
        screening_ids = {x.id for x in screenings}

        for b in bookings:
            b.name = b.phone = b.email = None
            b.screening_outcome = None
            b.screening_reasons = None
            b.sender_id = None
            b.erased_at = now
        report.bookings_erased = len(bookings)
        for c in callbacks:
            s.delete(c)
        report.callbacks_deleted = len(callbacks)
        for x in screenings:
            s.delete(x)
        report.screenings_deleted = len(screenings)

        for event in s.execute(select(OutboxEvent)).scalars().all():
            p = event.payload or {}
            if (p.get("reference") in references or p.get("callback_id") in callback_ids
                    or p.get("screening_id") in screening_ids
                    or (p.get("sender_id") and p.get("sender_id") in sender_ids)
                    or (phone_e164 and p.get("phone") == phone_e164)
                    or (email_norm and (p.get("email") or "").lower() == email_norm)):
                event.payload = _redact(p)
                report.outbox_redacted += 1

        # the staff console's copies: notes on these records, hand-over requests
        subjects = ([("screening", str(i)) for i in screening_ids] + [("callback", str(i)) for i in callback_ids]
                    + [("booking", r) for r in references])
        note_conditions = [and_(StaffNote.subject_type == t, StaffNote.subject_id == i) for t, i in subjects]
        if sender_ids:
            note_conditions.append(StaffNote.sender_id.in_(sorted(sender_ids)))
            handover_ids = list(s.execute(select(Handover.id).where(
                Handover.sender_id.in_(sorted(sender_ids)))).scalars())
            note_conditions += [and_(StaffNote.subject_type == "handover", StaffNote.subject_id == str(i))
                                for i in handover_ids]
            report.handovers_deleted = s.execute(
                delete(Handover).where(Handover.sender_id.in_(sorted(sender_ids)))).rowcount or 0
        if note_conditions:
            report.notes_deleted = s.execute(delete(StaffNote).where(or_(*note_conditions))).rowcount or 0
    report.sender_ids = sorted(sender_ids)
    report.tracker_events_deleted, report.tracker = _delete_tracker_events(tracker_url, sender_ids)
    return report


def purge(store: BookingStore, profile: Any, now: Optional[dt.datetime] = None,
          tracker_url: Optional[str] = None) -> Report:
    """Remove everything past the profile's retention periods (see module doc)."""
    now = now or utcnow()
    r = profile.retention
    report = Report()
    screening_cut = now - dt.timedelta(days=r.screening_days)
    with store.session() as s, s.begin():
        report.screenings_deleted = s.execute(
            delete(Screening).where(Screening.retain_until < now)).rowcount or 0
        report.bookings_screening_cleared = s.execute(
            update(Booking).where(Booking.created_at < screening_cut,
                                  or_(Booking.screening_outcome.isnot(None), Booking.screening_reasons.isnot(None)))
            .values(screening_outcome=None, screening_reasons=None)
        ).rowcount or 0
        old = select(Booking.id).where(Booking.end_at < now - dt.timedelta(days=r.bookings_days))
        old_ids = list(s.execute(old).scalars().all())
        if old_ids:
            s.execute(delete(SlotClaim).where(SlotClaim.booking_id.in_(old_ids)))
            report.bookings_deleted = s.execute(delete(Booking).where(Booking.id.in_(old_ids))).rowcount or 0
        report.callbacks_deleted = s.execute(
            delete(Callback).where(Callback.created_at < now - dt.timedelta(days=r.callbacks_days))).rowcount or 0
        report.outbox_deleted = s.execute(
            delete(OutboxEvent).where(
                OutboxEvent.created_at < now - dt.timedelta(days=r.outbox_days),
                or_(OutboxEvent.delivered_at.isnot(None), OutboxEvent.failed_at.isnot(None)))
        ).rowcount or 0
        _purge_console(s, r, now, report)
    cutoff = (now - dt.timedelta(days=r.conversation_days)).timestamp()
    report.tracker_events_deleted, report.tracker = _delete_tracker_events(tracker_url, older_than=cutoff)
    return report


def _purge_console(s: Any, r: Any, now: dt.datetime, report: Report) -> None:
    """The staff console's part of a purge (see module doc)."""
    report.handovers_deleted = s.execute(delete(Handover).where(
        Handover.requested_at < now - dt.timedelta(days=r.conversation_days))).rowcount or 0
    orphans = 0
    live = {
        "screening": {str(i) for i in s.execute(select(Screening.id)).scalars()},
        "callback": {str(i) for i in s.execute(select(Callback.id)).scalars()},
        "booking": {str(ref) for ref in s.execute(select(Booking.reference).where(Booking.erased_at.is_(None))).scalars()},
        "handover": {str(i) for i in s.execute(select(Handover.id)).scalars()},
    }
    for note in s.execute(select(StaffNote)).scalars().all():
        if note.subject_id not in live.get(note.subject_type, set()):
            s.delete(note)
            orphans += 1
    report.notes_deleted = orphans
    report.audit_deleted = s.execute(delete(AuditEntry).where(
        AuditEntry.at < now - dt.timedelta(days=r.audit_days))).rowcount or 0
    report.staff_sessions_deleted = s.execute(delete(StaffSession).where(
        StaffSession.last_seen_at < now - dt.timedelta(days=1))).rowcount or 0


def save_screening(store: BookingStore, sender_id: Optional[str], outcome: str,
                   reasons: Iterable[str] = (), answers: Optional[Dict[str, Any]] = None, *,
                   now: Optional[dt.datetime] = None, retain_days: Optional[int] = None) -> int:
    """Store the pre-screen's minimised record (outcome, reason ids, answers)."""
    return store.save_screening(sender_id, outcome, reasons, answers, now=now, retain_days=retain_days)


def review_queue(store: BookingStore, include_reviewed: bool = False) -> List[Dict[str, Any]]:
    """Non-ok screenings for the therapists, oldest first."""
    return store.review_queue(include_reviewed=include_reviewed)


# --------------------------------------------------------------------------- #
# CLI
# --------------------------------------------------------------------------- #

def _parse_now(text: Optional[str]) -> dt.datetime:
    if not text:
        return utcnow()
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value


def main(argv: Optional[Sequence[str]] = None) -> int:
    from .profile import load_profile

    parser = argparse.ArgumentParser(prog="python -m clinic_core.privacy", description=__doc__.split("\n")[0])
    parser.add_argument("--db-url", help="clinic database (default $CLINIC_DB_URL or var/clinic.db)")
    parser.add_argument("--tracker-url", help="Rasa tracker database (default $RASA_TRACKER_DB_URL)")
    parser.add_argument("--profile", help="clinic profile (default clinic/profile.yml)")
    sub = parser.add_subparsers(dest="command", required=True)
    p_erase = sub.add_parser("erase", help="erase one client's personal data")
    who = p_erase.add_mutually_exclusive_group(required=True)
    who.add_argument("--sender-id")
    who.add_argument("--phone")
    who.add_argument("--email")
    p_purge = sub.add_parser("purge", help="delete what is past the retention periods")
    p_purge.add_argument("--now", help="ISO time to purge as of (default: now)")
    sub.add_parser("review", help="list non-ok screenings awaiting review")
    args = parser.parse_args(argv)

    profile = load_profile(args.profile)
    store = BookingStore(args.db_url, profile=profile)
    try:
        if args.command == "erase":
            report = erase(store, sender_id=args.sender_id, phone=args.phone, email=args.email,
                           tracker_url=args.tracker_url)
            print(json.dumps(report.to_dict(), indent=2))
        elif args.command == "purge":
            report = purge(store, profile, _parse_now(args.now), tracker_url=args.tracker_url)
            print(json.dumps(report.to_dict(), indent=2))
        else:
            print(json.dumps(review_queue(store), indent=2, default=str))
    finally:
        store.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
