"""What staff do, over HTTP: book a phone caller (only after the pre-screen),
move and cancel (the webhook hears of it; the client is told when they have
a chat), review a pre-screen, and what happens when the assistant is down
(this console is started with RASA_URL pointing at nothing): staff get a
clear message, the change in the database stands or is undone, never half."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from clinic_core.availability import Slot
from clinic_core.handover import HandoverDesk
from clinic_core.profile import load_profile
from tests.console.harness import Console, start_console

PROFILE = load_profile()


def next_weekday(weekday: int, hour: int) -> dt.datetime:
    """The first such weekday at least 3 days ahead that is not a holiday."""
    day = dt.datetime.now(PROFILE.tz).date() + dt.timedelta(days=3)
    while day.weekday() != weekday or PROFILE.hours_on(day) is None:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=PROFILE.tz)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    running = start_console(tmp_path_factory.mktemp("console"))
    yield running
    running.stop()


def test_phone_booking_needs_the_pre_screen_then_move_and_cancel(console: Console) -> None:
    rita = console.session("rita")
    start = next_weekday(2, 10)  # a Wednesday, 10:00
    form = {
        "service": "body_massage:60",
        "therapist_id": "tom",
        "date": start.date().isoformat(),
        "time": "10:00",
        "name": "Phone Caller",
        "phone": "020 7946 0111",
        "screening_outcome": "ok",
    }
    refused = rita.post("/bookings", form)
    assert refused.status_code == 400 and "No booking without the pre-screen" in refused.text
    clearance = rita.post(
        "/bookings", {**form, "screened": "yes", "screening_outcome": "clearance"}
    )
    assert clearance.status_code == 400
    booked = rita.post("/bookings", {**form, "screened": "yes"})
    assert booked.status_code == 200 and "Booked " in booked.text
    store = console.store()
    created = [e for e in store.outbox() if e.event_type == "booking.created"][-1].payload
    reference = created["reference"]
    assert created["screening_outcome"] == "ok" and created["sender_id"] is None

    week = rita.get(f"/bookings?therapist=tom&view=week&date={start.date().isoformat()}").text
    assert reference in week and "Phone Caller" in week and "booked by phone" in week

    moved = rita.post(
        f"/bookings/{reference}/move",
        {"date": start.date().isoformat(), "time": "15:00", "therapist_id": "tom"},
    )
    assert moved.status_code == 200 and f"Moved {reference}" in moved.text
    assert "let the client know by phone" in moved.text  # no chat to tell them in
    event = [e for e in store.outbox() if e.event_type == "booking.moved"][-1].payload
    assert event["by"] == "clinic" and event["start"].startswith(
        start.date().isoformat() + "T15:00"
    )

    clash = rita.post(
        f"/bookings/{reference}/move",
        {"date": start.date().isoformat(), "time": "13:00", "therapist_id": "tom"},
    )
    assert clash.status_code == 400 and "be booked (outside_hours)" in clash.text  # the lunch break

    cancelled = rita.post(f"/bookings/{reference}/cancel")
    assert cancelled.status_code == 200 and f"Cancelled {reference}" in cancelled.text
    assert store.get(reference).status == "cancelled"
    assert [e for e in store.outbox() if e.event_type == "booking.cancelled"][-1].payload[
        "by"
    ] == "clinic"


def test_chat_booking_moved_while_the_assistant_is_down_warns_staff(console: Console) -> None:
    store = console.store()
    start = next_weekday(3, 11)  # a Thursday, 11:00
    slot = Slot(start, start + dt.timedelta(minutes=60), "anna", "body_massage", 60)
    booking = store.book(
        slot,
        name="Chat Client",
        phone="07911 123456",
        sender_id="chat-sender-1",
        screening_outcome="ok",
    )
    rita = console.session("rita")
    moved = rita.post(
        f"/bookings/{booking.reference}/move",
        {"date": start.date().isoformat(), "time": "14:00", "therapist_id": "anna"},
    )
    assert moved.status_code == 200
    assert "chat could not be reached" in moved.text  # the move stands; staff phone the client
    assert store.get(booking.reference).start.hour == 14


def test_review_note_and_mark_reviewed(console: Console) -> None:
    store = console.store()
    screening = store.save_screening("review-sender", "postpone", ["fever"], {"fever": "yes"})
    anna = console.session("anna")
    noted = anna.post(f"/reviews/{screening}/note", {"text": "Ask again in a week"})
    assert noted.status_code == 200 and "Ask again in a week" in noted.text
    asked = anna.post(f"/reviews/{screening}/callback")
    assert asked.status_code == 502 and "cannot be reached" in asked.text
    done = anna.post(f"/reviews/{screening}/reviewed")
    assert done.status_code == 200 and f"Pre-screen #{screening}" not in done.text
    assert f"Pre-screen #{screening}" in anna.get("/reviews?show=all").text


def test_take_over_while_the_assistant_is_down_leaves_the_request_waiting(console: Console) -> None:
    desk = HandoverDesk(console.store())
    request = desk.request("inbox-sender", "socketio")
    rita = console.session("rita")
    assert f"Conversation #{request.id}" in rita.get("/inbox").text
    answer = rita.api("POST", f"/api/handovers/{request.id}/take")
    assert answer.status_code == 502 and "cannot be reached" in answer.json()["error"]
    assert desk.get(request.id).status == "waiting"  # someone can try again
    assert (
        rita.api("POST", f"/api/handovers/{request.id}/messages", json={"text": "hi"}).status_code
        == 400
    )


def test_analytics_page_draws_charts(console: Console) -> None:
    sam = console.session("sam")
    page = sam.get("/analytics")
    assert page.status_code == 200 and page.text.count("<svg") == 5
    data = sam.get("/api/analytics").json()
    assert set(data) >= {
        "conversations_per_day",
        "faq_topics",
        "unanswered_share",
        "screening_outcomes",
        "bookings",
    }
    assert data["screening_outcomes"]["postpone"] >= 1
