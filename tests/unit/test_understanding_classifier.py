"""LinearIntentClassifier's issue-10 options, in the shape Rasa's components
give: the top-label confidence, several FAQ questions in one message as
`asked_topic` entities, and the embedding's second opinion, which runs only
where the fast classifier is unsure and whose absence changes nothing else."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_ext.nlu import linear_classifier
from rasa_ext.nlu.linear_classifier import EMBEDDER, LinearIntentClassifier

EXAMPLES = {
    "faq/prices": [
        "how much is a massage",
        "what are your prices",
        "price of a facial",
        "cost of a session",
        "how much does it cost",
    ],
    "faq/opening_hours": [
        "when are you open",
        "opening hours please",
        "are you open on sunday",
        "what time do you close",
        "are you open on saturday",
    ],
    "greet": ["hello", "hi there", "good morning", "hey"],
    "book_appointment": [
        "i want to book",
        "can i make an appointment",
        "book me in",
        "reserve a slot",
    ],
}


class StubEmbedder:
    """Deterministic vectors (word hashes), counting the texts it is asked for."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += list(texts)
        out = np.zeros((len(texts), 16), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, sum(map(ord, word)) % 16] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


def _message(text: str, label: str) -> Message:
    intent, _, _ = label.partition("/")
    data = {"text": text, "intent": intent}
    if "/" in label:
        data["intent_response_key"] = label
    return Message(data=data)


def _train(tmp_path_factory: pytest.TempPathFactory, config: dict) -> LinearIntentClassifier:
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    resource = Resource("linear")
    context = ExecutionContext(graph_schema=None, model_id="m")  # type: ignore[arg-type]
    component = LinearIntentClassifier.create(config, storage, resource, context)
    component.train(
        TrainingData([_message(t, label) for label, texts in EXAMPLES.items() for t in texts])
    )
    return LinearIntentClassifier.load(config, storage, resource, context)


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[StubEmbedder]:
    embedder = StubEmbedder()
    monkeypatch.setattr(EMBEDDER, "get", lambda: embedder)
    yield embedder


# ------------------------------------------------------------------ confidence
def test_top_label_confidence_is_the_best_labels_probability(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    summed = _train(tmp_path_factory, {"C": 50.0})
    top = _train(tmp_path_factory, {"C": 50.0, "intent_confidence": "top_label"})
    text = "what is it"  # vague: FAQ probability spread over both topics
    row = top.probabilities([text])[0]
    [a] = summed.process([Message(data={"text": text})])
    [b] = top.process([Message(data={"text": text})])
    faq_columns = [i for i, label in enumerate(top._labels) if label.startswith("faq/")]
    faq_a = next(r for r in a.get("intent_ranking") if r["name"] == "faq")["confidence"]
    faq_b = next(r for r in b.get("intent_ranking") if r["name"] == "faq")["confidence"]
    assert faq_a == pytest.approx(row[faq_columns].sum())
    assert faq_b == pytest.approx(row[faq_columns].max()) and faq_b < faq_a


# ------------------------------------------------------------------ several questions
@pytest.fixture(scope="module")
def splitter(tmp_path_factory: pytest.TempPathFactory) -> LinearIntentClassifier:
    return _train(
        tmp_path_factory, {"C": 50.0, "split_questions": True, "question_part_threshold": 0.4}
    )


def test_two_faq_questions_become_asked_topic_entities(splitter: LinearIntentClassifier) -> None:
    text = "how much does it cost and are you open on saturday?"
    [message] = splitter.process([Message(data={"text": text})])
    entities = [e for e in message.get("entities") if e["entity"] == "asked_topic"]
    assert [e["value"] for e in entities] == ["prices", "opening_hours"]
    assert [text[e["start"] : e["end"]] for e in entities] == [
        "how much does it cost",
        "are you open on saturday?",
    ]
    assert all(e["extractor"] == "LinearIntentClassifier" for e in entities)
    assert message.get("intent")["name"] == "faq"
    assert (
        message.get("response_selector")["faq"]["response"]["intent_response_key"] == "faq/prices"
    )
    assert "entities" in message.as_dict(only_output_properties=True)


@pytest.mark.parametrize(
    "text",
    [
        "how much does a massage cost",  # one question
        "what are your prices? how much does it cost?",  # two questions, one topic
        "i want to book an appointment and what are your prices",  # one part is not an FAQ
    ],
)
def test_otherwise_no_asked_topic(splitter: LinearIntentClassifier, text: str) -> None:
    [message] = splitter.process([Message(data={"text": text})])
    assert not [e for e in message.get("entities") or [] if e["entity"] == "asked_topic"]


# ------------------------------------------------------------------ the embedding
def test_the_embedding_runs_only_below_the_threshold(
    tmp_path_factory: pytest.TempPathFactory, stub: StubEmbedder
) -> None:
    classifier = _train(
        tmp_path_factory, {"C": 50.0, "embedding_below": 0.7, "embedding_min_words": 2}
    )
    assert classifier._embedding_columns is not None
    stub.calls.clear()
    sure, unsure = "what are your prices", "is it good then"
    fast = classifier.probabilities([sure, unsure])
    assert fast[0].max() >= 0.7 > fast[1].max()
    slow = classifier._embedding_model.predict_proba(StubEmbedder().embed([unsure]))[
        :, classifier._embedding_columns
    ]
    messages = [Message(data={"text": sure}), Message(data={"text": unsure})]
    out = classifier._second_opinion(messages, fast)
    assert stub.calls == [unsure]
    assert np.array_equal(out[0], fast[0])
    assert np.allclose(out[1], (fast[1] + slow[0]) / 2)


def test_the_embedding_weight_sets_its_share_of_the_blend(
    tmp_path_factory: pytest.TempPathFactory, stub: StubEmbedder
) -> None:
    """``embedding_weight`` 0.7: the unsure message's distribution is 0.3 of
    the fast classifier's and 0.7 of the embedding's (0.5 was the average)."""
    config = {"C": 50.0, "embedding_below": 0.9, "embedding_min_words": 2}
    classifier = _train(tmp_path_factory, {**config, "embedding_weight": 0.7})
    text = "is it good then"
    fast = classifier.probabilities([text])
    slow = classifier._embedding_model.predict_proba(StubEmbedder().embed([text]))[
        :, classifier._embedding_columns
    ]
    out = classifier._second_opinion([Message(data={"text": text})], fast)
    assert np.allclose(out[0], 0.3 * fast[0] + 0.7 * slow[0])
    assert not np.allclose(out[0], (fast[0] + slow[0]) / 2)
    assert out[0].sum() == pytest.approx(1.0)


def test_without_the_embedding_it_answers_from_the_fast_classifier(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    stub: StubEmbedder,
) -> None:
    classifier = _train(
        tmp_path_factory, {"C": 50.0, "embedding_below": 0.7, "embedding_min_words": 2}
    )
    monkeypatch.undo()  # the stub trained it; now the real loader, pointed at nothing

    def refuse(*_: Any, **__: Any) -> None:
        from clinic_core.nlp.embedding import EmbeddingIntegrityError

        raise EmbeddingIntegrityError("model.safetensors is not the pinned file")

    monkeypatch.setattr("clinic_core.nlp.embedding.SentenceEmbedder.load", refuse)
    EMBEDDER.reset()
    try:
        text = "is it good then"
        fast = classifier.probabilities([text])
        with caplog.at_level(logging.WARNING, logger=linear_classifier.__name__):
            [first] = classifier.process([Message(data={"text": text})])
            [second] = classifier.process([Message(data={"text": text})])
        warnings = [r for r in caplog.records if "sentence embedding unavailable" in r.getMessage()]
        assert len(warnings) == 1 and "not the pinned file" in warnings[0].getMessage()
        expected = max(
            fast[0][
                [i for i, label in enumerate(classifier._labels) if label.startswith("faq/")]
            ].sum(),
            *(
                fast[0][i]
                for i, label in enumerate(classifier._labels)
                if not label.startswith("faq/")
            ),
        )
        assert first.get("intent")["confidence"] == pytest.approx(expected)
        assert second.get("intent") == first.get("intent")
    finally:
        EMBEDDER.reset()


# ------------------------------------------------------------------ real clients' weight
def _real(text: str, label: str) -> Message:
    """A real client's question as data/nlu/real_clients_train.yml gives it: with its page."""
    message = _message(text, label)
    message.set("metadata", {"example": {"source": "https://example.org/faq"}})
    return message


def _train_with_real(
    tmp_path_factory: pytest.TempPathFactory, config: dict, real: list[Message]
) -> LinearIntentClassifier:
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    resource = Resource("linear")
    context = ExecutionContext(graph_schema=None, model_id="m")  # type: ignore[arg-type]
    component = LinearIntentClassifier.create(config, storage, resource, context)
    team = [_message(t, label) for label, texts in EXAMPLES.items() for t in texts]
    component.train(TrainingData(team + real))
    return LinearIntentClassifier.load(config, storage, resource, context)


def test_real_clients_examples_are_recognised_by_their_source_metadata() -> None:
    assert linear_classifier.is_real_client_example(_real("is it dear", "faq/prices"))
    assert not linear_classifier.is_real_client_example(_message("is it dear", "faq/prices"))
    unsourced = _message("is it dear", "faq/prices")
    unsourced.set("metadata", {"example": {"note": "team"}})
    assert not linear_classifier.is_real_client_example(unsourced)


def test_real_example_weight_makes_a_real_clients_wording_count_more(
    tmp_path_factory: pytest.TempPathFactory, stub: StubEmbedder
) -> None:
    """A real client wrote "is it dear" for the prices; weighted 5, the fit
    leans further to prices on those words than at 1 (the team's examples
    unchanged), in the fast model and in the embedding's."""
    real = [_real("is it dear", "faq/prices"), _real("dear for a session then", "faq/prices")]
    config = {"C": 1.0, "embedding_below": 0.9, "embedding_min_words": 2}
    plain = _train_with_real(tmp_path_factory, config, real)
    weighted = _train_with_real(tmp_path_factory, {**config, "real_example_weight": 5.0}, real)
    prices = list(plain._labels).index("faq/prices")
    text = "is it dear"
    assert weighted.probabilities([text])[0, prices] > plain.probabilities([text])[0, prices] + 0.05
    vector = StubEmbedder().embed([text])
    slow = [
        c._embedding_model.predict_proba(vector)[0, c._embedding_columns][prices]
        for c in (plain, weighted)
    ]
    assert slow[1] > slow[0] + 0.05
    # the embedding's own weight, when given, is used for its fit alone
    fast_only = _train_with_real(
        tmp_path_factory,
        {**config, "real_example_weight": 5.0, "real_example_weight_embedding": 1.0},
        real,
    )
    assert np.allclose(
        fast_only._embedding_model.predict_proba(vector),
        plain._embedding_model.predict_proba(vector),
    )
    assert np.allclose(fast_only.probabilities([text]), weighted.probabilities([text]))
