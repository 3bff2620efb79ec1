"""Free slots from opening hours, breaks, holidays, notice, horizon, therapists and bookings."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from clinic_core.availability import Slot, free_slots, slot_problem
from clinic_core.booking_store import BookingStore
from clinic_core.dates import parse_date_request
from clinic_core.profile import load_profile

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 12, 9, 11, 0, tzinfo=LONDON)  # Wednesday
PROFILE = load_profile()
THU = dt.date(2026, 12, 10)


def at(day, hour, minute=0):
    return dt.datetime.combine(day, dt.time(hour, minute), LONDON)


@pytest.fixture
def store(tmp_path):
    s = BookingStore(f"sqlite:///{tmp_path / 'clinic.db'}", profile=PROFILE)
    yield s
    s.close()


def ask(text, now=NOW):
    request = parse_date_request(text, now, PROFILE)
    assert request.problem is None, request.question
    return request


def book(store, start, therapist, minutes=60, service="body_massage", phone="07911 123456"):
    slot = Slot(start, start + dt.timedelta(minutes=minutes), therapist, service, minutes)
    return store.book(slot, name="Test Client", phone=phone, now=NOW)


def test_slots_follow_hours_step_and_break(store):
    slots = free_slots(PROFILE, store, "body_massage", 60, ask("tomorrow"), NOW, limit=100)
    starts = [s.start for s in slots]
    assert slots.in_window and slots.reason_code is None
    assert starts[0] == at(THU, 10)  # Thursday opens at 10
    assert starts[-1] == at(THU, 19)  # last hour ends at 20:00 closing
    assert at(THU, 12, 30) not in starts  # would run into the 13:00 break
    assert at(THU, 13) not in starts
    assert at(THU, 12) in starts and at(THU, 13, 30) in starts
    assert all((s.start.minute % 30) == 0 for s in slots)
    assert all(s.therapist_id == "anna" for s in slots)  # first therapist in profile order
    assert starts == sorted(starts)


def test_minimum_notice(store):
    slots = free_slots(PROFILE, store, "body_massage", 60, ask("today"), NOW)
    assert slots[0].start == at(NOW.date(), 13, 30)  # 11:00 + 2h = 13:00, which is the break


def test_bookings_and_therapists(store):
    book(store, at(THU, 15), "anna")
    body = free_slots(PROFILE, store, "body_massage", 60, ask("tomorrow at 3"), NOW)
    assert body[0].start == at(THU, 15) and body[0].therapist_id == "tom"
    facial = free_slots(PROFILE, store, "facial_massage", 45, ask("tomorrow at 3"), NOW)
    assert at(THU, 15) not in [s.start for s in facial]  # only Anna gives facials
    assert at(THU, 14, 30) not in [s.start for s in facial]  # 14:30-15:15 overlaps
    assert {s.therapist_id for s in facial} == {"anna"}
    book(store, at(THU, 15), "tom", phone="07911 123457")
    body = free_slots(PROFILE, store, "body_massage", 60, ask("tomorrow at 3"), NOW)
    assert [s.start for s in body[:2]] == [at(THU, 14), at(THU, 16)]  # nearest to 3pm first


def test_therapist_filter(store):
    slots = free_slots(PROFILE, store, "body_massage", 60, ask("tomorrow"), NOW, therapist_id="tom")
    assert {s.therapist_id for s in slots} == {"tom"}
    none = free_slots(
        PROFILE, store, "facial_massage", 45, ask("tomorrow"), NOW, therapist_id="tom"
    )
    assert not none and none.reason_code == "no_therapist"


def test_evenings_next_week(store):
    slots = free_slots(
        PROFILE, store, "body_massage", 60, ask("any evening next week"), NOW, limit=50
    )
    assert slots.in_window
    assert all(s.start.time() >= dt.time(17) for s in slots)
    assert all(dt.date(2026, 12, 14) <= s.start.date() <= dt.date(2026, 12, 20) for s in slots)
    assert slots[0].start == at(dt.date(2026, 12, 14), 17)
    assert dt.date(2026, 12, 18) not in {s.start.date() for s in slots}  # Friday closes at 17:00


@pytest.mark.parametrize(
    "text, code, words",
    [
        ("Sunday", "closed", "Sundays"),
        ("25 Dec", "closed", "holiday"),
        ("friday evening", "outside_hours", "5pm"),
    ],
)
def test_closed_and_outside_hours_have_reasons(store, text, code, words):
    slots = free_slots(PROFILE, store, "body_massage", 60, ask(text), NOW)
    assert not slots.in_window
    assert slots.reason_code == code and words in slots.reason
    assert slots  # nearest alternatives
    assert all(PROFILE.hours_on(s.start.date()) for s in slots)


def test_beyond_horizon(store):
    slots = free_slots(PROFILE, store, "body_massage", 60, ask("in 3 months"), NOW)
    assert slots.reason_code == "beyond_horizon" and "60 days" in slots.reason
    last_day = NOW.date() + dt.timedelta(days=60)
    assert all(s.start.date() <= last_day for s in slots)
    assert slots[0].start.date() == dt.date(2027, 2, 6)  # Sat before the closed Sunday horizon day


def test_full_day_offers_nearest_other_days(store):
    phone = iter(f"07911 2000{i:02d}" for i in range(99))
    for therapist in ("anna", "tom"):
        for start, end in [(10, 13), (13.5, 20)]:
            t = start
            while t + 1 <= end:
                book(store, at(THU, int(t), int((t % 1) * 60)), therapist, phone=next(phone))
                t += 1
    slots = free_slots(PROFILE, store, "body_massage", 60, ask("tomorrow at 3"), NOW)
    assert not slots.in_window and slots.reason_code == "full"
    assert {s.start.date() for s in slots} <= {dt.date(2026, 12, 9), dt.date(2026, 12, 11)}
    assert slots[0].start.time() == dt.time(15)  # same time on the nearest day


def test_problem_requests_are_passed_back():
    request = parse_date_request("03/04", NOW, PROFILE)
    slots = free_slots(PROFILE, None, "body_massage", 60, request, NOW)
    assert slots == [] and slots.reason_code == "ambiguous" and slots.reason == request.question


def test_bad_service_or_length():
    request = ask("tomorrow")
    with pytest.raises(KeyError):
        free_slots(PROFILE, None, "hot_stones", 60, request, NOW)
    with pytest.raises(ValueError):
        free_slots(PROFILE, None, "body_massage", 75, request, NOW)


def test_slot_problem():
    good = Slot(at(THU, 10), at(THU, 11), "anna", "body_massage", 60)
    assert slot_problem(PROFILE, good, NOW) is None
    assert (
        slot_problem(PROFILE, Slot(at(THU, 9), at(THU, 10), "anna", "body_massage", 60), NOW)
        == "outside_hours"
    )
    assert (
        slot_problem(
            PROFILE, Slot(at(THU, 12, 30), at(THU, 13, 30), "anna", "body_massage", 60), NOW
        )
        == "outside_hours"
    )
    assert (
        slot_problem(
            PROFILE, Slot(at(NOW.date(), 12), at(NOW.date(), 13), "anna", "body_massage", 60), NOW
        )
        == "too_soon"
    )
    far = dt.date(2027, 3, 1)
    assert (
        slot_problem(PROFILE, Slot(at(far, 10), at(far, 11), "anna", "body_massage", 60), NOW)
        == "beyond_horizon"
    )
    assert "does not give" in slot_problem(
        PROFILE, Slot(at(THU, 10), at(THU, 10, 45), "tom", "facial_massage", 45), NOW
    )


def test_slot_round_trip():
    slot = Slot(at(THU, 10), at(THU, 11), "anna", "body_massage", 60)
    assert Slot.from_dict(slot.to_dict()) == slot
    assert slot.describe("Anna") == "Thu 10 Dec at 10am with Anna"
