"""The booking, cancel/move and call-back forms' validators and questions,
run directly: what they say (by response name, and as the client reads it)
and which slots they set."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.booking_asks import (
    ActionAskBookingConfirmed,
    ActionAskBookingPhone,
    ActionAskBookingWhen,
)
from actions.booking_form import ValidateBookingForm
from actions.callback_form import ActionAskCallbackTime, ValidateCallbackForm
from actions.forms import answer_text, wants_to_stop
from actions.manage_booking_form import ValidateManageBookingForm
from tests.actions.conftest import bot_said, make_tracker, responses_of, run

BODY = {
    "booking_service": "body_massage",
    "screening_outcome": "ok",
    "screening_state": {"service": "body"},
}
SLOT = {
    "start": "2030-01-07T10:00:00+00:00",
    "end": "2030-01-07T11:00:00+00:00",
    "therapist_id": "tom",
    "service_id": "body_massage",
    "minutes": 60,
}


def validate(
    form: Any,
    slot: str,
    text: str,
    dispatcher: CollectingDispatcher,
    domain: Any,
    intent: str = "inform_booking",
    slots: dict[str, Any] | None = None,
) -> dict[str, Any]:
    tracker = make_tracker(
        slots={**BODY, **(slots or {})}, text=text, intent=intent, requested_slot=slot
    )
    result = getattr(form, f"validate_{slot}")(text, dispatcher, tracker, domain)
    return run(result) if hasattr(result, "__await__") else result


# --------------------------------------------------------------------------- reading answers


def test_a_button_answer_is_its_choice_and_a_typed_one_its_text() -> None:
    payload = '/inform_booking{"booking_choice": "minutes 60"}'
    pressed = make_tracker(
        text=payload, entities=[{"entity": "booking_choice", "value": "minutes 60"}]
    )
    assert answer_text(payload, pressed) == "minutes 60"
    assert answer_text("  an hour ", make_tracker(text="  an hour ")) == "an hour"


@pytest.mark.parametrize(
    ("text", "intent", "stops"),
    [
        ("/stop", "stop", True),
        ("stop, not now", "stop", True),
        ("can we do next week instead", "stop", False),  # a date wish is an answer
        ("stop", "greet", False),  # the classifier must agree
    ],
)
def test_leaving_a_form(text: str, intent: str, stops: bool) -> None:
    assert wants_to_stop(make_tracker(text=text, intent=intent), ("stop",)) is stops


# --------------------------------------------------------------------------- booking


def test_a_length_not_on_offer_says_which_are_and_the_form_asks_again(
    dispatcher, domain, render
) -> None:
    result = validate(ValidateBookingForm(), "booking_minutes", "45 minutes", dispatcher, domain)
    assert result == {"booking_minutes": None}
    assert responses_of(dispatcher) == ["utter_booking_minutes_invalid"]
    assert (
        render(dispatcher.messages[0])["text"]
        == "Sorry, that length isn't on offer: we do 60 or 90 minutes."
    )


def test_an_email_without_a_phone_is_kept_and_the_number_asked_for_once(dispatcher, domain) -> None:
    result = validate(
        ValidateBookingForm(), "booking_phone", "jane@example.com", dispatcher, domain
    )
    assert result == {"booking_email": "jane@example.com", "booking_phone": None}
    assert responses_of(dispatcher) == ["utter_ask_booking_phone_email_only"]
    # the form then runs its question: it is not repeated in the same turn
    asked = CollectingDispatcher()
    tracker = make_tracker(slots=BODY, events=[bot_said("utter_ask_booking_phone_email_only")])
    tracker.events.append(bot_said("utter_ask_booking_phone_email_only"))
    run(ActionAskBookingPhone().run(asked, tracker, domain))
    assert asked.messages == []
    run(ActionAskBookingPhone().run(asked, make_tracker(slots=BODY), domain))
    assert responses_of(asked) == ["utter_ask_booking_phone"]


def test_a_number_that_is_not_one_gets_the_contact_checks_reason(
    dispatcher, domain, render
) -> None:
    validate(ValidateBookingForm(), "booking_phone", "0791", dispatcher, domain)
    assert responses_of(dispatcher) == ["utter_ask_booking_phone_again"]
    assert "doesn't look right" in render(dispatcher.messages[0])["text"]


def test_a_local_number_that_fails_is_asked_again_in_local_terms(
    dispatcher, domain, render
) -> None:
    """Issue 11, item 8: a UK-looking number that is not a real one is not
    answered with "include the country code, e.g. +1 212"."""
    validate(ValidateBookingForm(), "booking_phone", "07700 900123", dispatcher, domain)
    assert responses_of(dispatcher) == ["utter_ask_booking_phone_again_local"]
    text = render(dispatcher.messages[0])["text"]
    assert "07" in text and "+1" not in text and "country code" not in text


def test_no_name_gets_the_name_question_again(dispatcher, domain, render) -> None:
    assert validate(ValidateBookingForm(), "booking_name", "yes", dispatcher, domain) == {
        "booking_name": None
    }
    assert render(dispatcher.messages[0])["text"].startswith("Sorry, I didn't catch your name.")


def test_a_no_at_the_summary_offers_a_button_per_answer(dispatcher, domain, render) -> None:
    result = validate(
        ValidateBookingForm(), "booking_confirmed", "no", dispatcher, domain, intent="deny"
    )
    assert result == {"booking_confirmed": None}
    shown = render(dispatcher.messages[0])
    assert shown["text"] == "What would you like to change?"
    titles = [b["title"] for b in shown["buttons"]]
    assert titles == [
        "The length",
        "The day",
        "The time",
        "My name",
        "My phone / email",
        "Stop, don't book",
    ]


def test_a_typed_new_day_at_the_summary_clears_the_time(dispatcher, domain) -> None:
    result = validate(
        ValidateBookingForm(),
        "booking_confirmed",
        "can we do next week instead",
        dispatcher,
        domain,
    )
    assert result["booking_confirmed"] is None and result["booking_slot"] is None
    assert result["booking_when"]["text"] == "can we do next week instead"


def test_the_summary_shows_the_answers_from_the_slots(dispatcher, domain, render) -> None:
    slots = {
        **BODY,
        "booking_minutes": 60,
        "booking_slot": SLOT,
        "booking_name": "Jane Smith",
        "booking_phone": "+447911123456",
    }
    run(ActionAskBookingConfirmed().run(dispatcher, make_tracker(slots=slots), domain))
    shown = render(dispatcher.messages[0], slots)
    assert "Therapeutic body massage, 60 minutes (£65)" in shown["text"]
    assert "Name: Jane Smith" in shown["text"] and "Phone: +447911123456" in shown["text"]
    assert shown["text"].endswith("Shall I book it?") and "Email" not in shown["text"]


def test_a_day_said_when_asking_to_book_that_needs_a_question_is_asked_about_first(
    dispatcher, domain
) -> None:
    asked_to_book = [{"event": "action", "name": "action_book"}]
    tracker = make_tracker(
        slots=BODY, text="yesterday afternoon", intent="book_appointment", events=asked_to_book
    )
    tracker.events.insert(0, tracker.events.pop())  # the request came before action_book
    run(ActionAskBookingWhen().run(dispatcher, tracker, domain))
    assert responses_of(dispatcher) == ["utter_ask_day_unclear"]
    assert "passed" in dispatcher.messages[0]["question"]


def test_slots_an_action_cleared_are_not_complained_about(dispatcher, domain) -> None:
    """action_book resets the form's slots to None in the turn the form
    starts; Rasa passes them to the validation action as candidates."""
    cleared = [
        {"event": "slot", "name": s, "value": None}
        for s in ("booking_minutes", "booking_when", "booking_slot", "booking_confirmed")
    ]
    tracker = make_tracker(slots=BODY, text="/book_appointment", intent="book_appointment")
    tracker.events += [{"event": "action", "name": "booking_form"}] + cleared
    assert run(ValidateBookingForm().get_validation_events(dispatcher, tracker, domain)) == []
    assert dispatcher.messages == []


# --------------------------------------------------------------------------- call-back


def test_a_call_back_time_must_say_something(dispatcher, domain, render) -> None:
    form = ValidateCallbackForm()
    assert validate(form, "callback_time", "???", dispatcher, domain) == {"callback_time": None}
    assert responses_of(dispatcher) == ["utter_ask_callback_time_again"]
    shown = render(dispatcher.messages[0])
    assert [b["title"] for b in shown["buttons"]] == [
        "Any time",
        "Mornings",
        "Afternoons",
        "Evenings",
    ]
    assert validate(form, "callback_time", "weekday  mornings", CollectingDispatcher(), domain) == {
        "callback_time": "weekday mornings"
    }
    # the form's own question is not repeated after it
    tracker = make_tracker(events=[])
    tracker.events.append(bot_said("utter_ask_callback_time_again"))
    quiet = CollectingDispatcher()
    run(ActionAskCallbackTime().run(quiet, tracker, domain))
    assert quiet.messages == []


def test_starting_a_call_back_complains_about_nothing(dispatcher, domain) -> None:
    cleared = [
        {"event": "slot", "name": s, "value": None}
        for s in ("callback_name", "callback_phone", "callback_time")
    ]
    tracker = make_tracker(text="can someone call me back", intent="human_handoff")
    tracker.events += [{"event": "action", "name": "callback_form"}] + cleared
    assert run(ValidateCallbackForm().get_validation_events(dispatcher, tracker, domain)) == []
    assert dispatcher.messages == []


# --------------------------------------------------------------------------- cancel or move


def test_a_reference_that_is_not_one_gets_help_finding_it(dispatcher, domain, render) -> None:
    result = validate(
        ValidateManageBookingForm(), "manage_reference", "no idea where it is", dispatcher, domain
    )
    assert result == {"manage_reference": None}
    shown = render(dispatcher.messages[0])
    assert "6 letters and numbers" in shown["text"] and "+44" in shown["text"]
    assert [b["payload"] for b in shown["buttons"]] == ["/human_handoff"]


def test_cancel_or_move_is_asked_again_with_both_buttons(dispatcher, domain, render) -> None:
    result = validate(ValidateManageBookingForm(), "manage_action", "hmm", dispatcher, domain)
    assert result == {"manage_action": None}
    assert [b["title"] for b in render(dispatcher.messages[0])["buttons"]] == [
        "Cancel it",
        "Move it",
    ]
    assert validate(
        ValidateManageBookingForm(),
        "manage_action",
        "I'd like another day",
        CollectingDispatcher(),
        domain,
    ) == {"manage_action": "move"}
