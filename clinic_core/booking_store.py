"""Bookings, call-back requests, the webhook outbox and screening records.

SQLAlchemy 1.4 with the 2.0-style API (``future=True``); the schema is owned
by the Alembic migrations in ``migrations/`` (``alembic.ini`` at the
repository root), which :class:`BookingStore` applies on start-up.

The database URL comes from ``CLINIC_DB_URL``; the default is
``sqlite:///<repo>/var/clinic.db``. PostgreSQL works the same way
(``postgresql://user:pw@host/db``, psycopg2 ships with Rasa).

Double booking is prevented by the database, not by a check-then-insert: each
booking claims one ``slot_claims`` row per :data:`CLAIM_GRID_MINUTES` cell it
covers, and ``UNIQUE(therapist_id, slot_start)`` makes a second, overlapping
booking for the same therapist fail inside its transaction, whoever commits
first. The loser gets :class:`SlotTaken` and the caller offers the next slots.
The claim grid is fixed (5 minutes) rather than the profile's slot step, so
changing ``slot_step_minutes`` later cannot let old and new bookings overlap.

Every change a clinic needs to hear about writes an ``outbox`` row in the
same transaction; :mod:`clinic_core.webhook` delivers them.

A pre-screen outcome stricter than ``ok`` binds the client
(:mod:`clinic_core.screening.binding`): ``screening_links`` ties it to every
conversation, phone and email the client gives (a booking, a call-back), and
a later booking by the same client with a more lenient outcome is stored
``held`` for a therapist's review (event ``booking.held``, with the client's
history) instead of ``booked`` (``booking.created``). A held booking keeps
its time; :meth:`BookingStore.confirm_held` makes it a booking.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import secrets
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, declarative_base
from sqlalchemy.types import TypeDecorator

from . import clock
from .contact import (
    InvalidContact,
    emails_match,
    normalise_contact,
    normalise_email,
    normalise_phone,
)
from .screening import binding
from .screening.binding import PastOutcome

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_URL = f"sqlite:///{REPO_ROOT / 'var' / 'clinic.db'}"
ALEMBIC_INI = REPO_ROOT / "alembic.ini"
VERSION_TABLE = "clinic_alembic_version"  # not "alembic_version": the DB may be shared

#: bookings claim their time in cells of this many minutes (see module doc)
CLAIM_GRID_MINUTES = 5
#: booking references: 6 characters without the look-alikes O/0 and I/1
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 6

STATUS_BOOKED = "booked"
STATUS_HELD = "held"  # waiting for a therapist's review (see the module doc)
STATUS_CANCELLED = "cancelled"
#: statuses that keep their time in the diary
ACTIVE_STATUSES = (STATUS_BOOKED, STATUS_HELD)


def utcnow() -> dt.datetime:
    """The clinic's now (clinic_core/clock.py), kept under this name for its many callers."""
    return clock.now()


def db_url_from_env() -> str:
    return os.environ.get("CLINIC_DB_URL") or DEFAULT_DB_URL


# --------------------------------------------------------------------------- #
# errors
# --------------------------------------------------------------------------- #


class BookingError(Exception):
    """Base class; ``str()`` is safe to show a client."""


class SlotTaken(BookingError):
    """Someone else booked an overlapping time with that therapist first."""

    def __init__(self, slot: Any) -> None:
        super().__init__("Sorry, that time has just been taken.")
        self.slot = slot


class SlotUnavailable(BookingError):
    """The slot breaks the booking rules (hours, notice, horizon, service)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"That time can't be booked ({reason}).")
        self.reason = reason


class BookingNotFound(BookingError):
    """No active booking with that reference and contact (never says which part was wrong)."""

    def __init__(self) -> None:
        super().__init__("I couldn't find a booking with that reference and phone number or email.")


class NotActive(BookingError):
    """The booking is cancelled or already in the past."""


# --------------------------------------------------------------------------- #
# models
# --------------------------------------------------------------------------- #

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# Any: SQLAlchemy 1.4 has no types, and mypy cannot see a base class made by a call
Base: Any = declarative_base(metadata=MetaData(naming_convention=NAMING))


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC everywhere."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # pragma: no cover - defensive for raw SQLite text
            value = dt.datetime.fromisoformat(value)
        return value.replace(tzinfo=dt.timezone.utc)


class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (CheckConstraint("status IN ('booked', 'held', 'cancelled')", name="status"),)

    id = Column(Integer, primary_key=True)
    reference = Column(String(8), nullable=False, unique=True)
    service_id = Column(String(64), nullable=False)
    therapist_id = Column(String(64), nullable=False)
    minutes = Column(Integer, nullable=False)
    start_at = Column(UTCDateTime(), nullable=False, index=True)
    end_at = Column(UTCDateTime(), nullable=False)
    name = Column(String(200), nullable=True)
    phone = Column(String(32), nullable=True, index=True)
    email = Column(String(320), nullable=True, index=True)
    screening_outcome = Column(String(32), nullable=True)
    screening_reasons = Column(JSON(none_as_null=True), nullable=True)
    status = Column(String(16), nullable=False, default=STATUS_BOOKED)
    created_at = Column(UTCDateTime(), nullable=False)
    updated_at = Column(UTCDateTime(), nullable=True)
    cancelled_at = Column(UTCDateTime(), nullable=True)
    erased_at = Column(UTCDateTime(), nullable=True)
    sender_id = Column(String(255), nullable=True, index=True)


class SlotClaim(Base):
    __tablename__ = "slot_claims"
    __table_args__ = (
        UniqueConstraint("therapist_id", "slot_start", name="uq_slot_claims_therapist_slot"),
    )

    id = Column(Integer, primary_key=True)
    booking_id = Column(
        Integer, ForeignKey("bookings.id", ondelete="CASCADE"), nullable=False, index=True
    )
    therapist_id = Column(String(64), nullable=False)
    slot_start = Column(UTCDateTime(), nullable=False)


class Callback(Base):
    __tablename__ = "callbacks"

    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=True)
    phone = Column(String(32), nullable=True, index=True)
    best_time = Column(String(200), nullable=True)
    reason = Column(Text, nullable=True)
    sender_id = Column(String(255), nullable=True, index=True)
    created_at = Column(UTCDateTime(), nullable=False, index=True)
    called_at = Column(UTCDateTime(), nullable=True)  # marked "called" in the staff console
    called_by = Column(String(40), nullable=True)  # the staff user name


class OutboxEvent(Base):
    __tablename__ = "outbox"

    id = Column(Integer, primary_key=True)
    event_type = Column(String(64), nullable=False)
    payload = Column(JSON, nullable=False)
    created_at = Column(UTCDateTime(), nullable=False)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(UTCDateTime(), nullable=True, index=True)
    lease_until = Column(UTCDateTime(), nullable=True)
    delivered_at = Column(UTCDateTime(), nullable=True, index=True)
    failed_at = Column(UTCDateTime(), nullable=True)
    last_error = Column(Text, nullable=True)


class Screening(Base):
    __tablename__ = "screenings"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=True, index=True)
    outcome = Column(String(32), nullable=False)
    reasons = Column(JSON(none_as_null=True), nullable=True)
    answers = Column(JSON(none_as_null=True), nullable=True)
    created_at = Column(UTCDateTime(), nullable=False)
    retain_until = Column(UTCDateTime(), nullable=False, index=True)
    reviewed_at = Column(UTCDateTime(), nullable=True)
    reviewed_by = Column(String(200), nullable=True)


class ScreeningLink(Base):
    """Ties a binding pre-screen outcome to one more way of recognising its
    client: a conversation (sender id), a phone (E.164) or an email
    (lower-case). Kept as long as the screening (deleted with it)."""

    __tablename__ = "screening_links"

    id = Column(Integer, primary_key=True)
    screening_id = Column(
        Integer, ForeignKey("screenings.id", ondelete="CASCADE"), nullable=False, index=True
    )
    sender_id = Column(String(255), nullable=True, index=True)
    phone = Column(String(32), nullable=True, index=True)
    email = Column(String(320), nullable=True, index=True)
    created_at = Column(UTCDateTime(), nullable=False)


# --------------------------------------------------------------------------- #
# records handed to callers (plain values, no session attached)
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class BookingRecord:
    id: int
    reference: str
    service_id: str
    therapist_id: str
    minutes: int
    start: dt.datetime
    end: dt.datetime
    name: str | None
    phone: str | None
    email: str | None
    screening_outcome: str | None
    screening_reasons: list[str]
    status: str
    created_at: dt.datetime
    sender_id: str | None
    late: bool = False  # for a cancellation/move: inside the policy's notice period

    def to_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "service_id": self.service_id,
            "therapist_id": self.therapist_id,
            "minutes": self.minutes,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "status": self.status,
            "late": self.late,
        }


@dataclass(frozen=True)
class CallbackRecord:
    id: int
    name: str | None
    phone: str | None
    best_time: str | None
    reason: str | None
    sender_id: str | None
    created_at: dt.datetime
    called_at: dt.datetime | None = None
    called_by: str | None = None


@dataclass(frozen=True)
class OutboxRecord:
    id: int
    event_type: str
    payload: dict[str, Any]
    created_at: dt.datetime
    attempts: int
    next_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None
    failed_at: dt.datetime | None = None
    last_error: str | None = None


def _callback_record(c: Callback) -> CallbackRecord:
    return CallbackRecord(
        c.id,
        c.name,
        c.phone,
        c.best_time,
        c.reason,
        c.sender_id,
        c.created_at,
        c.called_at,
        c.called_by,
    )


# --------------------------------------------------------------------------- #
# engine and schema
# --------------------------------------------------------------------------- #

#: how long a call waits for another connection's lock by default (the
#: privacy CLI, the webhook dispatcher); the action server waits less
#: (actions/store.py, clinic_core.db_threads)
DEFAULT_BUSY_TIMEOUT_SECONDS = 60.0


def make_engine(url: str, busy_timeout: float = DEFAULT_BUSY_TIMEOUT_SECONDS) -> Engine:
    """An engine with safe SQLite settings (FKs on, BEGIN IMMEDIATE, busy
    timeout, WAL); on PostgreSQL the same wait as its lock_timeout."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        in_memory = path in ("", ":memory:")
        if not in_memory:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, future=True, connect_args={"timeout": busy_timeout, "check_same_thread": False}
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # let SQLAlchemy, not pysqlite, decide when transactions start
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            # deleted and overwritten personal data is zeroed in the file, not
            # left in free space (erasure, retention purges, cancellations)
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            # take the write lock up front: concurrent writers queue on busy_timeout
            # instead of failing with "database is locked" when upgrading a read lock
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    connect_args = (
        {"options": f"-c lock_timeout={int(busy_timeout * 1000)}"}
        if url.startswith("postgres")
        else {}
    )
    return create_engine(url, future=True, pool_pre_ping=True, connect_args=connect_args)


def alembic_config(url: str | None = None) -> Any:
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


_MIGRATE_LOCK = threading.Lock()


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    """Apply the Alembic migrations on ``engine`` (idempotent)."""
    from alembic import command

    config = alembic_config()
    # alembic's context/op proxies are module globals: one migration per process at a time
    with _MIGRATE_LOCK, engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # processes starting together (action server, webhook dispatcher) migrate one at a time
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(712304)")
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        if connection.in_transaction():
            connection.commit()


# --------------------------------------------------------------------------- #
# helpers
# --------------------------------------------------------------------------- #


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def normalise_reference(text: str) -> str:
    """What the client typed -> the stored form ("ab2-c3d" -> "AB2C3D")."""
    return re.sub(r"[^A-Z0-9]", "", (text or "").upper())


def claim_cells(start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """UTC starts of every claim-grid cell that [start, end) touches."""
    grid = CLAIM_GRID_MINUTES * 60
    s = start.astimezone(dt.timezone.utc).timestamp()
    e = end.astimezone(dt.timezone.utc).timestamp()
    first = math.floor(s / grid) * grid
    cells = []
    t = first
    while t < e:
        cells.append(dt.datetime.fromtimestamp(t, dt.timezone.utc))
        t += grid
    return cells


def _clean_name(name: str) -> str:
    text = re.sub(r"\s+", " ", (name or "")).strip()
    if not text:
        raise ValueError("a name is required")
    return text[:200]


# --------------------------------------------------------------------------- #
# the store
# --------------------------------------------------------------------------- #


class BookingStore:
    """All reads and writes of bookings, call-backs, outbox and screenings."""

    def __init__(
        self,
        url: str | None = None,
        *,
        profile: Any = None,
        migrate: bool = True,
        engine: Engine | None = None,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT_SECONDS,
    ) -> None:
        self.url = url or db_url_from_env()
        self.engine = engine or make_engine(self.url, busy_timeout)
        self.profile = profile
        self.region = profile.country_code if profile is not None else "GB"
        self.tz = profile.tz if profile is not None else dt.timezone.utc
        if migrate:
            upgrade_schema(self.engine)

    @classmethod
    def from_env(
        cls,
        profile: Any = None,
        migrate: bool = True,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT_SECONDS,
    ) -> BookingStore:
        return cls(db_url_from_env(), profile=profile, migrate=migrate, busy_timeout=busy_timeout)

    def close(self) -> None:
        self.engine.dispose()

    def session(self) -> Session:
        return Session(self.engine, future=True, expire_on_commit=False)

    # ----------------------------------------------------------- conversions
    def _record(self, b: Booking, late: bool = False) -> BookingRecord:
        return BookingRecord(
            id=b.id,
            reference=b.reference,
            service_id=b.service_id,
            therapist_id=b.therapist_id,
            minutes=b.minutes,
            start=b.start_at.astimezone(self.tz),
            end=b.end_at.astimezone(self.tz),
            name=b.name,
            phone=b.phone,
            email=b.email,
            screening_outcome=b.screening_outcome,
            screening_reasons=list(b.screening_reasons or []),
            status=b.status,
            created_at=b.created_at,
            sender_id=b.sender_id,
            late=late,
        )

    def _payload(self, b: Booking) -> dict[str, Any]:
        data: dict[str, Any] = {
            "reference": b.reference,
            "service_id": b.service_id,
            "therapist_id": b.therapist_id,
            "minutes": b.minutes,
            "start": b.start_at.astimezone(self.tz).isoformat(),
            "end": b.end_at.astimezone(self.tz).isoformat(),
            "status": b.status,
            "name": b.name,
            "phone": b.phone,
            "email": b.email,
            "screening_outcome": b.screening_outcome,
            "screening_reasons": list(b.screening_reasons or []),
            "sender_id": b.sender_id,
        }
        if self.profile is not None:
            try:
                data["service_name"] = self.profile.service(b.service_id).name
                data["therapist_name"] = self.profile.therapist(b.therapist_id).name
            except KeyError:
                pass
        return data

    def _outbox(
        self, session: Session, event_type: str, payload: dict[str, Any], now: dt.datetime
    ) -> None:
        session.add(
            OutboxEvent(
                event_type=event_type,
                payload=payload,
                created_at=now,
                attempts=0,
                next_attempt_at=now,
            )
        )

    def _check_slot(self, slot: Any, now: dt.datetime) -> None:
        if self.profile is None:
            return
        from .availability import slot_problem

        problem = slot_problem(self.profile, slot, now)
        if problem:
            raise SlotUnavailable(problem)

    def _cells_taken(
        self, therapist_id: str, cells: Sequence[dt.datetime], ignore_booking: int | None = None
    ) -> bool:
        with self.session() as s:
            query = select(SlotClaim.id).where(
                SlotClaim.therapist_id == therapist_id, SlotClaim.slot_start.in_(list(cells))
            )
            if ignore_booking is not None:
                query = query.where(SlotClaim.booking_id != ignore_booking)
            return s.execute(query.limit(1)).first() is not None

    def _late(self, start: dt.datetime, now: dt.datetime) -> bool:
        if self.profile is not None:
            return self.profile.policies.is_late_change(start, now)
        return start - now < dt.timedelta(
            hours=24
        )  # a store opened without a profile (tests, tools)

    # ------------------------------------------------------------------ reads
    def busy(
        self, start: dt.datetime, end: dt.datetime
    ) -> list[tuple[str, dt.datetime, dt.datetime]]:
        """(therapist_id, start, end) of active bookings overlapping [start, end)."""
        with self.session() as s:
            rows = s.execute(
                select(Booking.therapist_id, Booking.start_at, Booking.end_at).where(
                    Booking.status.in_(ACTIVE_STATUSES),
                    Booking.start_at < end,
                    Booking.end_at > start,
                )
            ).all()
        return [(t, a.astimezone(self.tz), b.astimezone(self.tz)) for t, a, b in rows]

    def get(self, reference: str) -> BookingRecord | None:
        with self.session() as s:
            b = s.execute(
                select(Booking).where(Booking.reference == normalise_reference(reference))
            ).scalar_one_or_none()
            return self._record(b) if b else None

    def _matches(self, b: Booking, contact: str) -> bool:
        try:
            kind, value = normalise_contact(contact, self.region)
        except InvalidContact:
            return False
        if kind == "email":
            return emails_match(b.email, value)
        return bool(b.phone) and b.phone == value

    def find(self, reference: str, contact: str) -> BookingRecord:
        """The booking if ``contact`` (phone or email) matches it, else :class:`BookingNotFound`."""
        with self.session() as s:
            b = s.execute(
                select(Booking).where(Booking.reference == normalise_reference(reference))
            ).scalar_one_or_none()
            if b is None or not self._matches(b, contact):
                raise BookingNotFound()
            return self._record(b)

    def between(
        self,
        start: dt.datetime,
        end: dt.datetime,
        therapist_id: str | None = None,
        include_cancelled: bool = False,
    ) -> list[BookingRecord]:
        """Bookings starting in [start, end), by start time (the staff console's diary);
        held ones too, since they keep their time (``status`` says which)."""
        with self.session() as s:
            query = select(Booking).where(Booking.start_at >= start, Booking.start_at < end)
            if therapist_id:
                query = query.where(Booking.therapist_id == therapist_id)
            if not include_cancelled:
                query = query.where(Booking.status.in_(ACTIVE_STATUSES))
            return [
                self._record(b)
                for b in s.execute(query.order_by(Booking.start_at, Booking.id)).scalars()
            ]

    def upcoming_for(self, contact: str, now: dt.datetime | None = None) -> list[BookingRecord]:
        """Active future bookings of the client with this phone or email."""
        now = now or utcnow()
        kind, value = normalise_contact(contact, self.region)
        with self.session() as s:
            query = select(Booking).where(
                Booking.status.in_(ACTIVE_STATUSES), Booking.start_at > now
            )
            if kind == "phone":
                query = query.where(Booking.phone == value)
            rows = s.execute(query.order_by(Booking.start_at)).scalars().all()
            return [
                self._record(b) for b in rows if kind == "phone" or emails_match(b.email, value)
            ]

    # ----------------------------------------------------------------- writes
    def book(
        self,
        slot: Any,
        *,
        name: str,
        phone: str,
        email: str | None = None,
        screening_outcome: str | None = None,
        screening_reasons: Iterable[str] | None = None,
        sender_id: str | None = None,
        now: dt.datetime | None = None,
    ) -> BookingRecord:
        """Book ``slot`` (an availability.Slot) in one transaction.

        The booking is ``held`` for a therapist's review, not ``booked``,
        when the client (this conversation, phone or email) has an earlier
        pre-screen outcome in force that is stricter than
        ``screening_outcome`` (:func:`clinic_core.screening.binding.holding`);
        either way the client's binding outcomes are tied to this phone and
        email too.

        Raises :class:`SlotTaken` when an overlapping booking for the
        therapist won, :class:`SlotUnavailable` when the slot breaks the
        profile's rules, :class:`~clinic_core.contact.InvalidContact` for a bad
        phone/email, ValueError for a missing name.
        """
        now = now or utcnow()
        name = _clean_name(name)
        phone_e164 = normalise_phone(phone, self.region)
        email_norm = normalise_email(email) if email else None
        self._check_slot(slot, now)
        cells = claim_cells(slot.start, slot.end)
        reasons = list(screening_reasons or [])
        for _attempt in range(8):
            reference = new_reference()
            try:
                with self.session() as s, s.begin():
                    if s.execute(select(Booking.id).where(Booking.reference == reference)).first():
                        continue
                    emails = [email_norm] if email_norm else []
                    history = self._history(s, now, sender_id, [phone_e164], emails)
                    held = binding.holding(screening_outcome, history, now)
                    b = Booking(
                        reference=reference,
                        service_id=slot.service_id,
                        therapist_id=slot.therapist_id,
                        minutes=slot.minutes,
                        start_at=slot.start,
                        end_at=slot.end,
                        name=name,
                        phone=phone_e164,
                        email=email_norm,
                        screening_outcome=screening_outcome,
                        screening_reasons=reasons,
                        status=STATUS_HELD if held else STATUS_BOOKED,
                        created_at=now,
                        sender_id=sender_id,
                    )
                    s.add(b)
                    s.flush()
                    s.add_all(
                        [
                            SlotClaim(booking_id=b.id, therapist_id=slot.therapist_id, slot_start=c)
                            for c in cells
                        ]
                    )
                    s.flush()
                    self._bind(s, history, now, sender_id, [phone_e164], emails)
                    payload = self._payload(b)
                    if held:
                        payload["held_by"] = [past.screening_id for past in held]
                        payload["history"] = [past.to_dict() for past in history]
                    self._outbox(s, "booking.held" if held else "booking.created", payload, now)
                return self._record(b)
            except IntegrityError:
                if self._cells_taken(slot.therapist_id, cells):
                    raise SlotTaken(slot) from None
                # otherwise a reference collided with a concurrent booking: try another
        raise BookingError("Sorry, something went wrong saving the booking. Please try again.")

    def _load_active(
        self, s: Session, reference: str, contact: str | None, now: dt.datetime
    ) -> Booking:
        """The active booking; ``contact=None`` only for the clinic's signed-in staff
        (the staff console), who change a booking without the client's phone or email."""
        query = select(Booking).where(Booking.reference == normalise_reference(reference))
        if s.bind.dialect.name != "sqlite":
            query = query.with_for_update()
        b = s.execute(query).scalar_one_or_none()
        if b is None or (contact is not None and not self._matches(b, contact)):
            raise BookingNotFound()
        if b.status not in ACTIVE_STATUSES:
            raise NotActive("That booking has already been cancelled.")
        if b.start_at <= now:
            raise NotActive("That appointment has already started or passed.")
        return b

    def cancel(
        self,
        reference: str,
        contact: str | None,
        *,
        now: dt.datetime | None = None,
        by_clinic: bool = False,
    ) -> BookingRecord:
        """Cancel; ``contact`` (phone or email) must match. ``late`` says if inside the notice period.

        ``contact=None`` with ``by_clinic=True``: the clinic's staff cancel (the
        staff console); the outbox event says so (``"by": "clinic"``)."""
        if contact is None and not by_clinic:
            raise BookingNotFound()
        now = now or utcnow()
        with self.session() as s, s.begin():
            b = self._load_active(s, reference, contact, now)
            late = self._late(b.start_at, now)
            b.status = STATUS_CANCELLED
            b.cancelled_at = now
            b.updated_at = now
            s.execute(delete(SlotClaim).where(SlotClaim.booking_id == b.id))
            payload = self._payload(b)
            payload["late"] = late
            if by_clinic:
                payload["by"] = "clinic"
            self._outbox(s, "booking.cancelled", payload, now)
        return self._record(b, late=late)

    def move(
        self,
        reference: str,
        contact: str | None,
        new_slot: Any,
        *,
        now: dt.datetime | None = None,
        by_clinic: bool = False,
    ) -> BookingRecord:
        """Move to ``new_slot`` (same service) atomically; the old time is kept on SlotTaken.

        ``contact=None`` with ``by_clinic=True``: moved by the clinic's staff."""
        if contact is None and not by_clinic:
            raise BookingNotFound()
        now = now or utcnow()
        self._check_slot(new_slot, now)
        cells = claim_cells(new_slot.start, new_slot.end)
        booking_id = None
        try:
            with self.session() as s, s.begin():
                b = self._load_active(s, reference, contact, now)
                booking_id = b.id
                if new_slot.service_id != b.service_id:
                    raise SlotUnavailable("a different service: please make a new booking")
                late = self._late(b.start_at, now)
                old = {
                    "start": b.start_at.astimezone(self.tz).isoformat(),
                    "end": b.end_at.astimezone(self.tz).isoformat(),
                    "therapist_id": b.therapist_id,
                }
                s.execute(delete(SlotClaim).where(SlotClaim.booking_id == b.id))
                s.flush()
                s.add_all(
                    [
                        SlotClaim(booking_id=b.id, therapist_id=new_slot.therapist_id, slot_start=c)
                        for c in cells
                    ]
                )
                s.flush()
                b.start_at, b.end_at = new_slot.start, new_slot.end
                b.therapist_id, b.minutes = new_slot.therapist_id, new_slot.minutes
                b.updated_at = now
                payload = self._payload(b)
                payload["previous"] = old
                payload["late"] = late
                if by_clinic:
                    payload["by"] = "clinic"
                self._outbox(s, "booking.moved", payload, now)
        except IntegrityError:
            if self._cells_taken(new_slot.therapist_id, cells, ignore_booking=booking_id):
                raise SlotTaken(new_slot) from None
            raise
        return self._record(b, late=late)

    def request_callback(
        self,
        name: str,
        phone: str,
        best_time: str | None = None,
        reason: str | None = None,
        sender_id: str | None = None,
        now: dt.datetime | None = None,
    ) -> CallbackRecord:
        now = now or utcnow()
        clean_name = _clean_name(name)
        phone_e164 = normalise_phone(phone, self.region)
        with self.session() as s, s.begin():
            c = Callback(
                name=clean_name,
                phone=phone_e164,
                best_time=(best_time or None),
                reason=(reason or None),
                sender_id=sender_id,
                created_at=now,
            )
            s.add(c)
            s.flush()
            self._bind(
                s,
                self._history(s, now, sender_id, [phone_e164], []),
                now,
                sender_id,
                [phone_e164],
                [],
            )
            self._outbox(
                s,
                "callback.requested",
                {
                    "callback_id": c.id,
                    "name": c.name,
                    "phone": c.phone,
                    "best_time": c.best_time,
                    "reason": c.reason,
                    "sender_id": sender_id,
                },
                now,
            )
        return _callback_record(c)

    def callbacks(self, include_called: bool = False, limit: int = 500) -> list[CallbackRecord]:
        """Call-back requests, oldest first (open ones only unless ``include_called``)."""
        with self.session() as s:
            query = select(Callback).order_by(Callback.created_at, Callback.id).limit(limit)
            if not include_called:
                query = query.where(Callback.called_at.is_(None))
            return [_callback_record(c) for c in s.execute(query).scalars()]

    def get_callback(self, callback_id: int) -> CallbackRecord | None:
        with self.session() as s:
            c = s.get(Callback, callback_id)
            return _callback_record(c) if c else None

    def mark_called(self, callback_id: int, by: str, now: dt.datetime | None = None) -> bool:
        """Marks the request called (once); False when there is no such open request."""
        now = now or utcnow()
        with self.session() as s, s.begin():
            result = s.execute(
                update(Callback)
                .where(Callback.id == callback_id, Callback.called_at.is_(None))
                .values(called_at=now, called_by=by)
            )
            return result.rowcount == 1

    # ---------------------------------------------------------------- outbox
    def outbox(self, include_delivered: bool = True) -> list[OutboxRecord]:
        with self.session() as s:
            query = select(OutboxEvent).order_by(OutboxEvent.id)
            if not include_delivered:
                query = query.where(OutboxEvent.delivered_at.is_(None))
            return [self._outbox_record(e) for e in s.execute(query).scalars().all()]

    @staticmethod
    def _outbox_record(e: OutboxEvent) -> OutboxRecord:
        return OutboxRecord(
            e.id,
            e.event_type,
            dict(e.payload or {}),
            e.created_at,
            e.attempts,
            e.next_attempt_at,
            e.delivered_at,
            e.failed_at,
            e.last_error,
        )

    def due_outbox(self, now: dt.datetime, limit: int = 50) -> list[OutboxRecord]:
        """Undelivered, not given up, due now and not leased by another dispatcher."""
        with self.session() as s:
            rows = (
                s.execute(
                    select(OutboxEvent)
                    .where(
                        OutboxEvent.delivered_at.is_(None),
                        OutboxEvent.failed_at.is_(None),
                        OutboxEvent.next_attempt_at <= now,
                        (OutboxEvent.lease_until.is_(None)) | (OutboxEvent.lease_until <= now),
                    )
                    .order_by(OutboxEvent.id)
                    .limit(limit)
                )
                .scalars()
                .all()
            )
            return [self._outbox_record(e) for e in rows]

    def lease_outbox(self, event_id: int, now: dt.datetime, seconds: float = 60) -> bool:
        """Take ``event_id`` for one delivery attempt; False if another dispatcher has it."""
        with self.session() as s, s.begin():
            result = s.execute(
                update(OutboxEvent)
                .where(
                    OutboxEvent.id == event_id,
                    OutboxEvent.delivered_at.is_(None),
                    OutboxEvent.failed_at.is_(None),
                    (OutboxEvent.lease_until.is_(None)) | (OutboxEvent.lease_until <= now),
                )
                .values(
                    lease_until=now + dt.timedelta(seconds=seconds),
                    attempts=OutboxEvent.attempts + 1,
                )
            )
            return result.rowcount == 1

    def mark_delivered(self, event_id: int, now: dt.datetime) -> None:
        with self.session() as s, s.begin():
            s.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id == event_id)
                .values(delivered_at=now, lease_until=None, last_error=None)
            )

    def mark_failed(
        self, event_id: int, now: dt.datetime, error: str, next_attempt_at: dt.datetime | None
    ) -> None:
        """Record a failed attempt; ``next_attempt_at=None`` gives up for good."""
        values: dict[str, Any] = {"lease_until": None, "last_error": error[:2000]}
        if next_attempt_at is None:
            values["failed_at"] = now
        else:
            values["next_attempt_at"] = next_attempt_at
        with self.session() as s, s.begin():
            s.execute(update(OutboxEvent).where(OutboxEvent.id == event_id).values(**values))

    # ------------------------------------------------------------ screenings
    def save_screening(
        self,
        sender_id: str | None,
        outcome: str,
        reasons: Iterable[str] = (),
        answers: dict[str, Any] | None = None,
        *,
        now: dt.datetime | None = None,
        retain_days: int | None = None,
    ) -> int:
        """Store the pre-screen's minimised record; kept ``retention.screening_days``."""
        now = now or utcnow()
        if retain_days is None:
            retain_days = self.profile.retention.screening_days if self.profile is not None else 90
        with self.session() as s, s.begin():
            row = Screening(
                sender_id=sender_id,
                outcome=outcome,
                reasons=list(reasons or []),
                answers=dict(answers or {}),
                created_at=now,
                retain_until=now + dt.timedelta(days=retain_days),
            )
            s.add(row)
            s.flush()
            phones, emails = self._contacts_of(s, sender_id)
            history = self._history(s, now, sender_id, phones, emails)
            self._bind(
                s, [h for h in history if h.screening_id == row.id], now, None, phones, emails
            )
            if outcome != "ok":
                self._outbox(
                    s,
                    "screening.review",
                    {
                        "screening_id": row.id,
                        "outcome": outcome,
                        "reasons": list(reasons or []),
                        "sender_id": sender_id,
                        "history": [h.to_dict() for h in history if h.screening_id != row.id],
                    },
                    now,
                )
            return row.id

    def review_queue(
        self, include_reviewed: bool = False, now: dt.datetime | None = None
    ) -> list[dict[str, Any]]:
        """Non-ok screenings for a therapist to look at, oldest first, with the
        client's active booking references and their other pre-screens
        (``history``: outcome, reasons, date) still kept."""
        now = now or utcnow()
        with self.session() as s:
            query = (
                select(Screening)
                .where(Screening.outcome != "ok")
                .order_by(Screening.created_at, Screening.id)
            )
            if not include_reviewed:
                query = query.where(Screening.reviewed_at.is_(None))
            rows = s.execute(query).scalars().all()
            result = []
            for row in rows:
                refs: list[str] = []
                if row.sender_id:
                    refs = list(
                        s.execute(
                            select(Booking.reference)
                            .where(
                                Booking.sender_id == row.sender_id,
                                Booking.status.in_(ACTIVE_STATUSES),
                            )
                            .order_by(Booking.start_at)
                        )
                        .scalars()
                        .all()
                    )
                phones, emails = self._contacts_of(s, row.sender_id)
                history = self._history(s, now, row.sender_id, phones, emails)
                result.append(
                    {
                        "id": row.id,
                        "sender_id": row.sender_id,
                        "outcome": row.outcome,
                        "reasons": list(row.reasons or []),
                        "answers": dict(row.answers or {}),
                        "created_at": row.created_at,
                        "retain_until": row.retain_until,
                        "reviewed_at": row.reviewed_at,
                        "reviewed_by": row.reviewed_by,
                        "bookings": refs,
                        "history": [h.to_dict() for h in history if h.screening_id != row.id],
                    }
                )
            return result

    def held_bookings(self, now: dt.datetime | None = None) -> list[dict[str, Any]]:
        """Bookings held for a therapist's review, oldest request first, each
        with the client's pre-screens still kept (``history``) and the ones
        that hold it (``held_by``)."""
        now = now or utcnow()
        with self.session() as s:
            rows = (
                s.execute(
                    select(Booking)
                    .where(Booking.status == STATUS_HELD)
                    .order_by(Booking.created_at, Booking.id)
                )
                .scalars()
                .all()
            )
            result = []
            for b in rows:
                history = self._history(
                    s, now, b.sender_id, [b.phone] if b.phone else [], [b.email] if b.email else []
                )
                item = self._payload(b)
                item.update(
                    created_at=b.created_at,
                    held_by=[
                        h.screening_id for h in binding.holding(b.screening_outcome, history, now)
                    ],
                    history=[h.to_dict() for h in history],
                )
                result.append(item)
            return result

    def confirm_held(
        self, reference: str, by: str, now: dt.datetime | None = None
    ) -> BookingRecord:
        """A therapist's yes to a held booking: it becomes a booking (event
        ``booking.confirmed``). :class:`NotActive` when it is not held."""
        now = now or utcnow()
        with self.session() as s, s.begin():
            b = self._load_held(s, reference)
            b.status, b.updated_at = STATUS_BOOKED, now
            payload = self._payload(b)
            payload["confirmed_by"] = by
            self._outbox(s, "booking.confirmed", payload, now)
        return self._record(b)

    @staticmethod
    def _load_held(s: Session, reference: str) -> Booking:
        """The held booking, locked on PostgreSQL (SQLite's BEGIN IMMEDIATE
        serialises writers already), so that two therapists' approve and
        decline cannot both win."""
        query = select(Booking).where(Booking.reference == normalise_reference(reference))
        if s.bind.dialect.name != "sqlite":
            query = query.with_for_update()
        b = s.execute(query).scalar_one_or_none()
        if b is None:
            raise BookingNotFound()
        if b.status != STATUS_HELD:
            raise NotActive("That booking is not waiting for a review.")
        return b

    def decline_held(
        self, reference: str, by: str, now: dt.datetime | None = None
    ) -> BookingRecord:
        """A therapist's no to a held booking: it is cancelled and its time freed
        (event ``booking.declined``). :class:`NotActive` when it is not held."""
        now = now or utcnow()
        with self.session() as s, s.begin():
            b = self._load_held(s, reference)
            b.status, b.updated_at = STATUS_CANCELLED, now
            s.execute(delete(SlotClaim).where(SlotClaim.booking_id == b.id))
            payload = self._payload(b)
            payload["declined_by"] = by
            self._outbox(s, "booking.declined", payload, now)
        return self._record(b)

    # ------------------------------------------------------ client history
    def _history(
        self,
        s: Session,
        now: dt.datetime,
        sender_id: str | None,
        phones: Iterable[str] = (),
        emails: Iterable[str] = (),
    ) -> list[PastOutcome]:
        """The client's pre-screens still kept, oldest first: the
        conversation's own, and those bound to it, to a phone or an email."""
        phones = sorted({p for p in phones if p})
        emails = sorted({e.lower() for e in emails if e})
        linked = [
            c
            for c in (
                ScreeningLink.sender_id == sender_id if sender_id else None,
                ScreeningLink.phone.in_(phones) if phones else None,
                ScreeningLink.email.in_(emails) if emails else None,
            )
            if c is not None
        ]
        conditions = [Screening.sender_id == sender_id] if sender_id else []
        if linked:
            conditions.append(
                Screening.id.in_(select(ScreeningLink.screening_id).where(or_(*linked)))
            )
        if not conditions:
            return []
        rows = (
            s.execute(
                select(Screening)
                .where(Screening.retain_until > now, or_(*conditions))
                .order_by(Screening.created_at, Screening.id)
            )
            .scalars()
            .all()
        )
        return [
            PastOutcome(r.id, r.outcome, tuple(r.reasons or ()), r.created_at, r.retain_until)
            for r in rows
        ]

    @staticmethod
    def _bind(
        s: Session,
        history: Iterable[PastOutcome],
        now: dt.datetime,
        sender_id: str | None,
        phones: Iterable[str] = (),
        emails: Iterable[str] = (),
    ) -> None:
        """Ties every binding outcome in force in ``history`` to this
        conversation, phone and email, where not tied yet."""
        ids = [h.screening_id for h in history if binding.in_force(h, now)]
        if not ids:
            return
        wanted = (
            ([(sender_id, None, None)] if sender_id else [])
            + [(None, p, None) for p in phones if p]
            + [(None, None, e.lower()) for e in emails if e]
        )
        own = dict(
            s.execute(select(Screening.id, Screening.sender_id).where(Screening.id.in_(ids))).all()
        )
        known = set(
            s.execute(
                select(
                    ScreeningLink.screening_id,
                    ScreeningLink.sender_id,
                    ScreeningLink.phone,
                    ScreeningLink.email,
                ).where(ScreeningLink.screening_id.in_(ids))
            ).all()
        )
        for screening_id in ids:
            for sender, phone, email in wanted:
                if (sender and own.get(screening_id) == sender) or (
                    screening_id,
                    sender,
                    phone,
                    email,
                ) in known:
                    continue
                s.add(
                    ScreeningLink(
                        screening_id=screening_id,
                        sender_id=sender,
                        phone=phone,
                        email=email,
                        created_at=now,
                    )
                )
                known.add((screening_id, sender, phone, email))

    @staticmethod
    def _contacts_of(s: Session, sender_id: str | None) -> tuple[list[str], list[str]]:
        """The phones and emails a conversation gave us (bookings, call-backs)."""
        if not sender_id:
            return [], []
        phones = set(
            s.execute(select(Booking.phone).where(Booking.sender_id == sender_id)).scalars()
        )
        phones |= set(
            s.execute(select(Callback.phone).where(Callback.sender_id == sender_id)).scalars()
        )
        emails = set(
            s.execute(select(Booking.email).where(Booking.sender_id == sender_id)).scalars()
        )
        return sorted(p for p in phones if p), sorted(e.lower() for e in emails if e)

    def mark_reviewed(self, screening_id: int, by: str, now: dt.datetime | None = None) -> None:
        now = now or utcnow()
        with self.session() as s, s.begin():
            s.execute(
                update(Screening)
                .where(Screening.id == screening_id)
                .values(reviewed_at=now, reviewed_by=by)
            )
