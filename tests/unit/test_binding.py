"""A non-ok pre-screen outcome cannot be undone by starting again (issue 12,
item 3): the rules (clinic_core/screening/binding.py) and the store that
applies them in the booking's transaction, against a real SQLite database.
The same routes through the running assistant are tests/http/test_binding.py.
"""

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from clinic_core import privacy
from clinic_core.availability import Slot
from clinic_core.booking_store import BookingStore, NotActive, ScreeningLink, SlotClaim
from clinic_core.profile import load_profile
from clinic_core.screening.binding import PastOutcome, binds, holding, stricter

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 12, 9, 11, 0, tzinfo=LONDON)
PROFILE = load_profile()
DAYS = PROFILE.retention.screening_days
THU = dt.date(2026, 12, 10)
REPO = Path(__file__).resolve().parents[2]
PHONE, OTHER_PHONE, EMAIL = "07911 123456", "07922 654321", "pat@example.com"


def slot(hour, therapist="anna"):
    start = dt.datetime.combine(THU, dt.time(hour), LONDON)
    return Slot(start, start + dt.timedelta(hours=1), therapist, "body_massage", 60)


def past(outcome, days_ago=1, screening_id=1):
    created = NOW - dt.timedelta(days=days_ago)
    return PastOutcome(screening_id, outcome, (), created, created + dt.timedelta(days=DAYS))


@pytest.fixture
def store(tmp_path):
    s = BookingStore(f"sqlite:///{tmp_path / 'clinic.db'}", profile=PROFILE)
    yield s
    s.close()


def book(store, hour, sender, outcome="ok", phone=PHONE, email=None, now=NOW):
    return store.book(
        slot(hour),
        name="Pat Lee",
        phone=phone,
        email=email,
        screening_outcome=outcome,
        sender_id=sender,
        now=now,
    )


def events(store, kind):
    return [e.payload for e in store.outbox() if e.event_type == kind]


# --------------------------------------------------------------------- rules


def test_every_outcome_but_ok_binds():
    assert [o for o in ("emergency", "clearance", "postpone", "modify", "ok") if binds(o)] == [
        "emergency",
        "clearance",
        "postpone",
        "modify",
    ]


@pytest.mark.parametrize(
    "earlier, now_outcome, held",
    [
        ("clearance", "ok", True),
        ("clearance", "modify", True),
        ("postpone", "ok", True),
        ("emergency", "ok", True),
        ("modify", "ok", True),
        ("clearance", None, True),
        ("modify", "modify", False),
        ("ok", "ok", False),
        ("clearance", "clearance", False),
    ],
)
def test_a_stricter_earlier_outcome_holds_the_booking(earlier, now_outcome, held):
    assert bool(holding(now_outcome, [past(earlier)], NOW)) is held


def test_the_binding_ends_with_the_records_retention():
    assert holding("ok", [past("clearance", days_ago=DAYS - 1)], NOW)
    assert not holding("ok", [past("clearance", days_ago=DAYS + 1)], NOW)


def test_no_outcome_is_more_lenient_than_any():
    assert stricter("ok", None) and not stricter("ok", "ok")


# --------------------------------------------------------------------- store


def test_clearance_then_a_new_ok_in_the_same_chat_is_held(store):
    store.save_screening(
        "chat-1", "clearance", ["surgery_recent"], {}, now=NOW - dt.timedelta(hours=1)
    )
    store.save_screening("chat-1", "ok", [], {}, now=NOW)  # after /restart, "no" to everything
    record = book(store, 10, "chat-1")
    assert record.status == "held"
    held = events(store, "booking.held")
    assert len(held) == 1 and not events(store, "booking.created")
    assert [(h["outcome"], h["reasons"]) for h in held[0]["history"]] == [
        ("clearance", ["surgery_recent"]),
        ("ok", []),
    ]
    assert len(held[0]["held_by"]) == 1 and held[0]["status"] == "held"
    # the time is kept for the client while the therapist reviews
    assert (
        store.busy(slot(10).start, slot(10).end)
        and store.upcoming_for(PHONE, now=NOW)[0].status == "held"
    )


def test_a_call_back_ties_the_outcome_to_the_phone_for_a_new_chat(store):
    store.save_screening("chat-1", "clearance", ["dvt_recent"], {}, now=NOW)
    store.request_callback("Pat", PHONE, best_time="mornings", sender_id="chat-1", now=NOW)
    store.save_screening("chat-2", "ok", [], {}, now=NOW)
    assert book(store, 10, "chat-2").status == "held"
    assert book(store, 12, "chat-3", phone=OTHER_PHONE).status == "booked"  # someone else


def test_a_held_booking_ties_the_email_too(store):
    store.save_screening("chat-1", "postpone", ["fever"], {}, now=NOW)
    assert book(store, 10, "chat-1", email=EMAIL).status == "held"
    # a new chat with another phone but the same email (any case)
    assert book(store, 12, "chat-2", phone=OTHER_PHONE, email="PAT@Example.com").status == "held"


def test_a_phone_given_before_the_outcome_is_tied_to_it(store):
    assert book(store, 10, "chat-1").status == "booked"  # booked first, with an ok pre-screen
    store.save_screening("chat-1", "emergency", ["red_flag"], {}, now=NOW)
    assert book(store, 12, "chat-2").status == "held"


def test_the_same_or_a_stricter_outcome_now_is_not_held(store):
    store.save_screening("chat-1", "modify", ["pregnancy"], {}, now=NOW)
    assert book(store, 10, "chat-1", outcome="modify").status == "booked"
    assert book(store, 12, "chat-1", outcome="ok").status == "held"


def test_past_retention_the_outcome_no_longer_binds(store):
    store.save_screening(
        "chat-1", "clearance", ["surgery_recent"], {}, now=NOW - dt.timedelta(days=DAYS + 1)
    )
    assert book(store, 10, "chat-1").status == "booked"
    assert events(store, "booking.created") and not events(store, "booking.held")


def test_a_therapist_confirms_a_held_booking(store):
    store.save_screening("chat-1", "clearance", [], {}, now=NOW)
    record = book(store, 10, "chat-1")
    confirmed = store.confirm_held(record.reference, "Anna", now=NOW)
    assert confirmed.status == "booked" and store.get(record.reference).status == "booked"
    assert events(store, "booking.confirmed")[0]["confirmed_by"] == "Anna"
    with pytest.raises(NotActive):
        store.confirm_held(record.reference, "Anna", now=NOW)


def test_a_therapist_declines_a_held_booking_and_its_time_is_free_again(store):
    """The console's "Decline": cancelled, its slot claims gone (another client
    can book the time), one booking.declined event naming who; a second
    decline or an approve afterwards is refused."""
    store.save_screening("chat-1", "clearance", ["pregnancy"], {}, now=NOW)
    record = book(store, 10, "chat-1")
    declined = store.decline_held(record.reference, "anna", now=NOW)
    assert declined.status == "cancelled" and store.get(record.reference).status == "cancelled"
    assert events(store, "booking.declined")[0]["declined_by"] == "anna"
    assert events(store, "booking.declined")[0]["reference"] == record.reference
    assert not store.busy(slot(10).start, slot(10).end)
    assert store.held_bookings(now=NOW) == []
    with pytest.raises(NotActive):
        store.decline_held(record.reference, "anna", now=NOW)
    with pytest.raises(NotActive):
        store.confirm_held(record.reference, "anna", now=NOW)
    assert book(store, 10, "chat-9", phone=OTHER_PHONE).status == "booked"  # the time is free


def test_only_a_held_booking_can_be_declined(store):
    record = book(store, 10, "chat-1")  # no earlier outcome: booked
    with pytest.raises(NotActive):
        store.decline_held(record.reference, "anna", now=NOW)
    assert store.get(record.reference).status == "booked"


def test_the_diary_shows_held_bookings_beside_booked_ones(store):
    """A held booking keeps its time, so the console's diary must show it."""
    store.save_screening("chat-1", "clearance", [], {}, now=NOW)
    held = book(store, 10, "chat-1")
    booked = book(store, 12, "chat-2", phone=OTHER_PHONE)
    day = dt.datetime.combine(THU, dt.time(0), LONDON)
    listed = store.between(day, day + dt.timedelta(days=1), "anna")
    assert [(b.reference, b.status) for b in listed] == [
        (held.reference, "held"),
        (booked.reference, "booked"),
    ]


def test_a_held_booking_can_be_cancelled_by_the_client(store):
    store.save_screening("chat-1", "clearance", [], {}, now=NOW)
    record = book(store, 10, "chat-1")
    assert store.cancel(record.reference, PHONE, now=NOW).status == "cancelled"
    with store.session() as s:
        assert s.execute(select(func.count()).select_from(SlotClaim)).scalar_one() == 0


def test_the_review_shows_the_clients_history(store):
    store.save_screening("chat-1", "postpone", ["fever"], {}, now=NOW - dt.timedelta(days=3))
    store.save_screening("chat-1", "clearance", ["surgery_recent"], {}, now=NOW)
    reference = book(store, 10, "chat-1").reference
    queue = privacy.review_queue(store, now=NOW)
    assert [q["outcome"] for q in queue] == ["postpone", "clearance"]
    assert [(h["outcome"], h["reasons"]) for h in queue[1]["history"]] == [("postpone", ["fever"])]
    assert queue[1]["bookings"] == [reference]
    review = events(store, "screening.review")
    assert review[0]["history"] == [] and review[1]["history"][0]["outcome"] == "postpone"
    held = store.held_bookings(now=NOW)
    assert [h["reference"] for h in held] == [reference]
    assert [h["outcome"] for h in held[0]["history"]] == ["postpone", "clearance"]
    assert held[0]["name"] == "Pat Lee" and held[0]["phone"] == "+447911123456"


# ------------------------------------------------------------ erase and purge


def links(store):
    with store.session() as s:
        return s.execute(select(func.count()).select_from(ScreeningLink)).scalar_one()


@pytest.mark.parametrize("key", [{"phone": PHONE}, {"email": EMAIL}])
def test_erasing_a_phone_or_email_erases_the_screenings_it_binds(store, key):
    store.save_screening("chat-1", "clearance", ["surgery_recent"], {}, now=NOW)
    store.request_callback("Pat", PHONE, sender_id="chat-1", now=NOW)
    book(store, 10, "chat-2", email=EMAIL)  # held; ties chat-2, the phone and the email
    assert links(store) == 3
    report = privacy.erase(store, tracker_url="sqlite:////nonexistent/tracker.db", now=NOW, **key)
    assert links(store) == 0 and report.screening_links_deleted == 3
    assert report.screenings_deleted == 1 and {"chat-1", "chat-2"} <= set(report.sender_ids)
    assert store.review_queue() == []


def test_erasing_a_chat_leaves_another_chats_screening(store):
    """A chat that booked with a phone tied to another chat's outcome may be
    someone else (a shared phone): its erasure removes its own link only."""
    store.save_screening("chat-1", "clearance", ["surgery_recent"], {}, now=NOW)
    store.request_callback("Pat", PHONE, sender_id="chat-1", now=NOW)
    book(store, 10, "chat-2")  # held; ties chat-2 to chat-1's outcome
    assert links(store) == 2
    report = privacy.erase(
        store, sender_id="chat-2", tracker_url="sqlite:////nonexistent/tracker.db", now=NOW
    )
    assert report.screening_links_deleted == 1 and report.screenings_deleted == 0
    assert report.sender_ids == ["chat-2"]
    assert [q["sender_id"] for q in store.review_queue()] == ["chat-1"]
    assert book(store, 12, "chat-3").status == "held"  # the phone still binds chat-1's outcome


def test_purge_removes_the_links_with_their_screening(store):
    store.save_screening("chat-1", "clearance", [], {}, now=NOW)
    store.request_callback("Pat", PHONE, sender_id="chat-1", now=NOW)
    assert links(store) == 1
    report = privacy.purge(
        store,
        PROFILE,
        NOW + dt.timedelta(days=DAYS + 1),
        tracker_url="sqlite:////nonexistent/tracker.db",
    )
    assert report.screening_links_deleted == 1 and links(store) == 0


@pytest.mark.slow  # the review command in a Python process of its own
def test_cli_review_lists_held_bookings_with_history(store):
    store.save_screening("chat-1", "clearance", ["surgery_recent"], {}, now=NOW)
    reference = book(store, 10, "chat-1").reference
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "clinic_core.privacy",
            "--db-url",
            store.url,
            "review",
            "--now",
            NOW.isoformat(),
        ],
        cwd=REPO,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    listed = json.loads(out.stdout)
    assert [s["outcome"] for s in listed["screenings"]] == ["clearance"]
    assert listed["held_bookings"][0]["reference"] == reference
    assert listed["held_bookings"][0]["history"][0]["reasons"] == ["surgery_recent"]


def test_erase_takes_the_history_out_of_the_outbox_too(store):
    store.save_screening("chat-1", "clearance", ["surgery_recent"], {}, now=NOW)
    store.request_callback("Pat", PHONE, sender_id="chat-1", now=NOW)
    held = book(store, 10, "chat-2", phone=PHONE)  # held: its event quotes chat-1's outcome
    store.save_screening("chat-2", "postpone", ["fever"], {}, now=NOW)  # its review quotes it too
    privacy.erase(
        store, sender_id="chat-1", tracker_url="sqlite:////nonexistent/tracker.db", now=NOW
    )
    for event in store.outbox():
        assert "surgery_recent" not in json.dumps(event.payload), event
    assert [e for e in store.outbox() if e.event_type == "booking.held"][0].payload[
        "reference"
    ] == held.reference
