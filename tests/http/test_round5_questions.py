"""Round five of issue 10, through the running assistant as a client sees it:
the kinds of question round three's dev3 showed it missing now reach their
answer, and "facial cupping" is cupping (not offered) rather than the facial
massage. The sentences are the team's own, in none of the training data and
no real client set, so they test the kind, not a memorised example."""

from __future__ import annotations

import pytest

from tests.assistant import Assistant, new_sender, texts

CANT_ANSWER_TEXT = "can't answer that one here"


def test_facial_cupping_is_cupping_not_the_facial_massage(assistant: Assistant) -> None:
    text = texts(assistant.send(new_sender(), "Do you offer facial cupping?"))
    assert text.startswith("We don't offer cupping"), text
    assert "closest we do is" in text
    assert "Therapeutic facial massage" not in text


@pytest.mark.parametrize(
    "question,answer",
    [
        # choosing a therapist: the profile's qualifications
        (
            "how can I make sure a massage therapist knows what they're doing?",
            "All our therapists are qualified massage therapists",
        ),
        # the face's shape: facial_effects
        (
            "will a face massage make my cheeks look slimmer?",
            "a feeling of lightness in the face and head",
        ),
        # side effects asked as "can a massage ...": the profile's aftercare
        ("can a massage leave you stiff?", "Drink some water"),
        # general contraindications: suitability
        (
            "what medical problems would stop me from having a massage?",
            "generally suitable for most people",
        ),
    ],
)
def test_round_five_kinds_reach_their_answer(
    assistant: Assistant, question: str, answer: str
) -> None:
    text = texts(assistant.send(new_sender(), question))
    assert answer in text, f"{question!r} got {text!r}"


def test_becoming_a_therapist_is_not_the_clinics_qualifications(assistant: Assistant) -> None:
    """A guard, not a fault test (main passes it too): round five's examples
    for choosing a therapist share words with training as one, and a career
    question must not get the clinic's therapists' qualifications."""
    text = texts(
        assistant.send(new_sender(), "what qualifications would I need to work as a masseur?")
    )
    assert CANT_ANSWER_TEXT in text, text
    assert "All our therapists are qualified" not in text
