"""scripts/decision_variants.py decides as the shipped fallback does, and
judges a two-answer reply acceptable only when both answers are."""

from __future__ import annotations

import numpy as np
import pytest

from tests.script_loader import load_script

LABELS = ["faq/prices", "faq/opening_hours", "book_appointment", "out_of_scope"]


@pytest.fixture(scope="module")
def dv():
    return load_script("decision_variants")


@pytest.mark.parametrize(
    "row, answer",
    [
        ([0.6, 0.2, 0.1, 0.1], ["faq/prices"]),
        ([0.4, 0.3, 0.2, 0.1], []),  # below the threshold
        ([0.46, 0.04, 0.43, 0.07], []),  # two intents within the ambiguity
        ([0.3, 0.3, 0.0, 0.4], []),  # FAQ's best topic 0.3: an intent is as sure as its best label
        ([0.1, 0.1, 0.1, 0.7], []),  # out_of_scope is the honest reply
    ],
)
def test_decides_as_the_shipped_fallback(dv, row: list[float], answer: list[str]) -> None:
    assert dv.decide(np.array(row), LABELS, threshold=0.45, ambiguity=0.05) == answer


def test_two_answers_are_acceptable_only_when_both_are(dv) -> None:
    example = dv.Example(
        "what does it cost and when are you open?", ("faq/prices", "faq/opening_hours")
    )
    assert dv.verdict(["faq/prices", "faq/opening_hours"], example) == "acceptable"
    assert dv.verdict(["faq/prices", "book_appointment"], example) == "wrong"
    assert dv.verdict([], example) == "declined"
    honest = dv.Example("what's the weather?", ("out_of_scope", dv.FALLBACK))
    assert dv.verdict([], honest) == "acceptable"
    assert dv.tally([[], ["faq/prices"]], [honest, example]) == {
        "acceptable": 2,
        "declined": 0,
        "wrong": 0,
        "score": 2,
    }
