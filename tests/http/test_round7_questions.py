"""Round seven of issue 10, through the running assistant as a client sees it:
a general question about a condition no earlier round named, the largest of
the kinds dev4 showed it missing after round six, reaches the general
medical-conditions answer; and (round eight, from dev5) a long story with
"I need ..." and a day in it is not a booking wish. (The other kinds' sentences tried here already
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


@pytest.mark.parametrize(
    "story",
    [
        # a long message that reports what someone said ("I need ...") and
        # names a day, with a question about it: round five's dev5 showed the
        # booking form opening on such a story (clinic_core.text_readers,
        # _STORY_WORDS). The team's own sentences, in no data set.
        "my physio said I should get a massage every week for my back since it keeps "
        "seizing up at work, I need something on tuesday evenings really, would weekly "
        "sessions be too much?",
        "my friend told me I need at least two massages a month after her marathon "
        "training on saturdays, is that actually a good idea or just a waste of money?",
    ],
)
def test_a_story_with_a_question_is_not_a_booking(assistant: Assistant, story: str) -> None:
    text = texts(assistant.send(new_sender(), story))
    assert "Happy to help you book" not in text, f"{story!r} got {text!r}"


def test_a_plain_wish_with_a_day_still_books(assistant: Assistant) -> None:
    """The other side of the story rule: a short wish to come in at a time."""
    text = texts(assistant.send(new_sender(), "can I book a sports massage on monday after 5?"))
    assert "Happy to help you book" in text, text
