"""The booking gate without a server: who may start booking_form
(action_book) and who may be booked (action_booking_submit)."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking_gate import ActionBook
from actions.booking_submit import ActionBookingSubmit
from clinic_core.booking_store import BookingStore
from tests.actions.conftest import events_as_dict, make_tracker, responses_of, run

SCREENED_BODY = {"screening_state": {"service": "body"}, "screening_reasons": []}


def book(
    dispatcher: CollectingDispatcher, domain: DomainDict, **slots: Any
) -> list[dict[str, Any]]:
    tracker = make_tracker(slots=slots, text="/book_appointment", intent="book_appointment")
    return run(ActionBook().run(dispatcher, tracker, domain))


def test_no_outcome_yet_means_the_health_questions_come_first(dispatcher, domain) -> None:
    events = book(dispatcher, domain)
    assert responses_of(dispatcher) == ["utter_book_screening_first"]
    assert events_as_dict(events) == {"booking_allowed": False}
    assert [e["name"] for e in events if e["event"] == "followup"] == ["screening_form"]


@pytest.mark.parametrize("outcome", ["clearance", "postpone"])
def test_an_outcome_that_does_not_book_is_offered_a_call_and_never_opens_the_form(
    outcome: str, dispatcher, domain, render
) -> None:
    events = book(dispatcher, domain, screening_outcome=outcome)
    assert responses_of(dispatcher) == ["utter_booking_not_possible"]
    assert events_as_dict(events) == {"booking_allowed": False}
    shown = render(dispatcher.messages[0])
    assert "can't book you just yet" in shown["text"] and "{" not in shown["text"]
    assert [b["payload"] for b in shown["buttons"]] == ["/human_handoff"]


def test_an_emergency_gets_the_emergency_message(dispatcher, domain) -> None:
    events = book(dispatcher, domain, screening_outcome="emergency")
    assert responses_of(dispatcher) == ["utter_emergency"]
    assert events_as_dict(events) == {"booking_allowed": False}


@pytest.mark.parametrize("outcome", ["ok", "modify"])
def test_a_bookable_outcome_opens_the_form_with_the_screened_service(
    outcome: str, dispatcher, domain, clinic_db
) -> None:
    events = book(dispatcher, domain, screening_outcome=outcome, **SCREENED_BODY)
    slots = events_as_dict(events)
    assert slots["booking_allowed"] is True
    assert slots["booking_service"] == "body_massage"
    assert dispatcher.messages == []


def test_a_database_that_does_not_answer_gets_the_apology_before_any_question(
    dispatcher, domain, clinic_db_down
) -> None:
    events = book(dispatcher, domain, screening_outcome="ok", **SCREENED_BODY)
    assert responses_of(dispatcher) == ["utter_db_apology_offer_call"]
    assert events_as_dict(events) == {"booking_allowed": False}


def test_a_stray_number_outside_any_form_is_not_a_booking_request(dispatcher, domain) -> None:
    tracker = make_tracker(
        slots={"screening_outcome": "ok"}, text="07911 123456", intent="inform_booking"
    )
    events = run(ActionBook().run(dispatcher, tracker, domain))
    assert responses_of(dispatcher) == ["utter_ask_rephrase"]
    assert events_as_dict(events) == {"booking_allowed": False}


def test_submit_never_books_without_a_bookable_outcome(
    dispatcher, domain, clinic_db, render
) -> None:
    slot = {
        "start": "2030-01-07T10:00:00+00:00",
        "end": "2030-01-07T11:00:00+00:00",
        "therapist_id": "tom",
        "service_id": "body_massage",
        "minutes": 60,
    }
    tracker = make_tracker(
        slots={
            "screening_outcome": "clearance",
            "booking_slot": slot,
            "booking_confirmed": True,
            "booking_name": "Jane Smith",
            "booking_phone": "+447911123456",
        },
        text="/affirm",
        intent="affirm",
    )
    run(ActionBookingSubmit().run(dispatcher, tracker, domain))
    assert responses_of(dispatcher) == ["utter_booking_needs_screening"]
    assert "without the health check" in render(dispatcher.messages[0])["text"]
    store = BookingStore(clinic_db)
    try:
        assert store.outbox() == []  # nothing booked, nothing sent
    finally:
        store.close()
