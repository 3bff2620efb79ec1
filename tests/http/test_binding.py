"""A clearance cannot be undone by starting again (issue 12, item 3).

Each route the issue found, through the running assistant: after a
`clearance`, the client starts over (/restart, /session_start, "check it
suits me" then "change an answer", a new chat with the same phone), says
"no" to everything, gets `ok`, and books. The booking must not be confirmed:
it is stored held for a therapist's review, with the client's history, and
the client is told so. The rules themselves: tests/unit/test_binding.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clinic_core.booking_store import BookingStore
from clinic_core.profile import load_profile
from tests.assistant import Assistant, new_sender, offers_booking, start_assistant, texts
from tests.http.test_booking import button_with, screen

YES, NO = "/affirm", "/deny"
SURGERY = {"have you had an operation": "yes I had a knee operation 3 weeks ago"}


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """Its own assistant: these conversations are longer than the per-chat
    rate limit's burst (30 messages), which is not what they test."""
    running = start_assistant(
        Path(tmp_path_factory.mktemp("binding")), {"CLINIC_RATE_LIMIT_SENDER": "0"}
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def clinic(assistant: Assistant) -> Iterator[BookingStore]:
    db = BookingStore(
        f"sqlite:///{assistant.workdir / 'clinic.db'}", profile=load_profile(assistant.profile_path)
    )
    yield db
    db.close()


def clearance(assistant: Assistant, sender: str) -> None:
    outcome = screen(
        assistant, sender, "can you check if a massage is ok for me?", answers=dict(SURGERY)
    )
    assert assistant.slot(sender, "screening_outcome") == "clearance", texts(outcome)


def screened_again_ok(assistant: Assistant, sender: str) -> None:
    """ "I'd like to book": the pre-screen comes first again; "no" to everything."""
    reply = texts(assistant.send(sender, "/book_appointment"))
    assert "few quick questions" in reply and "permission" in reply, reply
    outcome = screen(assistant, sender, None)
    assert assistant.slot(sender, "screening_outcome") == "ok", texts(outcome)


def book(assistant: Assistant, sender: str, phone: str) -> str:
    """From an ok pre-screen (body) to the end of the booking form; what the client reads."""
    replies = assistant.send(sender, "/book_appointment")
    assert "How long" in texts(replies), texts(replies)
    replies = assistant.send(sender, button_with(replies, "minutes 60"))
    replies = assistant.send(sender, button_with(replies, "as soon as possible"))
    replies = assistant.send(sender, button_with(replies, "slot "))
    assert "What name" in texts(replies), texts(replies)
    assistant.send(sender, "Pat Lee")
    assert "Shall I book it?" in texts(assistant.send(sender, phone))
    return texts(assistant.send(sender, YES))


def assert_held(clinic: BookingStore, sender: str, told: str, phone_end: str) -> None:
    assert "NOT confirmed" in told and "You're booked in" not in told, told
    assert "therapist" in told and f"ending {phone_end}" in told and "will contact you" in told, (
        told
    )
    held = [b for b in clinic.held_bookings() if b["sender_id"] == sender]
    assert len(held) == 1, held
    earlier = held[0]["history"][0]  # what the therapist reviews: outcome, reasons, date
    assert (earlier["outcome"], earlier["reasons"]) == (
        "clearance",
        ["recent_surgery"],
    ) and earlier["date"]
    events = [
        e.payload
        for e in clinic.outbox()
        if e.event_type == "booking.held" and e.payload.get("reference") == held[0]["reference"]
    ]
    assert events and events[0]["history"][0]["outcome"] == "clearance"
    assert not [
        e
        for e in clinic.outbox()
        if e.event_type == "booking.created" and e.payload.get("reference") == held[0]["reference"]
    ]


@pytest.mark.parametrize("start_over", ["/restart", "/session_start"])
def test_starting_over_in_the_same_chat(
    assistant: Assistant, clinic: BookingStore, start_over: str
) -> None:
    sender = new_sender()
    clearance(assistant, sender)
    assistant.send(sender, start_over)
    assert assistant.slot(sender, "screening_outcome") is None  # Rasa forgot it; the clinic did not
    screened_again_ok(assistant, sender)
    assert_held(clinic, sender, book(assistant, sender, "07911 123456"), "3456")


def test_checking_again_and_changing_an_answer(assistant: Assistant, clinic: BookingStore) -> None:
    sender = new_sender()
    clearance(assistant, sender)
    summary = assistant.send(sender, "can you check if a massage is ok for me?")
    assert "Is that right?" in texts(summary), texts(summary)
    pick = assistant.send(sender, NO)  # "Change an answer"
    redo = button_with(pick, '"screening_redo": "surgery_injury"')
    reply = texts(assistant.send(sender, redo))
    for _ in range(10):
        if "Is that right?" in reply:
            break
        reply = texts(assistant.send(sender, NO))
    final = assistant.send(sender, YES)
    assert assistant.slot(sender, "screening_outcome") == "ok", texts(final)
    assert offers_booking(final)
    assert_held(clinic, sender, book(assistant, sender, "07911 765432"), "5432")


def test_a_new_chat_with_the_same_phone(assistant: Assistant, clinic: BookingStore) -> None:
    first, second = new_sender(), new_sender()
    clearance(assistant, first)
    asked = texts(assistant.send(first, "/human_handoff"))  # the call-back a clearance offers
    assert "What's your name?" in asked, asked
    assistant.send(first, "Pat Lee")
    assistant.send(first, "07933 111222")
    assert "Thank you, Pat Lee" in texts(assistant.send(first, "weekday mornings"))
    screened_again_ok(assistant, second)  # a new chat: Rasa knows nothing of the first
    assert_held(clinic, second, book(assistant, second, "07933 111222"), "1222")


def test_someone_else_is_booked_as_usual(assistant: Assistant, clinic: BookingStore) -> None:
    sender = new_sender()
    screened_again_ok(assistant, sender)
    told = book(assistant, sender, "07944 999888")
    assert "You're booked in!" in told, told
    assert not [b for b in clinic.held_bookings() if b["sender_id"] == sender]


@pytest.mark.parametrize(
    "red_flag", ["/affirm", "I have crushing chest pain and my left arm is numb"]
)
def test_an_emergency_in_the_pre_screen_binds_too(
    assistant: Assistant, clinic: BookingStore, red_flag: str
) -> None:
    """A "yes" to the red-flag question (the form) or a red flag typed in the
    form (the emergency rule, action_emergency): either is kept after consent."""
    sender = new_sender()
    assert "permission" in texts(assistant.send(sender, "can you check if a massage is ok for me?"))
    assert "chest pain" in texts(assistant.send(sender, YES))
    assert "999" in texts(assistant.send(sender, red_flag))
    assert assistant.slot(sender, "screening_outcome") == "emergency"
    assistant.send(sender, "/restart")
    screened_again_ok(assistant, sender)
    told = book(assistant, sender, "07955 123123")
    assert "NOT confirmed" in told, told
    held = [b for b in clinic.held_bookings() if b["sender_id"] == sender]
    assert [(h["outcome"], h["reasons"]) for h in held[0]["history"]][0] == (
        "emergency",
        ["red_flag"],
    )
