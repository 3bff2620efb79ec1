"""Privacy in the chat (issue 12, item 9): "what do you know about me?" and
"forget me", through the running assistant.

The erasure runs in the middle of a turn, and Rasa saves the tracker after
it: the tests read the tracker database's raw rows after that turn, so a
store that wrote the conversation back would fail them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from clinic_core.booking_store import BookingStore
from clinic_core.profile import load_profile
from tests.assistant import Assistant, new_sender, set_slots, texts
from tests.http.test_booking import book_by_buttons, screen

YES, NO = "/affirm", "/deny"
NAME, PHONE, PHONE_E164 = "Quentin Zabrowski", "07933 417263", "+447933417263"
HEALTH = "yes, I had a knee operation 19 days ago"


@pytest.fixture(scope="module")
def clinic(assistant: Assistant) -> Iterator[BookingStore]:
    db = BookingStore(
        f"sqlite:///{assistant.workdir / 'clinic.db'}", profile=load_profile(assistant.profile_path)
    )
    yield db
    db.close()


def tracker_rows(assistant: Assistant, sender: str | None = None) -> list[tuple[str, str]]:
    """(sender_id, data) of the raw rows of Rasa's events table."""
    conn = sqlite3.connect(assistant.workdir / "tracker.db")
    try:
        query = "SELECT sender_id, data FROM events" + (" WHERE sender_id = ?" if sender else "")
        return conn.execute(query, (sender,) if sender else ()).fetchall()
    finally:
        conn.close()


def clearance_and_call_back(
    assistant: Assistant,
    sender: str,
    name: str = "Pat Lee",
    phone: str = "07933 111222",
    health: str = "yes I had a knee operation 3 weeks ago",
) -> None:
    """A pre-screen that ends in clearance, then a call-back request: what a
    client who was told to see their doctor first typically leaves."""
    screen(
        assistant,
        sender,
        "can you check if a massage is ok for me?",
        answers={"have you had an operation": health},
    )
    assert assistant.slot(sender, "screening_outcome") == "clearance"
    assert "What's your name?" in texts(assistant.send(sender, "/human_handoff"))
    assistant.send(sender, name)
    assistant.send(sender, phone)
    assert "Thank you" in texts(assistant.send(sender, "weekday mornings"))


def test_what_do_you_know_lists_what_the_clinic_holds(assistant: Assistant) -> None:
    sender = new_sender()
    clearance_and_call_back(assistant, sender)
    told = texts(assistant.send(sender, "what do you know about me?"))
    assert (
        "health check of" in told
        and "check with your doctor" in told
        and "Recent operation" in told
    ), told
    assert "call-back request" in told and "weekday mornings" in told and "ending 1222" in told, (
        told
    )
    assert "messages of this chat" in told and "30 days" in told
    assert "+447933111222" not in told and "07933 111222" not in told  # read back masked


def test_never_more_than_the_store_holds(assistant: Assistant) -> None:
    """An outcome that is only in the conversation's slots (never saved) is not claimed."""
    sender = new_sender()
    set_slots(
        assistant,
        sender,
        {"screening_outcome": "clearance", "screening_reasons": ["recent_surgery"]},
    )
    told = texts(assistant.send(sender, "what data have you got about me"))
    assert "messages of this chat" in told, told
    assert "health check" not in told and "Booking" not in told and "call-back" not in told, told


def test_forget_me_asks_then_erases_the_records_and_the_conversation(
    assistant: Assistant, clinic: BookingStore
) -> None:
    sender = new_sender()
    clearance_and_call_back(assistant, sender, NAME, PHONE, HEALTH)  # words no other test types
    asked = texts(assistant.send(sender, "forget me"))
    assert (
        "Shall I erase it all?" in asked
        and "health check of" in asked
        and "call-back request" in asked
    ), asked
    assert "haven't erased anything" in texts(assistant.send(sender, "no"))
    assert [q for q in clinic.review_queue() if q["sender_id"] == sender]  # still there
    assert any(NAME in data for _, data in tracker_rows(assistant, sender))

    assert "Shall I erase it all?" in texts(assistant.send(sender, "please delete my data"))
    done = texts(assistant.send(sender, YES))
    assert "I've erased" in done and "health check of" in done and "call-back request" in done, done
    assert "messages of this chat" in done

    # the turn is over and saved: not one row of the conversation is left, and
    # nothing the client typed is anywhere in the tracker database
    assert tracker_rows(assistant, sender) == []
    everything = "\n".join(data for _, data in tracker_rows(assistant))
    for typed in (NAME, "417263", "19 days ago"):
        assert typed not in everything, typed
    # nor in the files' bytes: the erased rows are zeroed and the write-ahead logs emptied
    for name in ("tracker.db", "tracker.db-wal", "clinic.db", "clinic.db-wal"):
        path = assistant.workdir / name
        if path.exists():
            assert NAME.encode() not in path.read_bytes(), name
    # the clinic's records of it are gone, as `privacy erase --sender-id` does
    assert not [q for q in clinic.review_queue(include_reviewed=True) if q["sender_id"] == sender]
    assert not [
        e for e in clinic.outbox() if NAME in str(e.payload) or PHONE_E164 in str(e.payload)
    ]

    # and the assistant still talks to them, as a new conversation
    assert "automated assistant" in texts(assistant.send(sender, "hello"))
    assert tracker_rows(assistant, sender) and assistant.slot(sender, "screening_outcome") is None
    assert not any(NAME in data for _, data in tracker_rows(assistant, sender))


def test_forget_me_warns_about_an_upcoming_booking(
    assistant: Assistant, clinic: BookingStore
) -> None:
    sender = new_sender()
    set_slots(
        assistant,
        sender,
        {
            "screening_outcome": "ok",
            "screening_reasons": [],
            "screening_state": {"service": "body"},
        },
    )
    reference = book_by_buttons(assistant, sender, name="Robin Marsh", phone="07933 555666")
    asked = texts(assistant.send(sender, "can you delete my information"))
    assert f"Booking {reference}" in asked and "would stay in the diary" in asked, asked
    done = texts(assistant.send(sender, YES))
    assert f"booking {reference}" in done, done
    kept = clinic.get(reference)
    assert kept.status == "booked" and (kept.name, kept.phone, kept.sender_id) == (None, None, None)


def test_with_the_database_down_nothing_is_claimed_or_erased(no_database: Assistant) -> None:
    sender = new_sender()
    assert "can't reach our records" in texts(
        no_database.send(sender, "what do you know about me?")
    )
    told = texts(no_database.send(sender, "forget me"))
    assert "nothing has been erased" in told, told
    assert tracker_rows(no_database, sender)  # nothing erased: the chat is kept too


def test_in_the_middle_of_a_form(assistant: Assistant) -> None:
    """The consent text says the client may withdraw and ask for deletion at
    any time: in the pre-screen that ends the questions and asks; a question
    about their data in the middle of booking is answered, then the booking
    goes on."""
    sender = new_sender()
    assert "permission" in texts(assistant.send(sender, "can you check if a massage is ok for me?"))
    assert "chest pain" in texts(assistant.send(sender, YES))
    asked = texts(assistant.send(sender, "I withdraw my consent, delete my answers"))
    assert "Shall I erase it all?" in asked, asked
    assert (assistant.tracker(sender).get("active_loop") or {}).get("name") is None

    sender = new_sender()
    set_slots(
        assistant,
        sender,
        {
            "screening_outcome": "ok",
            "screening_reasons": [],
            "screening_state": {"service": "body"},
        },
    )
    assert "How long" in texts(assistant.send(sender, "/book_appointment"))
    told = texts(assistant.send(sender, "what do you know about me?"))
    assert "messages of this chat" in told and "How long" in told, told
