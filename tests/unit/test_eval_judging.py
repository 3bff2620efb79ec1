"""How `make eval` reads a reply from the tracker (scripts/eval_clients.py).

Since the actions send their wording as domain responses chosen by name,
a reply such as "we don't offer hot stone; the closest we do is ..." is a
bot event named utter_massage_type_not_offered. It belongs to the action
that sent it: counted as a second, unlabelled reply it would make every
such answer "confidently wrong" (dev2 read 47% acceptable instead of 69%)."""

from __future__ import annotations

from typing import Any

from scripts.eval_clients import CANT_ANSWER, either_labels, judge, reply_labels, summarise


def _events(text: str, *after: tuple[str, str], entities: list[dict] | None = None) -> list[dict]:
    """A user message, then ("action", name) and ("bot", response name) events."""
    events: list[dict[str, Any]] = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": {"entities": entities or []}},
    ]
    for kind, name in after:
        if kind == "action":
            events.append({"event": "action", "name": name})
        else:
            events.append({"event": "bot", "text": "...", "metadata": {"utter_action": name}})
    return events + [{"event": "action", "name": "action_listen"}]


def test_an_actions_own_response_is_part_of_its_reply() -> None:
    events = _events(
        "do you do hot stone?",
        ("action", "action_massage_type_info"),
        ("bot", "utter_massage_type_not_offered"),
        entities=[{"entity": "massage_type", "value": "hot_stone"}],
    )
    assert reply_labels(events) == ["ask_massage_type:hot_stone"]
    assert judge(reply_labels(events), ["ask_massage_type:hot_stone"]) == "acceptable"


def test_the_rules_file_answer_is_the_health_reply() -> None:
    events = _events(
        "can I have a massage with high blood pressure?",
        ("action", "action_health_question"),
        ("bot", "utter_health_answer"),
    )
    assert reply_labels(events) == ["start_screening"]


def test_the_did_you_mean_question_is_an_honest_decline() -> None:
    events = _events(
        "does massage release negative energy?",
        ("action", "action_two_stage_fallback"),
        ("bot", "utter_ask_affirmation"),
    )
    assert reply_labels(events) == [CANT_ANSWER]
    assert judge(reply_labels(events), ["faq/benefits"]) == "cant_answer"


def test_a_response_of_an_unlabelled_reply_still_counts_against_it() -> None:
    events = _events("no", ("action", "utter_anything_else"), ("bot", "utter_anything_else"))
    assert reply_labels(events) == ["other:utter_anything_else"]
    assert judge(reply_labels(events), ["ask_massage_type:sports"]) == "wrong"


def test_an_faq_answer_after_an_action_is_its_own_reply() -> None:
    events = _events(
        "how much is 90 minutes and do you do home visits?",
        ("action", "action_answer_questions"),
        ("bot", "utter_faq/prices"),
        ("bot", "utter_faq/home_visits"),
    )
    assert reply_labels(events) == ["faq/prices", "faq/home_visits"]


def test_a_second_labellers_answers_are_reported_beside_not_instead() -> None:
    """A question two people labelled: the headline verdict uses the set's
    own labels; "either labeller" accepts an answer from either list."""
    question = {
        "labels": ["faq/medical_conditions"],
        **either_labels(["faq/medical_conditions"], ["faq/chronic_pain", "recommend_massage"]),
    }
    assert question["either_labels"] == [
        "faq/medical_conditions",
        "faq/chronic_pain",
        "recommend_massage",
    ]
    assert either_labels(["faq/prices"], None) == {}
    results = [
        {"verdict": "wrong", "verdict_either": "acceptable"},
        {"verdict": "acceptable", "verdict_either": "acceptable"},
        {"verdict": "cant_answer"},  # labelled once
    ]
    summary = summarise(results)
    assert summary["confidently_wrong"] == 1 / 3 and summary["acceptable"] == 1 / 3
    assert summary["either_labeller"]["questions"] == 2
    assert summary["either_labeller"]["acceptable"] == 1.0
