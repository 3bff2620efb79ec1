"""The readers of the forms' short answers (clinic_core.text_readers): what a
client types for a name, a number, an email, a reference, a length, "cancel
or move" and a pick among the offered times."""

from __future__ import annotations

import pytest

from clinic_core.text_readers import (
    clean_name,
    email_span,
    find_email,
    find_phone,
    minutes_from_text,
    move_or_cancel,
    offer_index,
    only_names_a_therapist,
    phone_problem,
    reference_from_text,
    split_name_and_contact,
    therapist_named,
    wants_another_time,
)


@pytest.mark.parametrize(
    ("said", "name"),
    [
        ("my name is jane smith", "Jane Smith"),
        ("Jane Smith", "Jane Smith"),
        ("hi, I'm Ana", "Ana"),
        ("put it under Ann-Marie O'Brien", "Ann-Marie O'Brien"),
        ("it's  Mary   Jones.", "Mary Jones"),
        ("Will Smith", "Will Smith"),
        ("call me al", "Al"),
    ],
)
def test_a_name_is_read_and_capitalised_only_when_typed_in_lower_case(said: str, name: str) -> None:
    assert clean_name(said) == name


@pytest.mark.parametrize(
    "said",
    [
        "yes",
        "no",
        "thanks",
        "what to wear",
        "how long is it",
        "07911 123456",
        "jane@example.com",
        "/affirm",
        "",
        "???",
        "a b c d e f g",
    ],
)
def test_answers_that_are_not_names(said: str) -> None:
    assert clean_name(said) is None


def test_a_phone_number_is_found_in_a_sentence_and_written_in_e164() -> None:
    assert find_phone("you can reach me on 07911 123456 thanks", "GB") == "+447911123456"
    assert find_phone("+1 212 555 0100", "GB") == "+12125550100"
    assert find_phone("no number here", "GB") is None
    assert find_phone("0791", "GB") is None


def test_the_problem_with_a_number_is_the_contact_checks_own_words() -> None:
    assert "doesn't look right" in phone_problem("0791", "GB")
    assert phone_problem("07911 123456", "GB") is None


def test_an_email_is_found_normalised_and_an_invalid_one_refused() -> None:
    assert find_email("it's Jane.Smith@Example.COM.") == "Jane.Smith@example.com"
    assert email_span("mail me at jane@example.com please") == "jane@example.com"
    assert find_email("jane@example") is None
    assert find_email("no email") is None


@pytest.mark.parametrize(
    ("said", "reference"),
    [
        ("K7M2QX", "K7M2QX"),
        ("it's k7m-2qx", "K7M2QX"),
        ("ref K7M2QX please", "K7M2QX"),
        ("my booking AB23CD", "AB23CD"),
    ],
)
def test_a_reference_is_read_as_typed_or_inside_a_sentence(said: str, reference: str) -> None:
    assert reference_from_text(said) == reference


@pytest.mark.parametrize("said", ["please cancel", "I want to cancel", "", "K7M2Q", "OIOIOI"])
def test_words_of_six_letters_are_not_references(said: str) -> None:
    assert reference_from_text(said) is None


@pytest.mark.parametrize(
    ("said", "minutes"),
    [
        ("60 minutes", 60),
        ("the 90 min one", 90),
        ("an hour", 60),
        ("an hour and a half", 90),
        ("45", 45),
        ("minutes 60", 60),
        ("whatever", None),
    ],
)
def test_session_lengths(said: str, minutes: int | None) -> None:
    assert minutes_from_text(said) == minutes


@pytest.mark.xfail(
    strict=True,
    reason="known: 'an hour' inside 'half an hour' matches first (found when the "
    "reader moved here unchanged; no 30-minute option is offered today)",
)
def test_half_an_hour_is_thirty_minutes() -> None:
    assert minutes_from_text("half an hour") == 30


@pytest.mark.parametrize(
    ("said", "wanted"),
    [
        ("I need to move my booking", "move"),
        ("can we reschedule", "move"),
        ("I can't make it", "cancel"),
        ("cancel it please", "cancel"),
        ("cancel and move", None),
        ("hello", None),
    ],
)
def test_cancel_or_move(said: str, wanted: str | None) -> None:
    assert move_or_cancel(said) == wanted


@pytest.mark.parametrize(
    ("said", "index"),
    [
        ("the second one", 1),
        ("2", 1),
        ("first", 0),
        ("the last one", 4),
        ("option 3", 2),
        ("6th", None),
        ("tuesday", None),
    ],
)
def test_a_pick_among_five_offered_times(said: str, index: int | None) -> None:
    assert offer_index(said, 5) == index


def test_no_pick_when_nothing_was_offered() -> None:
    assert offer_index("the first one", 0) is None


@pytest.mark.parametrize(
    ("said", "other"),
    [
        ("another day", True),
        ("none of these", True),
        ("they don't suit me", True),
        ("the first one", False),
    ],
)
def test_asking_for_another_time(said: str, other: bool) -> None:
    assert wants_another_time(said) is other


THERAPISTS = {"anna": "Anna", "tom": "Tom"}


@pytest.mark.parametrize(
    ("said", "therapist", "only"),
    [
        ("with Anna please", "anna", True),
        ("can I see Tom again?", "tom", True),
        ("Anna's times", "anna", True),
        ("I'd like to book a massage with Tom on Friday afternoon", "tom", False),
        ("thursday at 2pm with tom", "tom", False),
        ("tomorrow at 3 please", None, False),  # "tom" inside a word
        ("Anna or Tom, I don't mind", None, False),  # no one in particular
        ("I'm Anna, can I book?", None, False),  # the client's own name
        ("my name is Tom", None, False),
        ("Tom O'Neill", None, False),  # a full name: the client's
        ("anna@example.com", None, False),  # an e-mail address
        ("with Tom Thursday", "tom", False),
    ],
)
def test_a_therapist_asked_for(said: str, therapist: str | None, only: bool) -> None:
    assert therapist_named(said, THERAPISTS) == therapist
    if therapist:
        assert only_names_a_therapist(said, THERAPISTS[therapist]) is only


@pytest.mark.parametrize(
    "said, name, contact",
    [
        ("Sarah Jones, 07911 123456", "Sarah Jones", "07911 123456"),
        ("Sarah Jones 07911123456 sarah@x.com", "Sarah Jones", "07911123456 sarah@x.com"),
        ("I'm Sarah and my number is 07911 123456", "I'm Sarah", "07911 123456"),
        ("Kim - mobile 07911 133777", "Kim", "07911 133777"),
        ("Tom O'Neill, +44 20 7946 0958", "Tom O'Neill", "+44 20 7946 0958"),
        ("Carlos Mendes, (020) 7946 0321", "Carlos Mendes", "(020) 7946 0321"),
        ("Jo (mobile) 07911 123456", "Jo", "07911 123456"),
        ("Tia Lewis", "Tia Lewis", ""),
        ("07911 123456", "", "07911 123456"),
    ],
)
def test_a_name_asked_with_the_phone_is_split_from_it(said: str, name: str, contact: str) -> None:
    """The booking asks for the name and the phone number in one question
    (issue 11, one turn fewer): both are read from one answer."""
    assert split_name_and_contact(said) == (name, contact)
