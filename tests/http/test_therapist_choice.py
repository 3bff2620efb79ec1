"""Issue 11, item 8: a therapist choice where the clinic has several.

Through the running assistant, like a client on the REST channel: a
therapist named at the first booking message, at the times step (typed or
by the button beside the times), or at the confirmation; a therapist who
does not do the service is said plainly with who does; a service only one
therapist does shows nothing about choosing. The booking as stored has the
chosen therapist. Who does what is the test profile's copy of
clinic/profile.yml: Anna (body and facial), Tom (body only).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from clinic_core.booking_store import BookingStore
from clinic_core.profile import load_profile
from tests.assistant import Assistant, buttons, new_sender, texts
from tests.http.test_booking import REFERENCE, YES, button_with, say, screened_ok
from tests.http.test_booking_words import finish


@pytest.fixture(scope="module")
def clinic(assistant: Assistant) -> Iterator[BookingStore]:
    db = BookingStore(
        f"sqlite:///{assistant.workdir / 'clinic.db'}", profile=load_profile(assistant.profile_path)
    )
    yield db
    db.close()


def time_titles(replies: list[dict[str, Any]]) -> list[str]:
    """The offered times as the client reads them ("Thu 3 Dec at 2pm with Anna")."""
    return [
        b["title"]
        for r in replies
        for b in r.get("buttons") or []
        if '"slot ' in b.get("payload", "")
    ]


def therapist_payloads(replies: list[dict[str, Any]]) -> list[str]:
    return [p for p in buttons(replies) if '"therapist ' in p]


def offered_times(assistant: Assistant, sender: str, first: str) -> list[dict[str, Any]]:
    """From an ok pre-screen (body), `first` then the length: the times offered."""
    screened_ok(assistant, sender)
    say(assistant, sender, first)
    replies = say(assistant, sender, "60 minutes")
    if not time_titles(replies):  # a day still to give
        replies = say(assistant, sender, "as soon as possible")
    assert time_titles(replies), texts(replies)
    return replies


def test_a_therapist_named_in_the_first_message_gets_only_their_times(
    assistant: Assistant, clinic: BookingStore
) -> None:
    sender = new_sender()
    replies = offered_times(
        assistant, sender, "I'd like to book a massage with Tom on Friday afternoon"
    )
    titles = time_titles(replies)
    assert titles and all(t.endswith("with Tom") for t in titles), titles
    assert all(t.startswith("Fri") for t in titles), titles  # the day wish kept too
    # the way back to any therapist, and to Anna, beside the times
    assert sorted(therapist_payloads(replies)) == sorted(
        [
            '/inform_booking{"booking_choice": "therapist anna"}',
            '/inform_booking{"booking_choice": "therapist any"}',
        ]
    ), buttons(replies)
    booking = clinic.get(finish(assistant, sender, replies))
    assert booking.therapist_id == "tom"


def test_several_therapists_offer_a_choice_beside_the_times_without_a_turn_of_its_own(
    assistant: Assistant,
) -> None:
    sender = new_sender()
    replies = offered_times(assistant, sender, "/book_appointment")
    titles = [
        b["title"] for r in replies for b in r.get("buttons") or [] if '"therapist ' in b["payload"]
    ]
    assert titles == ["Only with Anna", "Only with Tom"], buttons(replies)
    assert "Which therapist" not in texts(replies)  # no question of its own


def test_a_therapist_typed_at_the_times_step(assistant: Assistant, clinic: BookingStore) -> None:
    sender = new_sender()
    offered_times(assistant, sender, "/book_appointment")
    replies = say(assistant, sender, "can I see Tom again?")
    text = texts(replies)
    assert "Tom it is" in text and "didn't catch" not in text.lower(), text
    titles = time_titles(replies)
    assert titles and all(t.endswith("with Tom") for t in titles), titles
    booking = clinic.get(finish(assistant, sender, replies))
    assert booking.therapist_id == "tom"


def test_the_therapist_button_beside_the_times(assistant: Assistant, clinic: BookingStore) -> None:
    sender = new_sender()
    replies = offered_times(assistant, sender, "/book_appointment")
    replies = say(assistant, sender, button_with(replies, "therapist anna"))
    titles = time_titles(replies)
    assert titles and all(t.endswith("with Anna") for t in titles), titles
    replies = say(assistant, sender, button_with(replies, "therapist any"))
    assert "therapist tom" in " ".join(buttons(replies)), buttons(replies)
    assert assistant.slot(sender, "booking_therapist") is None


def test_a_change_of_therapist_at_the_confirmation(
    assistant: Assistant, clinic: BookingStore
) -> None:
    sender = new_sender()
    replies = offered_times(assistant, sender, "I'd like to book a massage with Anna")
    say(assistant, sender, button_with(replies, "slot "))
    say(assistant, sender, "Jane Smith")
    summary = texts(say(assistant, sender, "07911 176543"))
    assert "Shall I book it?" in summary and "with Anna" in summary, summary
    replies = say(assistant, sender, "could I have Tom instead?")
    text = texts(replies)
    assert "Tom it is" in text, text
    if "Shall I book it?" not in text:  # that time is taken with Tom: his times
        titles = time_titles(replies)
        assert titles and all(t.endswith("with Tom") for t in titles), text
        text = texts(say(assistant, sender, button_with(replies, "slot ")))
    assert "Shall I book it?" in text and "with Tom" in text, text
    done = texts(say(assistant, sender, YES))
    match = REFERENCE.search(done)
    assert match, done
    assert clinic.get(match.group(1)).therapist_id == "tom"


def test_a_therapist_who_does_not_do_the_service_is_said_plainly(assistant: Assistant) -> None:
    sender = new_sender()
    screened_ok(assistant, sender, service="facial")
    say(assistant, sender, "can I book a facial with Tom?")
    replies = say(assistant, sender, "45 minutes")
    if not time_titles(replies):
        replies = say(assistant, sender, "as soon as possible")
    text = texts(replies)
    assert "Tom doesn't do therapeutic facial massage; Anna does" in text, text
    titles = time_titles(replies)
    assert titles and all(t.endswith("with Anna") for t in titles), titles
    # at the times step too, and the step stays where it was
    again = texts(say(assistant, sender, "with Tom please"))
    assert "Tom doesn't do therapeutic facial massage" in again, again
    assert assistant.slot(sender, "booking_therapist") is None


def test_one_therapist_for_the_service_shows_no_choice(assistant: Assistant) -> None:
    sender = new_sender()
    screened_ok(assistant, sender, service="facial")
    say(assistant, sender, "/book_appointment")
    say(assistant, sender, "45 minutes")
    replies = say(assistant, sender, "as soon as possible")
    assert time_titles(replies), texts(replies)
    assert not therapist_payloads(replies), buttons(replies)
    assert "Only with" not in json.dumps(replies)
