"""Issue 10, items 6 and 7, through the running assistant's REST channel:
two questions in one message get both answers; what it cannot answer gets
the honest reply with a way to ask the clinic, never a topic; and with the
sentence embedding refused (hash mismatch) it still answers from the fast
classifier, emergencies included."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from clinic_core.nlp.embedding import finetuned_directory, load_manifest
from scripts.eval_clients import CANT_ANSWER, classifier_guess, reply_labels
from tests.assistant import Assistant, buttons, new_sender, start_assistant, texts

CANT_ANSWER_TEXT = "can't answer that one here"
PHONE = "+44 20 7946 0321"


def _replies_and_guess(assistant: Assistant, message: str) -> tuple[list[dict], list[str], float]:
    sender = new_sender()
    replies = assistant.send(sender, message)
    events = assistant.tracker(sender)["events"]
    return replies, reply_labels(events), classifier_guess(events)[1]


# ------------------------------------------------------------------ two questions
@pytest.mark.parametrize(
    "message,first,second",
    [
        ("how much is 90 minutes and are you open on Saturday?", "£90", "Mon"),
        ("What do you charge? Do you have parking?", "£65", "Linden Street"),
    ],
)
def test_two_questions_in_one_message_get_both_answers(
    assistant: Assistant, message: str, first: str, second: str
) -> None:
    replies, labels, _ = _replies_and_guess(assistant, message)
    answer = texts(replies)
    assert first in answer and second in answer
    assert answer.index(first) < answer.index(second), "answered in the order asked"
    assert len(labels) == 2 and all(label.startswith("faq/") for label in labels)


def test_a_single_question_gets_one_answer(assistant: Assistant) -> None:
    replies, labels, _ = _replies_and_guess(assistant, "how much is a 60 minute massage?")
    assert labels == ["faq/prices"] and "£65" in texts(replies)


# ------------------------------------------------------------------ honest "can't answer"
@pytest.mark.parametrize(
    "message",
    [
        "can you teach me how to massage my girlfriend's back at home",  # DIY technique
        "which massage gun should I buy",  # a product
        "how much do massage therapists earn",  # careers
    ],
)
def test_out_of_scope_gets_the_honest_reply_and_a_way_to_ask_the_clinic(
    assistant: Assistant, message: str
) -> None:
    replies, labels, _ = _replies_and_guess(assistant, message)
    answer = texts(replies)
    assert labels == [CANT_ANSWER]
    assert CANT_ANSWER_TEXT in answer and PHONE in answer and "call-back" in answer
    assert "/human_handoff" in buttons(replies)


def test_the_call_back_button_reaches_the_clinic(assistant: Assistant) -> None:
    sender = new_sender()
    assistant.send(sender, "which massage gun should I buy")
    answer = texts(assistant.send(sender, "/human_handoff"))
    assert PHONE in answer and "call you back" in answer


@pytest.mark.parametrize(
    "message",
    [
        "blorp the snargle with a wibble",
        "is it true the thing about the other thing",
        "my cousin said something about that once",
    ],
)
def test_a_low_confidence_question_never_gets_a_topic(assistant: Assistant, message: str) -> None:
    replies, labels, confidence = _replies_and_guess(assistant, message)
    assert labels == [CANT_ANSWER], f"{message!r} answered {labels} at confidence {confidence:.2f}"
    assert texts(replies), "the client is told, not left waiting"


# ------------------------------------------------------------------ without the embedding
@pytest.fixture(scope="module")
def without_embedding(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """An assistant whose embedding weights (the shipped ones: the fine-tuned
    encoder's, next to the base model) fail their SHA-256 check."""
    manifest = load_manifest()
    source, finetuned = manifest.directory(), finetuned_directory()
    if not source.exists() or not finetuned.exists():
        pytest.fail(
            "the embedding was not fetched or fine-tuned: run scripts/setup.sh", pytrace=False
        )
    copy = tmp_path_factory.mktemp("embedding")
    shutil.copytree(source, copy / source.name)
    shutil.copytree(finetuned, copy / finetuned.name)
    weights = copy / finetuned.name / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF  # one changed byte: same size, another hash
    weights.write_bytes(bytes(data))
    running = start_assistant(
        Path(tmp_path_factory.mktemp("no-embedding")), {"CLINIC_EMBEDDING_DIR": str(copy)}
    )
    yield running
    running.stop()


def test_a_refused_embedding_degrades_to_the_fast_classifier(without_embedding: Assistant) -> None:
    # a vague message: the fast classifier is unsure, so the embedding is asked for
    replies, labels, _ = _replies_and_guess(
        without_embedding, "is it true the thing about the other thing"
    )
    assert labels == [CANT_ANSWER] and texts(replies)
    log = (without_embedding.workdir / "rasa.log").read_text(encoding="utf-8", errors="replace")
    assert "sentence embedding unavailable" in log and "not the pinned file" in log
    # and the assistant goes on answering
    replies, labels, _ = _replies_and_guess(without_embedding, "how much is a 60 minute massage?")
    assert labels == ["faq/prices"] and "£65" in texts(replies)
    replies, labels, _ = _replies_and_guess(
        without_embedding, "do I need to take my clothes off for a massage"
    )
    assert labels and labels != [CANT_ANSWER]


@pytest.mark.parametrize(
    "message",
    [
        "I have crushing chest pain and my left arm feels numb",
        "my dad's face is drooping and his speech is slurred",
        "I have crushing chest pain and how much is a massage?",
    ],
)
def test_the_emergency_path_does_not_need_the_embedding(
    without_embedding: Assistant, assistant: Assistant, message: str
) -> None:
    for running in (without_embedding, assistant):
        answer = texts(running.send(new_sender(), message))
        assert "999" in answer and "112" in answer and "911" in answer
