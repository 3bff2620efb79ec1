"""The emergency message needs nothing but the Rasa server (issue 12, item 1).

The HTTP side, with the action server killed, is tests/http/test_outage.py;
these check the pieces it relies on: the wording is a domain response with
the three numbers, every emergency rule sends it before any custom action,
the apology carries the numbers too, and inside a form the emergency rules
run before the form's validation (which needs the action server).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_TWO_STAGE_FALLBACK_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from channels.rest import APOLOGY
from rasa_ext import rasa_patches

ROOT = Path(__file__).resolve().parents[2]
NUMBERS = ("112", "999", "911")
#: actions that run inside the Rasa server
RASA_SERVER_ACTIONS = {"action_deactivate_loop", "action_listen"}

rasa_patches.apply()


def test_the_emergency_message_is_a_response_with_the_three_numbers() -> None:
    variations = Domain.load(str(ROOT / "domain.yml")).responses["utter_emergency"]
    assert variations
    for variation in variations:
        for number in NUMBERS:
            assert number in variation["text"]
        assert (
            "{" not in variation["text"]
        )  # nothing left to fill: no NLG can leave it half-written


def test_the_apology_carries_the_emergency_numbers() -> None:
    for number in NUMBERS:
        assert number in APOLOGY


def _emergency_rules() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    for path in sorted((ROOT / "data" / "rules").glob("*.yml")):
        for rule in yaml.safe_load(path.read_text()).get("rules") or []:
            steps = rule.get("steps") or []
            if any(step.get("intent") == "emergency" for step in steps):
                yield rule["rule"], steps


def test_every_emergency_rule_answers_before_any_custom_action() -> None:
    rules = list(_emergency_rules())
    assert len(rules) >= 5  # at once, and in each of the four forms
    for name, steps in rules:
        actions = [s["action"] for s in steps if "action" in s]
        first_custom = next(a for a in actions if a not in RASA_SERVER_ACTIONS)
        assert first_custom == "utter_emergency", name


def _tracker(intent: str, loop: str = "screening_form") -> DialogueStateTracker:
    events = [
        ActionExecuted(ACTION_LISTEN_NAME),
        UserUttered("/start_screening", {"name": "start_screening", "confidence": 1.0}),
        ActionExecuted(loop),
        ActiveLoop(loop),
        SlotSet("requested_slot", "screening_answer"),
        ActionExecuted(ACTION_LISTEN_NAME),
        UserUttered("words", {"name": intent, "confidence": 1.0}),
    ]
    return DialogueStateTracker.from_events("test", events)


def test_an_emergency_in_a_form_goes_to_the_rules_before_the_form() -> None:
    assert RulePolicy._find_action_from_loop_happy_path(_tracker("emergency")) == (None, None)


@pytest.mark.parametrize("intent", ["affirm", "deny", "inform_health", "faq"])
def test_any_other_answer_still_goes_to_the_form(intent: str) -> None:
    assert RulePolicy._find_action_from_loop_happy_path(_tracker(intent))[0] == "screening_form"


def test_the_two_stage_fallback_is_left_to_end_itself() -> None:
    tracker = _tracker("emergency", loop=ACTION_TWO_STAGE_FALLBACK_NAME)
    assert (
        RulePolicy._find_action_from_loop_happy_path(tracker)[0] == ACTION_TWO_STAGE_FALLBACK_NAME
    )


def test_after_the_form_ran_it_is_not_asked_again() -> None:
    tracker = _tracker("emergency")
    tracker.update(ActionExecuted("utter_emergency"))
    assert not rasa_patches.emergency_just_said(tracker)
