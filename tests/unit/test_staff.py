"""The staff console's clinic_core parts: accounts, sessions, lock-out, audit,
notes, hand-over requests, the call-back promise, and erase/purge of the
console's records."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from clinic_core import privacy
from clinic_core.availability import Slot
from clinic_core.booking_store import BookingStore
from clinic_core.handover import (
    HandoverDesk,
    HandoverTaken,
    describe_promise,
    is_open,
    live_possible,
    promised_callback,
)
from clinic_core.profile import load_profile
from clinic_core.staff import (
    LOCKOUT_MINUTES,
    MAX_FAILED_LOGINS,
    AuditEntry,
    LoginFailed,
    StaffDirectory,
    StaffError,
    StaffNote,
    StaffUser,
    allowed,
    count_rows,
)

LONDON = ZoneInfo("Europe/London")
PROFILE = load_profile()
NOW = dt.datetime(2026, 12, 9, 11, 0, tzinfo=LONDON)  # a Wednesday, open 09:00-19:00
PASSWORD = "correct horse battery"


@pytest.fixture
def store(tmp_path):
    s = BookingStore(f"sqlite:///{tmp_path / 'clinic.db'}", profile=PROFILE)
    yield s
    s.close()


@pytest.fixture
def staff(store):
    return StaffDirectory(store)


def test_password_is_stored_as_an_argon2_hash_never_in_clear(store, staff, tmp_path):
    staff.create_user("reception1", "Rita", "reception", PASSWORD, now=NOW)
    with store.session() as s:
        stored = s.execute(select(StaffUser.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("clinic.db*"))
    assert PASSWORD.encode() not in raw and b"$argon2id$" in raw


def test_account_rules(staff):
    with pytest.raises(StaffError, match="12 characters"):
        staff.create_user("anna", "Anna", "therapist", "short", therapist_id="anna")
    with pytest.raises(StaffError, match="therapist's id"):
        staff.create_user("anna", "Anna", "therapist", PASSWORD)
    with pytest.raises(StaffError, match="No therapist"):
        staff.create_user("anna", "Anna", "therapist", PASSWORD, therapist_id="nobody")
    with pytest.raises(StaffError, match="role"):
        staff.create_user("anna", "Anna", "boss", PASSWORD)
    staff.create_user("Anna", "Anna", "therapist", PASSWORD, therapist_id="anna")
    with pytest.raises(StaffError, match="taken"):
        staff.create_user("anna", "Anna B", "admin", PASSWORD)


def test_login_session_idle_timeout_and_logout(staff):
    staff.create_user("rita", "Rita", "reception", PASSWORD, now=NOW)
    token, signed_in = staff.login("Rita", PASSWORD, now=NOW)
    assert signed_in.member.username == "rita" and signed_in.csrf_token
    assert staff.session_for(token, now=NOW + dt.timedelta(minutes=29)) is not None
    # used at 29 minutes: the idle clock restarted, so 50 minutes is fine too
    assert staff.session_for(token, now=NOW + dt.timedelta(minutes=50)) is not None
    assert (
        staff.session_for(token, now=NOW + dt.timedelta(minutes=81)) is None
    )  # idle for 31 minutes
    token, signed_in = staff.login("rita", PASSWORD, now=NOW)
    staff.logout(signed_in.session_id)
    assert staff.session_for(token, now=NOW) is None
    assert staff.session_for("forged-token", now=NOW) is None


@pytest.mark.slow  # argon2id hashes, many of them on purpose
def test_lock_out_after_repeated_failures(staff):
    staff.create_user("rita", "Rita", "reception", PASSWORD, now=NOW)
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(LoginFailed):
            staff.login("rita", "wrong password!", now=NOW)
    with pytest.raises(LoginFailed):  # the right password does not help while locked
        staff.login("rita", PASSWORD, now=NOW + dt.timedelta(minutes=1))
    assert staff.login("rita", PASSWORD, now=NOW + dt.timedelta(minutes=LOCKOUT_MINUTES + 1))[0]
    with pytest.raises(LoginFailed):
        staff.login("nobody", PASSWORD, now=NOW)


@pytest.mark.slow  # argon2id hashes, many of them on purpose
def test_admin_unlocks_and_deactivation_ends_sessions(staff):
    member = staff.create_user("rita", "Rita", "reception", PASSWORD, now=NOW)
    token, _ = staff.login("rita", PASSWORD, now=NOW)
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(LoginFailed):
            staff.login("rita", "nope nope nope", now=NOW)
    staff.unlock(member.id)
    assert staff.login("rita", PASSWORD, now=NOW)[0]
    staff.set_active(member.id, False)
    assert staff.session_for(token, now=NOW) is None
    with pytest.raises(LoginFailed):
        staff.login("rita", PASSWORD, now=NOW)


def test_who_is_online_for_the_inbox(staff):
    staff.create_user("rita", "Rita", "reception", PASSWORD, now=NOW)
    assert staff.online(now=NOW) == []
    staff.login("rita", PASSWORD, now=NOW)
    assert [m.username for m in staff.online(now=NOW + dt.timedelta(minutes=5))] == ["rita"]
    assert staff.online(now=NOW + dt.timedelta(minutes=31)) == []


def test_roles():
    assert allowed("therapist", "reviews") and not allowed("reception", "reviews")
    assert allowed("reception", "callbacks") and not allowed("therapist", "callbacks")
    assert allowed("reception", "bookings.change") and not allowed("therapist", "bookings.change")
    assert not allowed("therapist", "bookings.all")
    assert (
        allowed("admin", "audit")
        and not allowed("reception", "audit")
        and not allowed("therapist", "accounts")
    )
    assert all(allowed("admin", p) for p in ("reviews", "callbacks", "bookings.change", "inbox"))


def test_audit_rows_hold_ids_only(store, staff):
    member = staff.create_user("anna", "Anna", "therapist", PASSWORD, therapist_id="anna", now=NOW)
    assert staff.audit(member, "view", "screening", [3, 4], now=NOW) == 2
    log = staff.audit_log()
    assert [(a.username, a.action, a.record_type, a.record_id) for a in log] == [
        ("anna", "view", "screening", "4"),
        ("anna", "view", "screening", "3"),
    ]


def test_notes(staff):
    member = staff.create_user("anna", "Anna", "therapist", PASSWORD, therapist_id="anna", now=NOW)
    staff.add_note(member, "screening", 7, "  Called GP letter requested  ", now=NOW)
    with pytest.raises(StaffError):
        staff.add_note(member, "screening", 7, "   ")
    notes = staff.notes("screening", [7, 8])
    assert list(notes) == ["7"] and notes["7"][0].text == "Called GP letter requested"


# ----------------------------------------------------------------- hand-over


def test_handover_request_is_one_per_conversation_and_taken_once(store):
    desk = HandoverDesk(store)
    first = desk.request("abc", "socketio", now=NOW)
    assert desk.request("abc", "socketio", now=NOW).id == first.id
    assert [h.id for h in desk.open_requests()] == [first.id]
    taken = desk.take(first.id, "rita", "Rita", now=NOW)
    assert taken.status == "active" and taken.taken_by_name == "Rita"
    assert desk.take(first.id, "rita", "Rita").status == "active"  # the same person, a second tab
    with pytest.raises(HandoverTaken):
        desk.take(first.id, "anna", "Anna")
    desk.close(first.id, now=NOW)
    assert desk.open_requests() == [] and not desk.is_open("abc")
    assert (
        desk.request("abc", "socketio", now=NOW).id != first.id
    )  # asking again later is a new request


def test_a_request_nobody_took_expires_once_and_only_after_the_wait(store):
    """The console's sweep and the client's next request race for it: whoever
    comes first gets it (and tells the client), the other gets nothing."""
    desk = HandoverDesk(store)
    wait = dt.timedelta(minutes=PROFILE.handover.wait_minutes)
    old = desk.request("old-chat", "socketio", now=NOW - wait - dt.timedelta(seconds=1))
    fresh = desk.request("fresh-chat", "socketio", now=NOW)
    taken = desk.request("taken-chat", "telegram", now=NOW - 2 * wait)
    desk.take(taken.id, "rita", "Rita", now=NOW - 2 * wait)
    assert desk.expire_waiting(NOW - wait, sender_id="fresh-chat", now=NOW) == []
    expired = desk.expire_waiting(NOW - wait, now=NOW)
    assert [(h.id, h.status) for h in expired] == [(old.id, "expired")]
    assert desk.expire_waiting(NOW - wait, now=NOW) == []  # the other caller: nothing to tell
    assert desk.get(fresh.id).status == "waiting" and desk.get(taken.id).status == "active"
    assert sorted(h.id for h in desk.open_requests()) == sorted([fresh.id, taken.id])
    desk.unexpire(old.id)  # the client could not be told: back in the queue for the next sweep
    assert desk.get(old.id).status == "waiting"
    assert desk.request("old-chat", "socketio", now=NOW).id == old.id


def test_the_wait_is_the_profiles_and_must_be_positive():
    assert PROFILE.handover.wait_minutes == 3
    data = PROFILE.dict()
    data["handover"]["wait_minutes"] = 0
    with pytest.raises(ValueError):
        type(PROFILE)(**data)


@pytest.mark.parametrize(
    "now, expected",
    [
        # Wednesday 11:00 (open 09-19): two opening hours later
        (dt.datetime(2026, 12, 9, 11, 0), dt.datetime(2026, 12, 9, 13, 0)),
        # Wednesday 18:30: half an hour today, 1.5 h on Thursday (opens 10:00)
        (dt.datetime(2026, 12, 9, 18, 30), dt.datetime(2026, 12, 10, 11, 30)),
        # Wednesday 22:00: Thursday 10:00 + 2 h
        (dt.datetime(2026, 12, 9, 22, 0), dt.datetime(2026, 12, 10, 12, 0)),
        # Saturday 16:00 (closed 15:00), Sunday closed: Monday 09:00 + 2 h
        (dt.datetime(2026, 12, 12, 16, 0), dt.datetime(2026, 12, 14, 11, 0)),
        # Wednesday 23 December evening: 24-26 are holidays, 27 a Sunday: Monday 28th
        (dt.datetime(2026, 12, 23, 20, 0), dt.datetime(2026, 12, 28, 11, 0)),
    ],
)
def test_promised_callback_counts_opening_hours_only(now, expected):
    assert promised_callback(PROFILE, now.replace(tzinfo=LONDON)) == expected.replace(tzinfo=LONDON)


def test_describe_promise():
    wed = dt.datetime(2026, 12, 9, 22, 0, tzinfo=LONDON)
    assert describe_promise(PROFILE, promised_callback(PROFILE, wed), wed) == "12pm tomorrow"
    assert (
        describe_promise(PROFILE, dt.datetime(2026, 12, 9, 13, 30, tzinfo=LONDON), wed)
        == "1:30pm today"
    )
    sat = dt.datetime(2026, 12, 12, 16, 0, tzinfo=LONDON)
    assert describe_promise(PROFILE, promised_callback(PROFILE, sat), sat) == "11am on Mon 14 Dec"


def test_live_hand_over_needs_open_hours_and_someone_signed_in():
    assert is_open(PROFILE, NOW) and live_possible(PROFILE, 1, NOW)
    assert not live_possible(PROFILE, 0, NOW)
    sunday = dt.datetime(2026, 12, 13, 11, 0, tzinfo=LONDON)
    christmas = dt.datetime(2026, 12, 25, 11, 0, tzinfo=LONDON)
    assert not live_possible(PROFILE, 1, sunday) and not live_possible(PROFILE, 1, christmas)
    assert not live_possible(PROFILE, 1, NOW.replace(hour=8, minute=59))


# ----------------------------------------------------------- erase and purge


def _slot(hour: int) -> Slot:
    start = dt.datetime.combine(dt.date(2026, 12, 10), dt.time(hour), LONDON)
    return Slot(start, start + dt.timedelta(hours=1), "anna", "body_massage", 60)


def test_erase_removes_the_consoles_notes_and_handovers_but_keeps_the_audit(store, staff, tmp_path):
    member = staff.create_user("anna", "Anna", "therapist", PASSWORD, therapist_id="anna", now=NOW)
    screening_id = store.save_screening(
        "client-1", "clearance", ["pregnancy"], {"pregnancy": "yes"}, now=NOW
    )
    booking = store.book(
        _slot(14), name="Jane Doe", phone="07911 123456", sender_id="client-1", now=NOW
    )
    callback = store.request_callback(
        "Jane Doe", "07911 123456", "mornings", sender_id="client-1", now=NOW
    )
    handover = HandoverDesk(store).request("client-1", "socketio", now=NOW)
    staff.add_note(
        member, "screening", screening_id, "needs GP letter", sender_id="client-1", now=NOW
    )
    staff.add_note(member, "callback", callback.id, "no answer, try again", now=NOW)
    staff.add_note(member, "booking", booking.reference, "prefers Anna", now=NOW)
    staff.add_note(member, "handover", handover.id, "asked about parking", now=NOW)
    other = store.save_screening("client-2", "postpone", ["fever"], {}, now=NOW)
    staff.add_note(member, "screening", other, "someone else", sender_id="client-2", now=NOW)
    staff.audit(member, "view", "screening", [screening_id, other], now=NOW)

    report = privacy.erase(
        store, phone="07911 123456", tracker_url=f"sqlite:///{tmp_path / 'none.db'}"
    )
    assert report.notes_deleted == 4 and report.handovers_deleted == 1
    assert [n.text for n in staff.notes("screening", [other])[str(other)]] == ["someone else"]
    assert count_rows(store, AuditEntry) == 2  # kept: ids only, see clinic_core.privacy
    assert not HandoverDesk(store).is_open("client-1")


def test_purge_removes_old_console_records(store, staff, tmp_path):
    member = staff.create_user("anna", "Anna", "therapist", PASSWORD, therapist_id="anna", now=NOW)
    screening_id = store.save_screening("client-1", "clearance", [], {}, now=NOW, retain_days=10)
    staff.add_note(member, "screening", screening_id, "note on a screening", now=NOW)
    HandoverDesk(store).request("client-1", "socketio", now=NOW)
    staff.audit(member, "view", "screening", [screening_id], now=NOW)
    later = NOW + dt.timedelta(days=PROFILE.retention.audit_days + 1)
    report = privacy.purge(store, PROFILE, later, tracker_url=f"sqlite:///{tmp_path / 'none.db'}")
    assert report.screenings_deleted == 1 and report.notes_deleted == 1
    assert report.handovers_deleted == 1 and report.audit_deleted == 1
    assert count_rows(store, StaffNote) == 0 and count_rows(store, AuditEntry) == 0
