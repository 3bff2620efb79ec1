"""clinic_core.text.question_parts: where the questions of a message are."""

from __future__ import annotations

import pytest

from clinic_core.text import question_parts


def parts(text: str) -> list[str]:
    return [text[s:e] for s, e in question_parts(text)]


@pytest.mark.parametrize(
    "text,expected",
    [
        (
            "how much is 90 minutes and are you open on Saturday?",
            ["how much is 90 minutes", "are you open on Saturday?"],
        ),
        ("What do you charge? Do you take cards?", ["What do you charge?", "Do you take cards?"]),
        (
            "Do you do hot stone, and what does it cost, also do you have parking?",
            ["Do you do hot stone", "what does it cost", "do you have parking?"],
        ),
    ],
)
def test_several_questions_are_found(text: str, expected: list[str]) -> None:
    assert parts(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Hi! How much is a massage?",  # a greeting is not a question
        "Can I come in and have a massage if I am pregnant?",  # "and" inside one question
        "what is deep tissue and swedish",  # two types, one question
        "I have back pain and my neck is stiff",  # no question opener after "and"
        "",
    ],
)
def test_one_question_stays_whole(text: str) -> None:
    assert question_parts(text) == [(0, len(text))]
