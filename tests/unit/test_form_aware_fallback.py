"""The fallback threshold depends on where the client is (issue 10, round
ten): 0.45 for a question outside a form, 0.4 inside a form, where the form
reads every answer itself, and for a yes or no anywhere, which answers an
offer the assistant made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.shared.core.events import ActiveLoop
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

from rasa_ext.nlu.fallback import FormAwareFallbackClassifier
from rasa_ext.nlu.overrides import in_a_form

CONFIG = {"threshold": 0.45, "threshold_in_form": 0.4, "ambiguity_threshold": 0.05}


def _classifier(**config: Any) -> FormAwareFallbackClassifier:
    return FormAwareFallbackClassifier.create({**CONFIG, **config}, None, None, None)  # type: ignore[arg-type]


def _message(
    intent: str, confidence: float, second: float = 0.0, second_intent: str = "out_of_scope"
) -> Message:
    ranking = [
        {"name": intent, "confidence": confidence},
        {"name": second_intent, "confidence": second},
    ]
    return Message(data={"text": "x", "intent": ranking[0], "intent_ranking": ranking})


def _tracker(loop: str | None) -> DialogueStateTracker:
    events = [ActiveLoop(loop)] if loop else []
    return DialogueStateTracker.from_events("t", events)


def _intent(classifier: FormAwareFallbackClassifier, message: Message, loop: str | None) -> str:
    classifier.process([message], tracker=_tracker(loop))
    return message.get("intent")["name"]


@pytest.mark.parametrize("loop", [None, "action_two_stage_fallback"])
def test_outside_a_form_a_question_below_the_threshold_is_declined(loop: str | None) -> None:
    message = _message("faq", 0.43)
    assert _intent(_classifier(), message, loop) == "nlu_fallback"
    ranking = message.get("intent_ranking")
    assert ranking[0] == {"name": "nlu_fallback", "confidence": 0.45}
    assert ranking[1]["name"] == "faq", "the guess stays in the ranking for the button"


def test_outside_a_form_a_question_above_the_threshold_is_answered() -> None:
    assert _intent(_classifier(), _message("faq", 0.47), None) == "faq"


@pytest.mark.parametrize("form", ["screening_form", "booking_form", "callback_form"])
def test_inside_a_form_the_answer_is_held_to_the_form_threshold(form: str) -> None:
    assert _intent(_classifier(), _message("deny", 0.42), form) == "deny"
    assert _intent(_classifier(), _message("inform_health", 0.41), form) == "inform_health"
    assert _intent(_classifier(), _message("faq", 0.35), form) == "nlu_fallback"


def test_a_yes_or_no_outside_a_form_answers_an_offer() -> None:
    assert _intent(_classifier(), _message("affirm", 0.43), None) == "affirm"
    assert _intent(_classifier(), _message("deny", 0.42), None) == "deny"
    assert _intent(_classifier(), _message("deny", 0.35), None) == "nlu_fallback"


def test_without_a_conversation_the_outside_threshold_applies() -> None:
    classifier = _classifier()
    message = _message("faq", 0.43)
    classifier.process([message])
    assert message.get("intent")["name"] == "nlu_fallback"


def test_two_close_readings_are_still_declined_in_a_form() -> None:
    message = _message("affirm", 0.48, second=0.46)
    assert _intent(_classifier(), message, "screening_form") == "nlu_fallback"


ALIKE = {"alike_intents": [["ask_massage_type", "recommend_massage"]]}


@pytest.mark.parametrize(
    "first, second",
    [("recommend_massage", "ask_massage_type"), ("ask_massage_type", "recommend_massage")],
)
def test_two_close_readings_that_answer_alike_are_answered(first: str, second: str) -> None:
    message = _message(first, 0.47, second=0.42, second_intent=second)
    assert _intent(_classifier(**ALIKE), message, None) == first


def test_two_close_readings_that_differ_are_still_declined() -> None:
    message = _message("recommend_massage", 0.47, second=0.42, second_intent="faq")
    assert _intent(_classifier(**ALIKE), message, None) == "nlu_fallback"


def test_an_alike_pair_is_still_held_to_the_threshold() -> None:
    message = _message("recommend_massage", 0.44, second=0.42, second_intent="ask_massage_type")
    assert _intent(_classifier(**ALIKE), message, None) == "nlu_fallback"


def test_without_a_form_threshold_it_is_rasas_fallback() -> None:
    classifier = _classifier(threshold_in_form=None)
    assert _intent(classifier, _message("deny", 0.42), "screening_form") == "nlu_fallback"


def test_the_two_stage_fallback_is_not_a_form() -> None:
    assert in_a_form(_tracker("screening_form"))
    assert not in_a_form(_tracker("action_two_stage_fallback"))
    assert not in_a_form(_tracker(None)) and not in_a_form(None)


def test_the_shipped_config_holds_questions_and_answers_to_their_thresholds() -> None:
    """config.yml ships this classifier with the thresholds this file tests."""
    config = Path(__file__).resolve().parents[2] / "config.yml"
    pipeline = yaml.safe_load(config.read_text(encoding="utf-8"))["pipeline"]
    (fallback,) = [c for c in pipeline if "allback" in c["name"]]
    assert fallback["name"] == "rasa_ext.nlu.fallback.FormAwareFallbackClassifier"
    assert (fallback["threshold"], fallback["threshold_in_form"]) == (0.45, 0.4)
    assert fallback["alike_intents"] == ALIKE["alike_intents"]
