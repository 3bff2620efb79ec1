"""Erasure on request, retention purges, and the screening records.

``erase(store, sender_id=..., phone=..., email=...)`` blanks a client's
personal and screening fields on their bookings (the booking itself, its time
and reference, stays for the clinic's accounts), deletes their call-back
requests, screening records and the links that bind those to a conversation,
phone or email (``screening_links``), redacts the copies in the webhook
outbox and deletes the Rasa tracker events of every sender id linked to them.

``purge(store, profile, now)`` removes what is past ``profile.retention``:

* screenings past ``retain_until`` (set from ``screening_days`` when saved)
  with their links, and the screening fields on bookings created more than
  ``screening_days`` ago;
* bookings that ended more than ``bookings_days`` ago;
* call-back requests older than ``callbacks_days`` (default 90);
* outbox rows older than ``outbox_days`` (default 30), delivered or not: an
  event the clinic's system never took is a copy of a name, a phone and
  condition ids all the same (``outbox_undelivered_deleted`` counts those);
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

Nothing of what they remove stays in the SQLite files: the clinic database's
connections and the tracker connection used here overwrite deleted content
with zeros (``PRAGMA secure_delete``), and both commands end with a
truncating checkpoint (``PRAGMA wal_checkpoint(TRUNCATE)``) on each SQLite
database they touched, so the old pages leave the ``-wal`` file too (the
running servers keep it open, so SQLite would otherwise keep it until its
next automatic checkpoint). ``wal_checkpoint`` in the report says how each
went ("busy": a reader held it; run the command again).

The Rasa tracker store is Rasa's SQL tracker store (table ``events``, column
``sender_id``), at ``$RASA_TRACKER_DB_URL`` (default
``sqlite:///<repo>/var/rasa_tracker.db``). When that database or table does
not exist the tracker part is skipped and the report says so.

CLI::

    python -m clinic_core.privacy erase --sender-id ID | --phone P | --email E
    python -m clinic_core.privacy purge [--now 2027-01-01T00:00:00+00:00]
    python -m clinic_core.privacy review           # non-ok screenings and held bookings to review
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    and_,
    column,
    create_engine,
    delete,
    event,
    func,
    inspect,
    or_,
    select,
    table,
    update,
)
from sqlalchemy.engine import Engine

from .booking_store import (
    REPO_ROOT,
    Booking,
    BookingRecord,
    BookingStore,
    Callback,
    CallbackRecord,
    OutboxEvent,
    Screening,
    ScreeningLink,
    SlotClaim,
    utcnow,
)
from .contact import normalise_email, normalise_phone
from .handover import Handover
from .staff import AuditEntry, StaffNote, StaffSession

DEFAULT_TRACKER_URL = f"sqlite:///{REPO_ROOT / 'var' / 'rasa_tracker.db'}"

_PERSONAL_KEYS = (
    "name",
    "phone",
    "email",
    "screening_outcome",
    "screening_reasons",
    "reasons",
    "sender_id",
    "best_time",
    "reason",
    "answers",
    "history",
)


@dataclass
class Report:
    bookings_erased: int = 0
    bookings_screening_cleared: int = 0
    bookings_deleted: int = 0
    callbacks_deleted: int = 0
    screenings_deleted: int = 0
    screening_links_deleted: int = 0
    outbox_redacted: int = 0
    outbox_deleted: int = 0
    outbox_undelivered_deleted: int = 0
    tracker_events_deleted: int = 0
    notes_deleted: int = 0
    handovers_deleted: int = 0
    audit_deleted: int = 0
    staff_sessions_deleted: int = 0
    tracker: str = "not touched"
    sender_ids: list[str] = field(default_factory=list)
    wal_checkpoint: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def tracker_url_from_env() -> str:
    return os.environ.get("RASA_TRACKER_DB_URL") or DEFAULT_TRACKER_URL


def _secure_delete(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def truncate_wal(engine: Engine) -> str:
    """Moves the SQLite write-ahead log into the database file and empties it
    (``PRAGMA wal_checkpoint(TRUNCATE)``): "ok", "busy" (a reader or writer
    held it past the busy timeout), or why nothing was done."""
    if engine.dialect.name != "sqlite":
        return "not sqlite"
    raw = engine.raw_connection()  # no transaction around it (it cannot run inside one)
    try:
        cursor = raw.cursor()
        busy, _log, _moved = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        cursor.close()
    finally:
        raw.close()
    return "busy" if busy else "ok"


def _tracker_engine(url: str | None) -> tuple:
    """(engine or None, note)."""
    url = url or tracker_url_from_env()
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path not in ("", ":memory:") and not Path(path).exists():
            return None, f"skipped: no tracker database at {path}"
    try:
        engine = create_engine(url, future=True)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _secure_delete)
        if not inspect(engine).has_table("events"):
            engine.dispose()
            return None, "skipped: the tracker database has no events table"
    except Exception as exc:  # a tracker store that is down must not block an erasure of our data
        return None, f"skipped: cannot open the tracker database ({type(exc).__name__}: {exc})"
    return engine, "ok"


#: the tracker database's engine and a note (also read by clinic_core.analytics)
tracker_engine = _tracker_engine

_EVENTS = table("events", column("sender_id"), column("timestamp"))


def _delete_tracker_events(
    url: str | None, report: Report, sender_ids: Iterable[str] = (), older_than: float | None = None
) -> None:
    """Deletes the events (of these senders, or older than a time), then
    truncates the tracker database's write-ahead log; fills the report."""
    engine, report.tracker = _tracker_engine(url)
    if engine is None:
        return
    try:
        ids = sorted(set(i for i in sender_ids if i))
        if older_than is not None or ids:
            with engine.begin() as conn:
                where = (
                    _EVENTS.c.timestamp < older_than
                    if older_than is not None
                    else _EVENTS.c.sender_id.in_(ids)
                )
                report.tracker_events_deleted = (
                    conn.execute(delete(_EVENTS).where(where)).rowcount or 0
                )
        report.wal_checkpoint["tracker"] = truncate_wal(engine)
    finally:
        engine.dispose()


def _redact(payload: dict[str, Any]) -> dict[str, Any]:
    data = dict(payload)
    for key in _PERSONAL_KEYS:
        if key in data:
            data[key] = None
    data["erased"] = True
    return data


# --------------------------------------------------------------------------- #


def erase(
    store: BookingStore,
    *,
    sender_id: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    tracker_url: str | None = None,
    now: dt.datetime | None = None,
    include_tracker: bool = True,
) -> Report:
    """Erase one client's personal data (see module doc). At least one key is needed.

    ``include_tracker=False`` leaves the tracker events to the caller: the
    chat's own "forget me" runs inside a turn, and Rasa saves the tracker
    after it, so the Rasa server's tracker store erases the conversation
    then (rasa_ext/sql_tracker_store.py)."""
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
        callbacks = (
            s.execute(select(Callback).where(or_(*cb_conditions))).scalars().all()
            if cb_conditions
            else []
        )

        sender_ids: set[str] = {sender_id} if sender_id else set()
        sender_ids.update(b.sender_id for b in bookings if b.sender_id)
        sender_ids.update(c.sender_id for c in callbacks if c.sender_id)
        references = {b.reference for b in bookings}
        callback_ids = {c.id for c in callbacks}

        # Screenings bound to the phone or email being erased are that client's too (as the
        # bookings with it are). A link to an erased conversation is data about it and goes,
        # but the screening it binds belongs to another chat, which may be someone else's:
        # it stays, with its links, until that chat, its phone or email is erased.
        contact_links = []
        if phone_e164:
            contact_links.append(ScreeningLink.phone == phone_e164)
        if email_norm:
            contact_links.append(ScreeningLink.email == email_norm)
        linked_ids = (
            set(s.execute(select(ScreeningLink.screening_id).where(or_(*contact_links))).scalars())
            if contact_links
            else set()
        )
        screenings = (
            s.execute(
                select(Screening).where(
                    or_(
                        Screening.sender_id.in_(sorted(sender_ids)),
                        Screening.id.in_(sorted(linked_ids)),
                    )
                )
            )
            .scalars()
            .all()
        )
        sender_ids.update(x.sender_id for x in screenings if x.sender_id)
        screening_ids = {x.id for x in screenings}
        report.screening_links_deleted = (
            s.execute(
                delete(ScreeningLink).where(
                    or_(
                        ScreeningLink.screening_id.in_(sorted(screening_ids)),
                        ScreeningLink.sender_id.in_(sorted(sender_ids)),
                        *contact_links,
                    )
                )
            ).rowcount
            or 0
        )

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
            if (
                p.get("reference") in references
                or p.get("callback_id") in callback_ids
                or p.get("screening_id") in screening_ids
                or (p.get("sender_id") and p.get("sender_id") in sender_ids)
                or (phone_e164 and p.get("phone") == phone_e164)
                or (email_norm and (p.get("email") or "").lower() == email_norm)
            ):
                event.payload = _redact(p)
                report.outbox_redacted += 1
            elif any(h.get("screening_id") in screening_ids for h in p.get("history") or []):
                # another client's event (a held booking, a review) quoting an erased screening
                event.payload = {
                    **p,
                    "history": [
                        h for h in p["history"] if h.get("screening_id") not in screening_ids
                    ],
                }
                report.outbox_redacted += 1

        # the staff console's copies: notes on these records, hand-over requests
        subjects = (
            [("screening", str(i)) for i in screening_ids]
            + [("callback", str(i)) for i in callback_ids]
            + [("booking", r) for r in references]
        )
        note_conditions = [
            and_(StaffNote.subject_type == t, StaffNote.subject_id == i) for t, i in subjects
        ]
        if sender_ids:
            note_conditions.append(StaffNote.sender_id.in_(sorted(sender_ids)))
            handover_ids = list(
                s.execute(
                    select(Handover.id).where(Handover.sender_id.in_(sorted(sender_ids)))
                ).scalars()
            )
            note_conditions += [
                and_(StaffNote.subject_type == "handover", StaffNote.subject_id == str(i))
                for i in handover_ids
            ]
            report.handovers_deleted = (
                s.execute(
                    delete(Handover).where(Handover.sender_id.in_(sorted(sender_ids)))
                ).rowcount
                or 0
            )
        if note_conditions:
            report.notes_deleted = (
                s.execute(delete(StaffNote).where(or_(*note_conditions))).rowcount or 0
            )
    report.sender_ids = sorted(sender_ids)
    report.wal_checkpoint["clinic"] = truncate_wal(store.engine)
    if include_tracker:
        _delete_tracker_events(tracker_url, report, sender_ids)
    else:
        report.tracker = "left to the caller"
    return report


@dataclass(frozen=True)
class ConversationRecords:
    """What the clinic database holds that one conversation created: its
    pre-screens, bookings and call-back requests (never another chat's,
    even when bound to it: the chat cannot prove it is the same person)."""

    screenings: list[dict[str, Any]]
    bookings: list[BookingRecord]
    callbacks: list[CallbackRecord]


def conversation_records(store: BookingStore, sender_id: str) -> ConversationRecords:
    """For "what do you know about me?": the client's own records that
    :func:`erase` with this ``sender_id`` removes from the clinic database.
    Erase also deletes the staff console's notes on them and the
    conversation's hand-over requests; those are the clinic's working
    records and are not listed here (docs/console.md)."""
    with store.session() as s:
        screenings = [
            {
                "outcome": x.outcome,
                "reasons": list(x.reasons or []),
                "created_at": x.created_at,
                "retain_until": x.retain_until,
            }
            for x in s.execute(
                select(Screening)
                .where(Screening.sender_id == sender_id)
                .order_by(Screening.created_at, Screening.id)
            ).scalars()
        ]
        bookings = [
            store._record(b)
            for b in s.execute(
                select(Booking).where(Booking.sender_id == sender_id).order_by(Booking.start_at)
            ).scalars()
        ]
        callbacks = [
            CallbackRecord(c.id, c.name, c.phone, c.best_time, c.reason, c.sender_id, c.created_at)
            for c in s.execute(
                select(Callback)
                .where(Callback.sender_id == sender_id)
                .order_by(Callback.created_at)
            ).scalars()
        ]
    return ConversationRecords(screenings, bookings, callbacks)


def purge(
    store: BookingStore,
    profile: Any,
    now: dt.datetime | None = None,
    tracker_url: str | None = None,
) -> Report:
    """Remove everything past the profile's retention periods (see module doc)."""
    now = now or utcnow()
    r = profile.retention
    report = Report()
    screening_cut = now - dt.timedelta(days=r.screening_days)
    with store.session() as s, s.begin():
        expired = select(Screening.id).where(Screening.retain_until < now)
        report.screening_links_deleted = (
            s.execute(
                delete(ScreeningLink)
                .where(ScreeningLink.screening_id.in_(expired))
                .execution_options(synchronize_session=False)
            ).rowcount
            or 0
        )
        report.screenings_deleted = (
            s.execute(delete(Screening).where(Screening.retain_until < now)).rowcount or 0
        )
        report.bookings_screening_cleared = (
            s.execute(
                update(Booking)
                .where(
                    Booking.created_at < screening_cut,
                    or_(
                        Booking.screening_outcome.isnot(None), Booking.screening_reasons.isnot(None)
                    ),
                )
                .values(screening_outcome=None, screening_reasons=None)
            ).rowcount
            or 0
        )
        old = select(Booking.id).where(Booking.end_at < now - dt.timedelta(days=r.bookings_days))
        old_ids = list(s.execute(old).scalars().all())
        if old_ids:
            s.execute(delete(SlotClaim).where(SlotClaim.booking_id.in_(old_ids)))
            report.bookings_deleted = (
                s.execute(delete(Booking).where(Booking.id.in_(old_ids))).rowcount or 0
            )
        report.callbacks_deleted = (
            s.execute(
                delete(Callback).where(
                    Callback.created_at < now - dt.timedelta(days=r.callbacks_days)
                )
            ).rowcount
            or 0
        )
        old_outbox = OutboxEvent.created_at < now - dt.timedelta(days=r.outbox_days)
        report.outbox_undelivered_deleted = s.execute(
            select(func.count()).where(old_outbox, OutboxEvent.delivered_at.is_(None))
        ).scalar_one()
        report.outbox_deleted = s.execute(delete(OutboxEvent).where(old_outbox)).rowcount or 0
        _purge_console(s, r, now, report)
    report.wal_checkpoint["clinic"] = truncate_wal(store.engine)
    cutoff = (now - dt.timedelta(days=r.conversation_days)).timestamp()
    _delete_tracker_events(tracker_url, report, older_than=cutoff)
    return report


def _purge_console(s: Any, r: Any, now: dt.datetime, report: Report) -> None:
    """The staff console's part of a purge (see module doc)."""
    report.handovers_deleted = (
        s.execute(
            delete(Handover).where(
                Handover.requested_at < now - dt.timedelta(days=r.conversation_days)
            )
        ).rowcount
        or 0
    )
    orphans = 0
    live = {
        "screening": {str(i) for i in s.execute(select(Screening.id)).scalars()},
        "callback": {str(i) for i in s.execute(select(Callback.id)).scalars()},
        "booking": {
            str(ref)
            for ref in s.execute(
                select(Booking.reference).where(Booking.erased_at.is_(None))
            ).scalars()
        },
        "handover": {str(i) for i in s.execute(select(Handover.id)).scalars()},
    }
    for note in s.execute(select(StaffNote)).scalars().all():
        if note.subject_id not in live.get(note.subject_type, set()):
            s.delete(note)
            orphans += 1
    report.notes_deleted = orphans
    report.audit_deleted = (
        s.execute(
            delete(AuditEntry).where(AuditEntry.at < now - dt.timedelta(days=r.audit_days))
        ).rowcount
        or 0
    )
    report.staff_sessions_deleted = (
        s.execute(
            delete(StaffSession).where(StaffSession.last_seen_at < now - dt.timedelta(days=1))
        ).rowcount
        or 0
    )


def save_screening(
    store: BookingStore,
    sender_id: str | None,
    outcome: str,
    reasons: Iterable[str] = (),
    answers: dict[str, Any] | None = None,
    *,
    now: dt.datetime | None = None,
    retain_days: int | None = None,
) -> int:
    """Store the pre-screen's minimised record (outcome, reason ids, answers)."""
    return store.save_screening(
        sender_id, outcome, reasons, answers, now=now, retain_days=retain_days
    )


def review_queue(
    store: BookingStore, include_reviewed: bool = False, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Non-ok screenings for the therapists, oldest first, each with the
    client's history (their other pre-screens still kept)."""
    return store.review_queue(include_reviewed=include_reviewed, now=now)


def held_bookings(store: BookingStore, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Bookings held for a therapist's review, with the client's history."""
    return store.held_bookings(now=now)


# --------------------------------------------------------------------------- #
# CLI
# --------------------------------------------------------------------------- #


def _parse_now(text: str | None) -> dt.datetime:
    if not text:
        return utcnow()
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value


def main(argv: Sequence[str] | None = None) -> int:
    from .profile import load_profile

    parser = argparse.ArgumentParser(
        prog="python -m clinic_core.privacy", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--db-url", help="clinic database (default $CLINIC_DB_URL or var/clinic.db)"
    )
    parser.add_argument(
        "--tracker-url", help="Rasa tracker database (default $RASA_TRACKER_DB_URL)"
    )
    parser.add_argument("--profile", help="clinic profile (default clinic/profile.yml)")
    sub = parser.add_subparsers(dest="command", required=True)
    p_erase = sub.add_parser("erase", help="erase one client's personal data")
    who = p_erase.add_mutually_exclusive_group(required=True)
    who.add_argument("--sender-id")
    who.add_argument("--phone")
    who.add_argument("--email")
    p_purge = sub.add_parser("purge", help="delete what is past the retention periods")
    p_purge.add_argument("--now", help="ISO time to purge as of (default: now)")
    p_review = sub.add_parser(
        "review", help="list non-ok screenings and held bookings awaiting review"
    )
    p_review.add_argument("--now", help="ISO time the history is as of (default: now)")
    args = parser.parse_args(argv)

    profile = load_profile(args.profile)
    store = BookingStore(args.db_url, profile=profile)
    try:
        if args.command == "erase":
            report = erase(
                store,
                sender_id=args.sender_id,
                phone=args.phone,
                email=args.email,
                tracker_url=args.tracker_url,
            )
            print(json.dumps(report.to_dict(), indent=2))
        elif args.command == "purge":
            report = purge(store, profile, _parse_now(args.now), tracker_url=args.tracker_url)
            print(json.dumps(report.to_dict(), indent=2))
        else:
            now = _parse_now(args.now)
            print(
                json.dumps(
                    {
                        "screenings": review_queue(store, now=now),
                        "held_bookings": held_bookings(store, now=now),
                    },
                    indent=2,
                    default=str,
                )
            )
    finally:
        store.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
