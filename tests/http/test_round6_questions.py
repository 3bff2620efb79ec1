"""Round six of issue 10, through the running assistant as a client sees it:
the kinds of question dev3 still showed it missing after round five now reach
their answer; "myofascial pain syndrome" is not the massage type
"myofascial release"; a comparison of a type with something that is not a
type ("sports massage or sports therapy?") gets the type's own answer, not
"which two massages would you like me to compare?". The sentences are the
team's own, in none of the training data and no real client set, so they
test the kind, not a memorised example."""

from __future__ import annotations

import pytest

from tests.assistant import Assistant, new_sender, texts

ASK_WHICH_TO_COMPARE = "Which two massages would you like me to compare?"


def test_myofascial_pain_syndrome_is_not_the_massage_type(assistant: Assistant) -> None:
    text = texts(assistant.send(new_sender(), "can you explain myofascial pain syndrome to me?"))
    assert "Myofascial release" not in text, text
    assert "connective tissue around the muscles" not in text, text


def test_a_type_compared_with_a_profession_gets_the_types_answer(assistant: Assistant) -> None:
    text = texts(
        assistant.send(
            new_sender(), "what's the difference between sports massage and sports therapy?"
        )
    )
    assert ASK_WHICH_TO_COMPARE not in text, text
    assert "Sports massage" in text, text


def test_a_type_likened_to_a_profession_never_asks_which_two(assistant: Assistant) -> None:
    """Without a comparing word the classifier may be unsure between the
    type's question and a comparison (since round seven it declines this one
    honestly, with the type's question as its guess): either way, never
    "which two massages?", a question that answers nothing."""
    text = texts(assistant.send(new_sender(), "is sports massage the same as sports therapy?"))
    assert ASK_WHICH_TO_COMPARE not in text, text


@pytest.mark.parametrize(
    "question,answer",
    [
        # a condition the reader does not know, asked in general:
        # medical_conditions, not a decline
        (
            "would massage do anything for my psoriatic arthritis?",
            "Some conditions need special precautions",
        ),
        # contraindications in general: suitability
        (
            "which conditions make a massage a no-go?",
            "generally suitable for most people",
        ),
        # whether oil or lotion is used: the oils answer
        ("is lotion used in the massage?", "please tell your therapist about any allergy"),
    ],
)
def test_round_six_kinds_reach_their_answer(
    assistant: Assistant, question: str, answer: str
) -> None:
    text = texts(assistant.send(new_sender(), question))
    assert answer in text, f"{question!r} got {text!r}"
