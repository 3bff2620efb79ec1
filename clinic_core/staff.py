"""The clinic staff's side: accounts, sessions, the audit log and notes.

Plain Python and SQLAlchemy on the clinic database (the tables of
migration 0003), used by the staff console (``staff_console/``) and by
:mod:`clinic_core.handover`; nothing here imports Rasa or Sanic.

Why each choice:

* Passwords are hashed with argon2id (argon2-cffi's ``PasswordHasher``,
  its defaults: RFC 9106's low-memory profile); the plain password is never
  stored or logged. Unknown user names cost one hash too, so the time of an
  answer does not tell which names exist.
* Sessions live in the database, not only in the cookie: the console can
  end one (log-out, a deactivated account), enforce the idle timeout on the
  server, and the assistant can ask whether anyone is signed in
  (:func:`staff_online`) before it offers a live hand-over. The table keeps
  the SHA-256 of the session token, so a copy of the database cannot be
  replayed as a cookie.
* Lock-out: :data:`MAX_FAILED_LOGINS` wrong passwords in a row lock the
  account for :data:`LOCKOUT_MINUTES`; an admin can unlock it earlier.
* The audit log keeps who (user name), when, what (action) and which record
  (type and id): never names, phone numbers, conditions or message text, so
  it can outlive the records it points to (see :mod:`clinic_core.privacy`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Integer,
    String,
    Text,
    delete,
    func,
    select,
    update,
)

from .booking_store import Base, BookingStore, UTCDateTime, utcnow

#: the roles and what each may do; admin may do everything (see docs/console.md)
ROLE_THERAPIST = "therapist"
ROLE_RECEPTION = "reception"
ROLE_ADMIN = "admin"
ROLES = (ROLE_THERAPIST, ROLE_RECEPTION, ROLE_ADMIN)

#: permission -> roles that have it. One home for the rule: the console's
#: routes ask :func:`allowed`, the pages' menus are built from it.
PERMISSIONS: dict[str, Sequence[str]] = {
    "reviews": (ROLE_THERAPIST, ROLE_ADMIN),
    "bookings.view": (ROLE_THERAPIST, ROLE_RECEPTION, ROLE_ADMIN),
    "bookings.all": (ROLE_RECEPTION, ROLE_ADMIN),  # every therapist's diary, not only one's own
    "bookings.change": (ROLE_RECEPTION, ROLE_ADMIN),  # create for a caller, move, cancel
    "callbacks": (ROLE_RECEPTION, ROLE_ADMIN),
    "inbox": (ROLE_THERAPIST, ROLE_RECEPTION, ROLE_ADMIN),
    "analytics": (ROLE_THERAPIST, ROLE_RECEPTION, ROLE_ADMIN),
    "accounts": (ROLE_ADMIN,),
    "audit": (ROLE_ADMIN,),
}

MAX_FAILED_LOGINS = 5
LOCKOUT_MINUTES = 15
IDLE_MINUTES = 30  # a session unused this long is over
MAX_SESSION_HOURS = 12  # and none lasts longer than a working day
MIN_PASSWORD_LENGTH = 12

_hasher = PasswordHasher()
#: verified against when the user name is unknown, so both cases cost the same
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")


# --------------------------------------------------------------------------- #
# tables (created by migrations/versions/0003_staff_console.py)
# --------------------------------------------------------------------------- #


class StaffUser(Base):
    __tablename__ = "staff_users"

    id = Column(Integer, primary_key=True)
    username = Column(String(40), nullable=False, unique=True)
    display_name = Column(String(100), nullable=False)
    role = Column(String(16), nullable=False)
    therapist_id = Column(String(64), nullable=True)
    password_hash = Column(String(255), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(UTCDateTime(), nullable=True)
    created_at = Column(UTCDateTime(), nullable=False)
    password_changed_at = Column(UTCDateTime(), nullable=True)


class StaffSession(Base):
    __tablename__ = "staff_sessions"

    id = Column(String(64), primary_key=True)  # SHA-256 of the token (hex)
    user_id = Column(
        Integer, ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(UTCDateTime(), nullable=False)
    last_seen_at = Column(UTCDateTime(), nullable=False, index=True)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime(), nullable=False, index=True)
    username = Column(String(40), nullable=False)
    action = Column(String(40), nullable=False)
    record_type = Column(String(32), nullable=False)
    record_id = Column(String(64), nullable=True)


class StaffNote(Base):
    __tablename__ = "staff_notes"

    id = Column(Integer, primary_key=True)
    subject_type = Column(String(32), nullable=False)  # screening, callback, booking, handover
    subject_id = Column(String(64), nullable=False)
    sender_id = Column(String(255), nullable=True, index=True)  # the conversation, for erasure
    author = Column(String(40), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(UTCDateTime(), nullable=False)


# --------------------------------------------------------------------------- #
# plain records
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class StaffMember:
    id: int
    username: str
    display_name: str
    role: str
    therapist_id: str | None
    active: bool
    locked_until: dt.datetime | None

    def can(self, permission: str) -> bool:
        return allowed(self.role, permission)

    @property
    def first_name(self) -> str:
        """What a client reads above this person's messages in the chat ("Rita")."""
        return (self.display_name.split() or [self.username])[0]


@dataclass(frozen=True)
class SignedIn:
    """A valid session: who, and the CSRF token of that session."""

    member: StaffMember
    session_id: str
    csrf_token: str


@dataclass(frozen=True)
class Note:
    id: int
    subject_type: str
    subject_id: str
    author: str
    text: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Audit:
    id: int
    at: dt.datetime
    username: str
    action: str
    record_type: str
    record_id: str | None


class StaffError(ValueError):
    """A request the console answers with a message (``str()`` is safe to show)."""


class LoginFailed(StaffError):
    """Wrong name or password, or a locked or inactive account (never says which)."""

    def __init__(self) -> None:
        super().__init__(
            "That user name and password did not match, or the account is locked. "
            f"After {MAX_FAILED_LOGINS} failed attempts an account is locked for "
            f"{LOCKOUT_MINUTES} minutes."
        )


def allowed(role: str, permission: str) -> bool:
    return role in PERMISSIONS.get(permission, ())


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _member(u: StaffUser) -> StaffMember:
    return StaffMember(
        u.id, u.username, u.display_name, u.role, u.therapist_id, bool(u.active), u.locked_until
    )


def check_password_rules(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise StaffError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")


# --------------------------------------------------------------------------- #
# the directory
# --------------------------------------------------------------------------- #


class StaffDirectory:
    """Accounts, sessions, audit and notes on the clinic database of ``store``."""

    def __init__(self, store: BookingStore, *, idle_minutes: int = IDLE_MINUTES) -> None:
        self.store = store
        self.idle = dt.timedelta(minutes=idle_minutes)

    # -------------------------------------------------------------- accounts
    def create_user(
        self,
        username: str,
        display_name: str,
        role: str,
        password: str,
        *,
        therapist_id: str | None = None,
        now: dt.datetime | None = None,
    ) -> StaffMember:
        now = now or utcnow()
        username = (username or "").strip().lower()
        if not _USERNAME.match(username):
            raise StaffError("A user name is 2-40 lower-case letters, digits, '.', '_' or '-'.")
        if role not in ROLES:
            raise StaffError(f"The role must be one of: {', '.join(ROLES)}.")
        display_name = re.sub(r"\s+", " ", display_name or "").strip()[:100]
        if not display_name:
            raise StaffError("A display name is needed (clients read it in a hand-over).")
        if role == ROLE_THERAPIST and not therapist_id:
            raise StaffError(
                "A therapist account needs the therapist's id from the clinic profile."
            )
        if therapist_id and self.store.profile is not None:
            try:
                self.store.profile.therapist(therapist_id)
            except KeyError:
                raise StaffError(f"No therapist {therapist_id!r} in the clinic profile.") from None
        check_password_rules(password)
        with self.store.session() as s, s.begin():
            if s.execute(select(StaffUser.id).where(StaffUser.username == username)).first():
                raise StaffError(f"The user name {username!r} is taken.")
            user = StaffUser(
                username=username,
                display_name=display_name,
                role=role,
                therapist_id=therapist_id or None,
                password_hash=_hasher.hash(password),
                active=True,
                failed_logins=0,
                created_at=now,
                password_changed_at=now,
            )
            s.add(user)
            s.flush()
            return _member(user)

    def users(self) -> list[StaffMember]:
        with self.store.session() as s:
            return [
                _member(u)
                for u in s.execute(select(StaffUser).order_by(StaffUser.username)).scalars()
            ]

    def get(self, user_id: int) -> StaffMember | None:
        with self.store.session() as s:
            u = s.get(StaffUser, user_id)
            return _member(u) if u else None

    def has_admin(self) -> bool:
        with self.store.session() as s:
            return (
                s.execute(
                    select(StaffUser.id).where(
                        StaffUser.role == ROLE_ADMIN, StaffUser.active.is_(True)
                    )
                ).first()
                is not None
            )

    def set_password(self, username: str, password: str, now: dt.datetime | None = None) -> None:
        check_password_rules(password)
        now = now or utcnow()
        with self.store.session() as s, s.begin():
            u = s.execute(
                select(StaffUser).where(StaffUser.username == username.lower())
            ).scalar_one_or_none()
            if u is None:
                raise StaffError(f"No user {username!r}.")
            u.password_hash = _hasher.hash(password)
            u.password_changed_at = now
            u.failed_logins, u.locked_until = 0, None
            s.execute(delete(StaffSession).where(StaffSession.user_id == u.id))

    def set_active(self, user_id: int, active: bool) -> None:
        """Deactivating also ends the account's sessions at once."""
        with self.store.session() as s, s.begin():
            s.execute(update(StaffUser).where(StaffUser.id == user_id).values(active=active))
            if not active:
                s.execute(delete(StaffSession).where(StaffSession.user_id == user_id))

    def unlock(self, user_id: int) -> None:
        with self.store.session() as s, s.begin():
            s.execute(
                update(StaffUser)
                .where(StaffUser.id == user_id)
                .values(failed_logins=0, locked_until=None)
            )

    # -------------------------------------------------------------- sessions
    def login(
        self, username: str, password: str, now: dt.datetime | None = None
    ) -> tuple[str, SignedIn]:
        """A new session token (for the cookie) and the session; :class:`LoginFailed` otherwise."""
        now = now or utcnow()
        username = (username or "").strip().lower()[:40]
        with self.store.session() as s, s.begin():
            u = s.execute(
                select(StaffUser).where(StaffUser.username == username)
            ).scalar_one_or_none()
            if u is None:
                _verify(_DUMMY_HASH, password)
                raise LoginFailed()
            if u.locked_until is not None and u.locked_until > now:
                _verify(_DUMMY_HASH, password)
                raise LoginFailed()
            if not _verify(u.password_hash, password) or not u.active:
                u.failed_logins = (u.failed_logins or 0) + 1
                if u.failed_logins >= MAX_FAILED_LOGINS:
                    u.locked_until = now + dt.timedelta(minutes=LOCKOUT_MINUTES)
                    u.failed_logins = 0
                failed = True
            else:
                failed = False
                u.failed_logins, u.locked_until = 0, None
                if _hasher.check_needs_rehash(u.password_hash):
                    u.password_hash = _hasher.hash(password)
                token = secrets.token_urlsafe(32)
                row = StaffSession(
                    id=token_id(token),
                    user_id=u.id,
                    csrf_token=secrets.token_urlsafe(32),
                    created_at=now,
                    last_seen_at=now,
                )
                s.add(row)
                signed_in = SignedIn(_member(u), row.id, row.csrf_token)
        if failed:  # the counter is committed above, then the caller hears "no"
            raise LoginFailed()
        return token, signed_in

    def session_for(
        self, token: str, now: dt.datetime | None = None, touch: bool = True
    ) -> SignedIn | None:
        """The live session of ``token``, its idle clock restarted; None when over."""
        now = now or utcnow()
        sid = token_id(token)
        with self.store.session() as s, s.begin():
            row = s.get(StaffSession, sid)
            if row is None:
                return None
            u = s.get(StaffUser, row.user_id)
            too_old = row.created_at < now - dt.timedelta(hours=MAX_SESSION_HOURS)
            if u is None or not u.active or row.last_seen_at < now - self.idle or too_old:
                s.delete(row)
                return None
            if touch:
                row.last_seen_at = now
            return SignedIn(_member(u), sid, row.csrf_token)

    def logout(self, session_id: str) -> None:
        with self.store.session() as s, s.begin():
            s.execute(delete(StaffSession).where(StaffSession.id == session_id))

    def online(
        self, now: dt.datetime | None = None, permission: str = "inbox"
    ) -> list[StaffMember]:
        """Staff with a session used within the idle timeout who hold ``permission``."""
        now = now or utcnow()
        with self.store.session() as s:
            rows = (
                s.execute(
                    select(StaffUser)
                    .join(StaffSession, StaffSession.user_id == StaffUser.id)
                    .where(StaffSession.last_seen_at >= now - self.idle, StaffUser.active.is_(True))
                )
                .scalars()
                .unique()
                .all()
            )
            return [_member(u) for u in rows if allowed(u.role, permission)]

    def purge_sessions(self, now: dt.datetime | None = None) -> int:
        now = now or utcnow()
        with self.store.session() as s, s.begin():
            return (
                s.execute(
                    delete(StaffSession).where(
                        (StaffSession.last_seen_at < now - self.idle)
                        | (StaffSession.created_at < now - dt.timedelta(hours=MAX_SESSION_HOURS))
                    )
                ).rowcount
                or 0
            )

    # ----------------------------------------------------------------- audit
    def audit(
        self,
        member: StaffMember,
        action: str,
        record_type: str,
        record_ids: Iterable[Any] = (None,),
        now: dt.datetime | None = None,
    ) -> int:
        """One audit row per record (no client data: only the record's type and id)."""
        now = now or utcnow()
        rows = [
            AuditEntry(
                at=now,
                username=member.username,
                action=action[:40],
                record_type=record_type[:32],
                record_id=None if rid is None else str(rid)[:64],
            )
            for rid in record_ids
        ]
        if not rows:
            return 0
        with self.store.session() as s, s.begin():
            s.add_all(rows)
        return len(rows)

    def audit_log(
        self, limit: int = 200, offset: int = 0, username: str | None = None
    ) -> list[Audit]:
        with self.store.session() as s:
            query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
            if username:
                query = query.where(AuditEntry.username == username)
            return [
                Audit(a.id, a.at, a.username, a.action, a.record_type, a.record_id)
                for a in s.execute(query).scalars()
            ]

    # ----------------------------------------------------------------- notes
    def add_note(
        self,
        member: StaffMember,
        subject_type: str,
        subject_id: Any,
        text: str,
        *,
        sender_id: str | None = None,
        now: dt.datetime | None = None,
    ) -> Note:
        text = (text or "").strip()
        if not text:
            raise StaffError("The note is empty.")
        if len(text) > 2000:
            raise StaffError("A note is at most 2,000 characters.")
        now = now or utcnow()
        with self.store.session() as s, s.begin():
            row = StaffNote(
                subject_type=subject_type,
                subject_id=str(subject_id),
                sender_id=sender_id,
                author=member.username,
                text=text,
                created_at=now,
            )
            s.add(row)
            s.flush()
            return Note(
                row.id, row.subject_type, row.subject_id, row.author, row.text, row.created_at
            )

    def notes(self, subject_type: str, subject_ids: Iterable[Any]) -> dict[str, list[Note]]:
        ids = [str(i) for i in subject_ids]
        if not ids:
            return {}
        with self.store.session() as s:
            rows = (
                s.execute(
                    select(StaffNote)
                    .where(StaffNote.subject_type == subject_type, StaffNote.subject_id.in_(ids))
                    .order_by(StaffNote.created_at, StaffNote.id)
                )
                .scalars()
                .all()
            )
        found: dict[str, list[Note]] = {}
        for n in rows:
            found.setdefault(n.subject_id, []).append(
                Note(n.id, n.subject_type, n.subject_id, n.author, n.text, n.created_at)
            )
        return found


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def count_rows(store: BookingStore, model: Any) -> int:
    """Rows in one of this module's tables (tests, reports)."""
    with store.session() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())
