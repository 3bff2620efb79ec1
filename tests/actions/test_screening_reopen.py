"""reopen_events (issue 11, items 5 and 6) without a server: what the
booking side gets when health news or a change of service reopens a
finished pre-screen."""

from __future__ import annotations

from actions.screening_form import reopen_events
from clinic_core.screening import interview
from clinic_core.screening.model import Reading
from clinic_core.screening.rules import load_rules
from tests.actions.conftest import events_as_dict, make_tracker

RULES = load_rules()


def finished_body_screening() -> dict:
    state = interview.new_state("body")
    while (q := interview.next_question(RULES, state)) is not None:
        state = interview.apply_answer(RULES, state, q.id, Reading(polarity=False))
    state["ui"] = {"asked": "confirm", "confirming": True}
    return state


def reopen(**kw):
    slots = {
        "screening_state": finished_body_screening(),
        "screening_consent": True,
        "screening_outcome": "ok",
    }
    return reopen_events(make_tracker(slots=slots, text=kw.get("news") or ""), **kw)


def test_health_news_reopens_at_what_it_changes_and_clears_the_outcome() -> None:
    events = reopen(news="I'm 30 weeks pregnant")
    slots = events_as_dict(events)
    assert slots["screening_outcome"] is None and slots["screening_answer"] is None
    state = slots["screening_state"]
    assert interview.next_question(RULES, state).id == "pregnancy_complications"
    assert [e["name"] for e in events if e["event"] == "followup"] == ["screening_form"]


def test_a_change_of_service_asks_only_the_other_service_s_questions() -> None:
    state = events_as_dict(reopen(service="facial"))["screening_state"]
    assert state["service"] == "facial"
    assert RULES.question(interview.next_question(RULES, state).id).services == ("facial",)


def test_emergency_news_finishes_the_form_at_once() -> None:
    slots = events_as_dict(reopen(news="I have crushing chest pain right now"))
    assert slots["screening_answer"] == "done" and slots["screening_state"]["emergency"]


def test_without_an_earlier_pre_screen_it_simply_starts() -> None:
    events = reopen_events(make_tracker(text="I'm 30 weeks pregnant"), news="I'm 30 weeks pregnant")
    assert events_as_dict(events)["screening_state"] is None
    assert [e["name"] for e in events if e["event"] == "followup"] == ["screening_form"]
