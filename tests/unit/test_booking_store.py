"""Bookings, cancellations, moves and call-backs against a real SQLite database."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import StatementError

from clinic_core import booking_store as bs
from clinic_core.availability import Slot
from clinic_core.booking_store import (
    Booking,
    BookingNotFound,
    BookingStore,
    NotActive,
    OutboxEvent,
    SlotClaim,
    SlotTaken,
    SlotUnavailable,
)
from clinic_core.contact import InvalidContact
from clinic_core.profile import load_profile

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 12, 9, 11, 0, tzinfo=LONDON)
PROFILE = load_profile()
THU = dt.date(2026, 12, 10)
FRI = dt.date(2026, 12, 11)


def at(day, hour, minute=0):
    return dt.datetime.combine(day, dt.time(hour, minute), LONDON)


def slot(day, hour, minute=0, therapist="anna", minutes=60, service="body_massage"):
    start = at(day, hour, minute)
    return Slot(start, start + dt.timedelta(minutes=minutes), therapist, service, minutes)


@pytest.fixture
def store(tmp_path):
    s = BookingStore(f"sqlite:///{tmp_path / 'clinic.db'}", profile=PROFILE)
    yield s
    s.close()


def count(store, model):
    with store.session() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def jane(store, the_slot, **extra):
    return store.book(
        the_slot,
        name="  Jane   Doe ",
        phone="07911 123456",
        email="Jane@Example.com",
        screening_outcome="ok",
        screening_reasons=[],
        sender_id="sender-jane",
        now=NOW,
        **extra,
    )


def test_book_writes_booking_claims_and_outbox(store):
    record = jane(store, slot(THU, 10))
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{6}", record.reference)
    assert (
        record.name == "Jane Doe"
        and record.phone == "+447911123456"
        and record.email == "Jane@example.com"
    )
    assert record.start == at(THU, 10) and record.start.tzinfo is not None
    assert record.status == "booked"
    assert count(store, SlotClaim) == 60 // bs.CLAIM_GRID_MINUTES
    [event] = store.outbox()
    assert event.event_type == "booking.created"
    assert event.payload["reference"] == record.reference
    assert event.payload["therapist_name"] == "Anna"
    assert event.delivered_at is None and event.attempts == 0
    assert store.busy(at(THU, 0), at(FRI, 0)) == [("anna", at(THU, 10), at(THU, 11))]


def test_references_avoid_lookalikes():
    refs = {bs.new_reference() for _ in range(2000)}
    assert len(refs) > 1990
    assert not any(set(r) & set("O0I1") for r in refs)
    assert bs.normalise_reference(" ab2-c3d ") == "AB2C3D"


@pytest.mark.parametrize(
    "first, other",
    [
        (slot(THU, 10), slot(THU, 10)),  # same slot
        (slot(THU, 10, minutes=90), slot(THU, 10, 30, minutes=90)),  # starts inside
        (slot(THU, 11), slot(THU, 10, 30, minutes=90)),  # ends inside
        (
            slot(THU, 10),
            slot(THU, 10, 30, minutes=45, service="facial_massage"),
        ),  # other service, same therapist
    ],
    ids=["same", "starts-inside", "ends-inside", "other-service"],
)
def test_overlap_for_same_therapist_is_taken(store, first, other):
    jane(store, first)
    with pytest.raises(SlotTaken) as info:
        store.book(other, name="Jim", phone="07912 345678", now=NOW)
    assert info.value.slot == other
    assert count(store, Booking) == 1
    assert len(store.outbox()) == 1


def test_facial_then_body_overlap(store):
    jane(store, slot(THU, 10, minutes=45, service="facial_massage"))
    with pytest.raises(SlotTaken):
        store.book(slot(THU, 10, 30), name="Jim", phone="07912 345678", now=NOW)
    assert store.book(slot(THU, 11), name="Jim", phone="07912 345678", now=NOW).status == "booked"


def test_adjacent_and_other_therapist_are_fine(store):
    jane(store, slot(THU, 10))
    store.book(slot(THU, 11), name="Jim", phone="07912 345678", now=NOW)
    store.book(slot(THU, 10, therapist="tom"), name="Kim", phone="07911 111222", now=NOW)
    assert count(store, Booking) == 3


def test_rules_and_contact_checked(store):
    with pytest.raises(SlotUnavailable):
        store.book(
            slot(THU, 9), name="Jim", phone="07912 345678", now=NOW
        )  # opens at 10 on Thursday
    with pytest.raises(SlotUnavailable):
        store.book(
            slot(THU, 10, therapist="tom", minutes=45, service="facial_massage"),
            name="Jim",
            phone="07912 345678",
            now=NOW,
        )
    with pytest.raises(InvalidContact):
        store.book(slot(THU, 10), name="Jim", phone="12345", now=NOW)
    with pytest.raises(InvalidContact):
        store.book(slot(THU, 10), name="Jim", phone="07912 345678", email="jim@", now=NOW)
    with pytest.raises(ValueError):
        store.book(slot(THU, 10), name="  ", phone="07912 345678", now=NOW)
    assert count(store, Booking) == 0


def test_booking_and_outbox_share_one_transaction(store, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("outbox down")

    monkeypatch.setattr(store, "_outbox", broken)
    with pytest.raises(RuntimeError):
        jane(store, slot(THU, 10))
    assert (
        count(store, Booking) == 0
        and count(store, SlotClaim) == 0
        and count(store, OutboxEvent) == 0
    )


def test_cancel(store):
    record = jane(store, slot(THU, 10))
    with pytest.raises(BookingNotFound):
        store.cancel(record.reference, "07400 123456", now=NOW)
    with pytest.raises(BookingNotFound):
        store.cancel("ZZZZZZ", "07911 123456", now=NOW)
    with pytest.raises(BookingNotFound):
        store.cancel(record.reference, "not a contact", now=NOW)
    cancelled = store.cancel(record.reference.lower(), "jane@EXAMPLE.com", now=NOW)
    assert cancelled.status == "cancelled" and cancelled.late  # 23 hours' notice < 24
    with pytest.raises(NotActive):
        store.cancel(record.reference, "+44 7911 123456", now=NOW)
    assert count(store, SlotClaim) == 0
    assert [e.event_type for e in store.outbox()] == ["booking.created", "booking.cancelled"]
    assert store.outbox()[1].payload["late"] is True
    # the time is free again
    assert store.book(slot(THU, 10), name="Jim", phone="07912 345678", now=NOW).status == "booked"


def test_cancel_in_good_time_and_not_after_start(store):
    record = jane(store, slot(FRI, 10))
    assert store.cancel(record.reference, "07911123456", now=NOW).late is False
    other = jane(store, slot(THU, 10))
    with pytest.raises(NotActive):
        store.cancel(other.reference, "07911123456", now=at(THU, 10, 30))


def test_move(store):
    record = jane(store, slot(THU, 10))
    moved = store.move(record.reference, "07911 123456", slot(FRI, 14, therapist="tom"), now=NOW)
    assert moved.reference == record.reference
    assert moved.start == at(FRI, 14) and moved.therapist_id == "tom"
    assert store.busy(at(THU, 0), at(FRI, 23)) == [("tom", at(FRI, 14), at(FRI, 15))]
    event = store.outbox()[-1]
    assert event.event_type == "booking.moved"
    assert event.payload["previous"]["start"] == at(THU, 10).isoformat()
    # the old time is free
    store.book(slot(THU, 10), name="Jim", phone="07912 345678", now=NOW)


def test_move_half_an_hour_onto_own_time(store):
    record = jane(store, slot(THU, 10, minutes=90))
    moved = store.move(record.reference, "jane@example.com", slot(THU, 10, 30, minutes=90), now=NOW)
    assert moved.start == at(THU, 10, 30)
    assert count(store, SlotClaim) == 90 // bs.CLAIM_GRID_MINUTES


def test_move_to_taken_slot_keeps_the_old_one(store):
    record = jane(store, slot(THU, 10))
    store.book(slot(FRI, 14), name="Jim", phone="07912 345678", now=NOW)
    with pytest.raises(SlotTaken):
        store.move(record.reference, "07911 123456", slot(FRI, 14, 30), now=NOW)
    kept = store.get(record.reference)
    assert kept.start == at(THU, 10) and kept.status == "booked"
    assert count(store, SlotClaim) == 2 * 60 // bs.CLAIM_GRID_MINUTES
    assert [e.event_type for e in store.outbox()] == ["booking.created", "booking.created"]
    with pytest.raises(BookingNotFound):
        store.move(record.reference, "07400 123456", slot(FRI, 16), now=NOW)
    with pytest.raises(SlotUnavailable):
        store.move(
            record.reference,
            "07911 123456",
            slot(FRI, 16, minutes=45, service="facial_massage"),
            now=NOW,
        )


def test_find_and_upcoming(store):
    record = jane(store, slot(THU, 10))
    jane(store, slot(FRI, 10))
    assert store.find(record.reference, "jane@example.com").id == record.id
    assert [b.start for b in store.upcoming_for("07911 123456", now=NOW)] == [
        at(THU, 10),
        at(FRI, 10),
    ]
    assert [b.start for b in store.upcoming_for("JANE@example.com", now=NOW)] == [
        at(THU, 10),
        at(FRI, 10),
    ]


def test_request_callback(store):
    cb = store.request_callback(
        "Sam",
        "07911 222333",
        best_time="after 5pm",
        reason="question about pregnancy",
        sender_id="s-9",
        now=NOW,
    )
    assert cb.phone == "+447911222333" and cb.best_time == "after 5pm"
    [event] = store.outbox()
    assert event.event_type == "callback.requested" and event.payload["callback_id"] == cb.id
    with pytest.raises(InvalidContact):
        store.request_callback("Sam", "nope", now=NOW)


def test_database_url_from_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("CLINIC_DB_URL", raising=False)
    assert bs.db_url_from_env() == f"sqlite:///{bs.REPO_ROOT / 'var' / 'clinic.db'}"
    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("CLINIC_DB_URL", url)
    store = BookingStore.from_env(profile=PROFILE)
    try:
        assert store.url == url and (tmp_path / "env.db").exists()
    finally:
        store.close()


def test_naive_datetimes_are_refused(store):
    naive = Slot(
        dt.datetime(2026, 12, 10, 10), dt.datetime(2026, 12, 10, 11), "anna", "body_massage", 60
    )
    # the store's ValueError, wrapped by SQLAlchemy as it writes the row
    with pytest.raises(StatementError, match="naive datetime"):
        BookingStore.book(store, naive, name="Jim", phone="07912 345678", now=NOW)
