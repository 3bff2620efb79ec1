"""The intent/FAQ-topic classifier: the fast path computes what the sklearn
pipeline computes, and its output has the shape Rasa's components gave."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_ext.nlu.linear_classifier import LinearIntentClassifier

EXAMPLES = {
    "faq/prices": [
        "how much is a massage",
        "what are your prices",
        "price of a facial",
        "cost of a session",
    ],
    "faq/opening_hours": [
        "when are you open",
        "opening hours please",
        "are you open on sunday",
        "what time do you close",
    ],
    "greet": ["hello", "hi there", "good morning", "hey"],
    "book_appointment": [
        "i want to book",
        "can i make an appointment",
        "book me in",
        "reserve a slot",
    ],
}


def _message(text: str, label: str) -> Message:
    intent, _, _ = label.partition("/")
    data = {"text": text, "intent": intent}
    if "/" in label:
        data["intent_response_key"] = label
    return Message(data=data)


@pytest.fixture(scope="module")
def classifier(tmp_path_factory: pytest.TempPathFactory) -> LinearIntentClassifier:
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    resource = Resource("linear")
    context = ExecutionContext(graph_schema=None, model_id="m")  # type: ignore[arg-type]
    component = LinearIntentClassifier.create({"C": 50.0}, storage, resource, context)
    component.train(
        TrainingData([_message(t, label) for label, texts in EXAMPLES.items() for t in texts])
    )
    return LinearIntentClassifier.load({"C": 50.0}, storage, resource, context)


def test_fast_path_equals_the_sklearn_pipeline(classifier: LinearIntentClassifier) -> None:
    texts = ["how much does a facial cost", "are you open late", "hiya", "", "😀", "zzz qqq"]
    expected = classifier._pipeline.predict_proba(texts)
    assert np.abs(classifier.probabilities(texts) - expected).max() < 1e-9


def test_an_faq_gets_intent_faq_and_its_topic(classifier: LinearIntentClassifier) -> None:
    [message] = classifier.process([Message(data={"text": "what are your prices for a massage"})])
    assert message.get("intent")["name"] == "faq"
    ranking = message.get("intent_ranking")
    assert ranking[0]["name"] == "faq" and abs(sum(r["confidence"] for r in ranking) - 1) < 1e-9
    selected = message.get("response_selector")["faq"]["response"]
    assert selected["intent_response_key"] == "faq/prices"
    assert selected["utter_action"] == "utter_faq/prices"
    assert 0.5 < selected["confidence"] <= 1.0
    assert message.get("response_selector")["all_retrieval_intents"] == ["faq"]


def test_other_intents_and_payloads_get_an_intent(classifier: LinearIntentClassifier) -> None:
    greet, payload = classifier.process(
        [
            Message(data={"text": "hello there"}),
            Message(data={"text": '/faq{"faq_topic": "prices"}'}),
        ]
    )
    assert greet.get("intent")["name"] == "greet"
    # the FallbackClassifier after it needs an intent on every message; Rasa's
    # RegexMessageHandler replaces it for payloads
    assert payload.get("intent")["name"]


def test_confidences_are_plain_floats_for_json(classifier: LinearIntentClassifier) -> None:
    [message] = classifier.process([Message(data={"text": "book me in please"})])
    assert type(message.get("intent")["confidence"]) is float
    ranking = message.get("response_selector")["faq"]["ranking"]
    assert all(type(r["confidence"]) is float for r in ranking)
