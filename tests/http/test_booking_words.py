"""Issue 11, booking side (items 5-8), through the running assistant.

Each test talks over the REST channel like a client: the service is the
client's choice and can change at any step; health news during booking
reopens the pre-screen for what it changes and is never a date or a name;
booking goes on in the client's words (a yes answers the offer, a closed
time is said plainly, a question at a step is answered); and what the
client sees (the reference in bold, the phone number in local terms).
The database checks read the booking as stored.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

from clinic_core.booking_store import BookingStore
from clinic_core.profile import load_profile
from tests.assistant import Assistant, buttons, new_sender, offers_booking, texts
from tests.http.test_booking import (
    NO,
    REFERENCE,
    YES,
    button_with,
    say,
    screen,
    screened_ok,
)


@pytest.fixture(scope="module")
def clinic(assistant: Assistant) -> Iterator[BookingStore]:
    """The clinic database the assistant's action server writes."""
    db = BookingStore(
        f"sqlite:///{assistant.workdir / 'clinic.db'}", profile=load_profile(assistant.profile_path)
    )
    yield db
    db.close()


def own_phone() -> str:
    """A number of this test's own: an earlier pre-screen under the same
    number would hold the booking for a therapist (clinic_core.screening.binding)
    and change what other tests see."""
    return f"07911 1{random.randint(0, 99999):05d}"


def finish(assistant: Assistant, sender: str, replies: list[dict[str, Any]]) -> str:
    """From offered times to the reference: the first time, a name, a phone, yes."""
    replies = say(assistant, sender, button_with(replies, "slot "))
    assert "What name" in texts(replies), texts(replies)
    say(assistant, sender, "Jane Smith")
    summary = texts(say(assistant, sender, own_phone()))
    assert "Shall I book it?" in summary, summary
    done = texts(say(assistant, sender, YES))
    match = REFERENCE.search(done)
    assert match, done
    assert f"**{match.group(1)}**" in done  # item 8: the reference in bold
    return match.group(1)


def answer_no_until(assistant: Assistant, sender: str, replies: list[dict[str, Any]]) -> str:
    """Says no to reopened pre-screen questions, yes to the summary; returns
    the text after the outcome (booking resumed)."""
    text = texts(replies)
    for _ in range(10):
        if "Is that right?" in text:
            return texts(say(assistant, sender, YES))
        text = texts(say(assistant, sender, NO))
    raise AssertionError(text)


def test_booking_goes_on_by_itself_after_the_outcome_when_asked_for(
    assistant: Assistant,
) -> None:
    """Item 7: a booking wish starts booking with the wish kept; after the
    pre-screen the booking goes on (no second "book me in")."""
    sender = new_sender()
    outcome = texts(screen(assistant, sender, "facial fri afternoon?"))
    assert "How long would you like your therapeutic facial massage" in outcome, outcome
    replies = say(assistant, sender, "45 minutes")
    assert "Fri" in texts(replies) and "afternoon" in texts(replies), texts(replies)


def test_a_yes_answers_the_booking_the_pre_screen_offered(assistant: Assistant) -> None:
    sender = new_sender()
    outcome = screen(assistant, sender, "can I have a massage?")
    assert offers_booking(outcome), texts(outcome)
    replies = texts(say(assistant, sender, "yes please"))
    assert "How long would you like" in replies, replies


def test_the_offer_asks_the_length_and_a_length_books_with_it(assistant: Assistant) -> None:
    """A check-only pre-screen's offer asks how long (issue 11, round two:
    one turn fewer): a typed yes with a length, or a length tapped, opens
    booking at the next question."""
    sender = new_sender()
    outcome = screen(assistant, sender, "can I have a massage?")
    assert "how long you'd like" in texts(outcome), texts(outcome)
    assert [b["title"] for r in outcome for b in r.get("buttons") or []] == [
        "Book 60 min (£65)",
        "Book 90 min (£90)",
    ]
    replies = texts(say(assistant, sender, "yes please, 90 minutes"))
    assert "When would you like" in replies and "How long" not in replies, replies

    sender = new_sender()
    outcome = screen(assistant, sender, "can I have a massage?")
    assert "how long you'd like" in texts(outcome), texts(outcome)
    pressed = next(p for p in buttons(outcome) if "minutes 60" in p)
    replies = texts(say(assistant, sender, pressed))
    assert "When would you like" in replies and "How long" not in replies, replies


def test_a_change_of_service_asks_only_what_differs_and_books_it(
    assistant: Assistant, clinic: BookingStore
) -> None:
    """Item 5: "actually, could I have a facial instead?" at the length step:
    the facial's own questions only, then its lengths, booked as a facial."""
    sender = new_sender()
    outcome = texts(screen(assistant, sender, "I'd like to book a massage for wednesday afternoon"))
    assert "therapeutic body massage" in outcome, outcome
    replies = say(assistant, sender, "actually, could I have a facial instead?")
    text = texts(replies)
    assert "facial massage instead" in text, text
    assert "isn't on offer" not in text and "didn't catch" not in text
    assert "chest pain" not in text.lower()  # the body questions are not asked again
    resumed = answer_no_until(assistant, sender, replies)
    assert "How long would you like your therapeutic facial massage" in resumed, resumed
    replies = say(assistant, sender, "45 minutes")
    reference = finish(assistant, sender, replies)
    booking = clinic.get(reference)
    assert booking.service_id == "facial_massage" and booking.minutes == 45


def test_health_news_during_booking_reopens_the_pre_screen(
    assistant: Assistant, clinic: BookingStore
) -> None:
    """Item 6: "I'm 30 weeks pregnant" at the time step is never a date; the
    pre-screen asks what it leaves open and the booking follows the new
    outcome (modify, with the reason stored)."""
    sender = new_sender()
    screen(assistant, sender, "Can I book a massage for tuesday afternoon?")
    replies = say(assistant, sender, "60 minutes")
    assert "slot " in " ".join(buttons(replies)), texts(replies)
    replies = say(assistant, sender, "oh, I should have said - I'm 30 weeks pregnant")
    text = texts(replies)
    assert "added it to your health check" in text and "weeks pregnant" in text, text
    assert assistant.slot(sender, "screening_outcome") is None  # nothing bookable meanwhile
    summary = texts(say(assistant, sender, NO))  # no complications
    assert "Is that right?" in summary and "Pregnancy" in summary, summary
    resumed = say(assistant, sender, YES)
    assert "slot " in " ".join(buttons(resumed)), texts(resumed)  # the times again, the day kept
    reference = finish(assistant, sender, resumed)
    booking = clinic.get(reference)
    assert booking.screening_outcome == "modify"
    assert "pregnancy" in " ".join(booking.screening_reasons or [])


def test_health_news_that_rules_booking_out_stops_it(assistant: Assistant) -> None:
    sender = new_sender()
    screen(assistant, sender, "massage thursday morning")
    say(assistant, sender, "60 minutes")
    replies = say(
        assistant, sender, button_with(say(assistant, sender, "thursday morning"), "slot ")
    )
    assert "What name" in texts(replies), texts(replies)
    replies = say(assistant, sender, "I had knee surgery last week btw")
    text = texts(replies)
    assert "didn't catch your name" not in text and "added it to your health check" in text, text
    for _ in range(6):
        if assistant.slot(sender, "screening_outcome"):
            break
        text = texts(
            say(assistant, sender, YES if "Is that right?" in text else "right knee, 8 days ago")
        )
    assert assistant.slot(sender, "screening_outcome") == "clearance", text
    assert (assistant.tracker(sender).get("active_loop") or {}).get("name") is None
    assert assistant.slot(sender, "booking_slot") is None  # what booking had is dropped


def test_a_name_that_sounds_like_a_condition_is_a_name(assistant: Assistant) -> None:
    sender = new_sender()
    screened_ok(assistant, sender)
    say(assistant, sender, "I'd like to book a massage tomorrow")
    say(assistant, sender, "60 minutes")
    replies = say(assistant, sender, "as soon as possible")
    if "slot " in " ".join(buttons(replies)):
        replies = say(assistant, sender, button_with(replies, "slot "))
    replies = texts(say(assistant, sender, "Tia Lewis"))
    assert "phone number" in replies, replies  # a TIA is a mini-stroke; Tia is a name


def test_a_time_after_closing_is_said_plainly(assistant: Assistant) -> None:
    """Item 7: "Friday at 6pm" -> "We close at 5pm on Fridays" before the
    nearest times, which are shown in time order."""
    sender = new_sender()
    screened_ok(assistant, sender)
    say(assistant, sender, "Can I book a massage for Friday at 6pm?")
    replies = say(assistant, sender, "60 minutes")
    text = texts(replies)
    assert "We close at 5pm on Fridays" in text, text
    times = [b for b in buttons(replies) if "slot " in b]
    assert times == sorted(times), times  # ISO times in the payloads: time order


def test_a_question_at_the_length_step_is_answered_not_chosen(assistant: Assistant) -> None:
    sender = new_sender()
    screened_ok(assistant, sender)
    say(assistant, sender, "/book_appointment")
    replies = texts(say(assistant, sender, "what's the difference between 60 and 90 minutes?"))
    assert assistant.slot(sender, "booking_minutes") is None, replies
    assert "How long" in replies, replies  # the step resumes


def test_a_misspelled_day_is_read(assistant: Assistant) -> None:
    sender = new_sender()
    screened_ok(assistant, sender)
    say(assistant, sender, "/book_appointment")
    say(assistant, sender, "60 minutes")
    replies = texts(say(assistant, sender, "tusday evening"))
    assert "Tue" in replies and "evening" in replies, replies
    assert "Sat 30 Jan" not in replies  # not a two-month range


def test_a_local_number_that_fails_is_asked_again_in_local_terms(assistant: Assistant) -> None:
    sender = new_sender()
    screened_ok(assistant, sender)
    say(assistant, sender, "/book_appointment")
    say(assistant, sender, "60 minutes")
    replies = say(assistant, sender, "as soon as possible")
    say(assistant, sender, button_with(replies, "slot "))
    say(assistant, sender, "Jane Smith")
    text = texts(say(assistant, sender, "07700 900123"))
    assert "07911 123456" in text and "+1" not in text and "country code" not in text, text


def test_the_clinic_s_phone_is_a_tap_to_call_link(assistant: Assistant) -> None:
    text = texts(say(assistant, new_sender(), "what is your phone number?"))
    assert "](tel:+44" in text, text
