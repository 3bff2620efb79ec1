"""Bookings held for a therapist's review (issue 12) in the console's review
queue (issue 14), over HTTP against the console as `make run` starts it, with
a stand-in for Rasa's HTTP API that records what the client would be told:
the held booking is listed with the client's history (bound here by the
phone, from another chat), a therapist or admin approves or declines it, asks
for a call or adds a note, the client is told over their channel in the
domain's wording, the webhook outbox has the event, every view and change is
audited, and reception can do none of it."""

from __future__ import annotations

import datetime as dt
import html
import itertools
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from clinic_core.availability import Slot
from clinic_core.booking_store import BookingRecord, BookingStore
from clinic_core.profile import load_profile
from clinic_core.staff import AuditEntry
from tests.console.harness import Console, FakeRasa, start_console

PROFILE = load_profile()
NAME, HEALTH = "Philippa Quartermaine", "pregnancy"
_phones = itertools.count(200)


def next_open_day(weekday: int) -> dt.date:
    day = dt.datetime.now(PROFILE.tz).date() + dt.timedelta(days=3)
    while day.weekday() != weekday or PROFILE.hours_on(day) is None:
        day += dt.timedelta(days=1)
    return day


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeRasa]:
    rasa = FakeRasa()
    yield rasa
    rasa.stop()


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory, fake: FakeRasa) -> Iterator[Console]:
    running = start_console(
        tmp_path_factory.mktemp("console_held"), rasa_url=fake.url, rasa_token="t0ken"
    )
    yield running
    running.stop()


def held_booking(
    store: BookingStore, hour: int, sender: str = "held-chat-new"
) -> tuple[BookingRecord, int, str]:
    """An earlier clearance in one chat, tied to a phone by that chat's call-back
    request; then a booking with an ok pre-screen from another chat, same phone:
    held. Returns the booking, the earlier screening's id and the phone."""
    phone = f"07911 123{next(_phones):03d}"
    earlier_chat = f"held-chat-earlier-{phone[-3:]}"
    earlier = store.save_screening(earlier_chat, "clearance", [HEALTH], {HEALTH: "yes"})
    store.request_callback(NAME, phone, "mornings", sender_id=earlier_chat)
    start = dt.datetime.combine(next_open_day(1), dt.time(hour), tzinfo=PROFILE.tz)
    booking = store.book(
        Slot(start, start + dt.timedelta(minutes=60), "anna", "body_massage", 60),
        name=NAME,
        phone=phone,
        screening_outcome="ok",
        sender_id=f"{sender}-{phone[-3:]}",
    )
    assert booking.status == "held"
    return booking, earlier, phone


def audit_rows(store: BookingStore, reference: str) -> list[tuple[str, str, str]]:
    with store.session() as s:
        return list(
            s.execute(
                select(AuditEntry.username, AuditEntry.action, AuditEntry.record_type).where(
                    AuditEntry.record_id == reference
                )
            ).all()
        )


def test_the_queue_lists_a_held_booking_with_the_clients_history(console: Console) -> None:
    store = console.store()
    booking, earlier, _ = held_booking(store, 10)
    anna = console.session("anna")
    page = anna.get("/reviews").text
    card = page[page.index(f'id="held-{booking.reference}"') :]
    card = card[: card.index("</article>")]
    assert (
        NAME in card
        and "clearance" in card
        and "Pregnancy" in card
        and "holds this booking" in card
    )
    assert f"Approve {booking.reference}" in card and f"Decline {booking.reference}" in card
    item = [
        i
        for i in anna.get("/api/reviews/held").json()["items"]
        if i["reference"] == booking.reference
    ][0]
    assert item["held_by"] == [earlier] and item["screening_outcome"] == "ok"
    assert [(h["outcome"], h["reasons"]) for h in item["history"]] == [("clearance", [HEALTH])]
    # the pre-screen that holds it points at it in the queue below
    review = [r for r in anna.get("/api/reviews").json()["items"] if r["id"] == earlier][0]
    assert booking.reference in review["held_bookings"]
    assert ("anna", "view", "held_booking") in audit_rows(store, booking.reference)


def test_reception_can_neither_see_nor_approve_held_bookings(
    console: Console, fake: FakeRasa
) -> None:
    store = console.store()
    booking, _, _ = held_booking(store, 11)
    rita = console.session("rita")
    for path in ("approve", "decline", "callback", "note"):
        assert (
            rita.post(f"/reviews/held/{booking.reference}/{path}", {"text": "x"}).status_code == 403
        ), path
        assert (
            rita.api(
                "POST", f"/api/reviews/held/{booking.reference}/{path}", json={"text": "x"}
            ).status_code
            == 403
        ), path
    assert rita.get("/api/reviews/held").status_code == 403
    assert store.get(booking.reference).status == "held"
    assert not [
        e
        for e in store.outbox()
        if e.event_type == "booking.confirmed" and e.payload["reference"] == booking.reference
    ]
    assert not fake.lines_to(booking.sender_id)
    assert audit_rows(store, booking.reference) == []


def test_a_therapist_approves_and_the_client_is_told_in_their_chat(
    console: Console, fake: FakeRasa
) -> None:
    store = console.store()
    booking, _, _ = held_booking(store, 12)
    anna = console.session("anna")
    approved = anna.post(f"/reviews/held/{booking.reference}/approve")
    assert approved.status_code == 200 and f"Approved {booking.reference}" in approved.text
    assert f'id="held-{booking.reference}"' not in approved.text
    assert store.get(booking.reference).status == "booked"
    confirmed = [
        e.payload
        for e in store.outbox()
        if e.event_type == "booking.confirmed" and e.payload["reference"] == booking.reference
    ]
    assert len(confirmed) == 1 and confirmed[0]["confirmed_by"] == "anna"
    told = fake.lines_to(booking.sender_id)
    assert (
        len(told) == 1
        and "confirmed it" in told[0]["text"]
        and booking.reference in told[0]["text"]
    )
    assert "{" not in told[0]["text"] and "12pm" in told[0]["text"]
    assert ("anna", "approve", "booking") in audit_rows(store, booking.reference)
    again = anna.post(f"/reviews/held/{booking.reference}/approve")
    assert again.status_code == 400 and "not waiting for a review" in again.text
    assert len(fake.lines_to(booking.sender_id)) == 1


def test_a_therapist_declines_the_time_is_freed_and_the_client_offered_a_call(
    console: Console, fake: FakeRasa
) -> None:
    store = console.store()
    booking, _, _ = held_booking(store, 14)
    sam = console.session("sam")  # an admin may do what a therapist does
    answer = sam.api("POST", f"/api/reviews/held/{booking.reference}/decline")
    assert answer.status_code == 200, answer.text
    assert answer.json()["booking"]["status"] == "cancelled" and answer.json()["warning"] is None
    assert store.get(booking.reference).status == "cancelled"
    assert not store.busy(booking.start, booking.end)
    declined = [
        e.payload
        for e in store.outbox()
        if e.event_type == "booking.declined" and e.payload["reference"] == booking.reference
    ]
    assert len(declined) == 1 and declined[0]["declined_by"] == "sam"
    told = fake.lines_to(booking.sender_id)[-1]
    assert (
        "can't confirm it yet" in told["text"]
        and "cancelled" in told["text"]
        and PROFILE.phone in told["text"]
    )
    assert told["data"]["buttons"][0]["payload"] == '/human_handoff{"callback": "yes"}'
    assert ("sam", "decline", "booking") in audit_rows(store, booking.reference)


def test_ask_for_a_call_and_a_note_keep_the_booking_held(console: Console, fake: FakeRasa) -> None:
    store = console.store()
    booking, _, _ = held_booking(store, 15)
    anna = console.session("anna")
    asked = anna.post(f"/reviews/held/{booking.reference}/callback")
    assert asked.status_code == 200 and "leave a number" in asked.text
    assert "would like to talk them through" in fake.lines_to(booking.sender_id)[-1]["text"]
    noted = anna.post(
        f"/reviews/held/{booking.reference}/note", {"text": "GP letter first, then approve"}
    )
    assert noted.status_code == 200 and "GP letter first, then approve" in noted.text
    assert store.get(booking.reference).status == "held"
    rows = audit_rows(store, booking.reference)
    assert ("anna", "ask_callback", "booking") in rows and ("anna", "note", "booking") in rows


def test_approving_while_the_chat_cannot_be_reached_still_approves_and_says_so(
    console: Console, fake: FakeRasa
) -> None:
    store = console.store()
    booking, _, _ = held_booking(store, 16)
    anna = console.session("anna")
    fake.down = True
    try:
        approved = anna.post(f"/reviews/held/{booking.reference}/approve")
    finally:
        fake.down = False
    assert approved.status_code == 200 and "chat could not be reached" in approved.text
    assert store.get(booking.reference).status == "booked"


def test_a_phone_booking_for_a_bound_caller_is_held_and_shown_so(console: Console) -> None:
    """Reception books a caller whose phone carries an earlier clearance: the
    store holds it (nobody books around issue 12's rule), the console says so,
    and the diary marks it."""
    store = console.store()
    _, _, phone = held_booking(store, 9)
    rita = console.session("rita")
    day = next_open_day(2)
    form = {
        "service": "body_massage:60",
        "therapist_id": "tom",
        "date": day.isoformat(),
        "time": "10:00",
        "name": NAME,
        "phone": phone,
        "screening_outcome": "ok",
        "screened": "yes",
    }
    answer = rita.post("/bookings", form)
    notice = re.findall(
        r"class=\"(?:notice|warning|error)\"[^>]*>([^<]*)<", html.unescape(answer.text)
    )
    assert answer.status_code == 200 and "for a therapist's review" in " ".join(notice), notice
    reference = [e.payload for e in store.outbox() if e.event_type == "booking.held"][-1][
        "reference"
    ]
    assert store.get(reference).status == "held"
    diary = html.unescape(rita.get(f"/bookings?therapist=tom&date={day.isoformat()}").text)
    assert reference in diary and "held for a therapist's review" in diary
