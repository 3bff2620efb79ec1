"""Round seven of issue 10, through the running assistant as a client sees it:
a general question about a condition no earlier round named, the largest of
the kinds dev4 showed it missing after round six, reaches the general
medical-conditions answer. (The other kinds' sentences tried here already
passed on main's model or still failed after round seven: README, "Round
seven".) The sentences are the team's own, in none of the training data and
no real client set, so they test the kind, not a memorised example."""

from __future__ import annotations

import pytest

from tests.assistant import Assistant, new_sender, texts


@pytest.mark.parametrize(
    "question",
    [
        # a condition no round named, asked in general: the general
        # medical-conditions answer (main declined the first and sent the
        # second to aftercare)
        "can massage ease the aches of lupus?",
        "could a massage make my ibs worse?",
    ],
)
def test_an_unnamed_condition_asked_in_general_gets_the_medical_conditions_answer(
    assistant: Assistant, question: str
) -> None:
    text = texts(assistant.send(new_sender(), question))
    assert "Some conditions need special precautions" in text, f"{question!r} got {text!r}"
