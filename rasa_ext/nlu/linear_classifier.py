"""One linear model for the intent and the FAQ topic.

Why not DIET + ResponseSelector: on this assistant's data (a few thousand
short questions, 51 labels) a regularised logistic regression over TF-IDF
word and character n-grams of the lemmas is as accurate (held-out sets of
`make eval`: first 93.1% either way, blind 99.1% against DIET's 98.6%)
and about ten times cheaper per message: no TensorFlow call, no sparse
feature assembly per component. NLU was half of the server's CPU per turn
(py-spy, docs/performance.md, "Where a turn's time went"); training drops from minutes to
seconds.

One flat classifier over the intents and the FAQ sub-intents
(`faq/prices`, ...), so a question is never forced into "faq" first and a
topic second. Its output is what Rasa's components would have written:
`intent` and `intent_ranking` (an intent's confidence is the sum over its
labels, so FAQ confidence is not split between similar topics, which the
FallbackClassifier after it relies on) and `response_selector` for the
retrieval intent, which `utter_faq` and the actions read.

Options measured on the real clients' dev sets (README, "Measured"):

* ``intent_confidence: top_label``: an intent's confidence is its best
  label's probability, not the sum over its labels. Summed, an FAQ
  question spread over five topics still looks 90% sure of "faq" and the
  FallbackClassifier lets a 20% topic through as a confident answer.
* ``split_questions``: a message that plainly asks two or more questions
  ("how much is 90 minutes and are you open on Saturday?",
  clinic_core.text.question_parts) has each part classified too; when every
  part is an FAQ topic with probability >= ``question_part_threshold`` and
  they are different topics, each becomes an ``asked_topic`` entity and a
  rule answers them all (action_answer_questions). A single question costs
  two regex scans and nothing else.
* ``embedding_below: T``: where the best label's probability is below T,
  a second opinion from a logistic regression over the pretrained sentence
  embedding (clinic_core/nlp/embedding.py) is blended in, with weight
  ``embedding_weight`` (0.5: a plain average; 1: the embedding alone). The embedder
  loads on the first such message, never at start-up; when its files are
  missing or fail their hash check the component logs one warning and
  answers from the fast classifier alone. The emergency path does not go
  through here (RedFlagOverride runs last and reads the text itself).
  ``embedding_finetuned: true``: the encoder fine-tuned on data/nlu at
  setup (scripts/finetune_encoder.py, build/embedding/<name>-ft, checked by
  clinic_core.nlp.embedding.load_finetuned_manifest) instead of the pinned
  base model; missing or changed, the same warning and no second opinion.
* ``real_example_weight: N``: each real client's question in the training
  data (is_real_client_example: its ``source`` metadata) counts N times in
  both fits, the team's once; ``real_example_weight_embedding`` gives the
  embedding's LR a weight of its own. Real clients write unlike the team,
  and theirs are the messages the assistant will read.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
    TOKENS_NAMES,
)
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    METADATA,
    METADATA_EXAMPLE,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_union

from clinic_core.text import question_parts

logger = logging.getLogger(__name__)

MODEL_FILE = "linear_classifier.joblib"
EMBEDDING_MODEL_FILE = "embedding_classifier.joblib"
RANKING_LENGTH = 10
#: Entity naming each FAQ topic of a message that asks several (domain.yml).
ASKED_TOPIC = "asked_topic"
#: Example metadata naming the page a real client's question was copied from.
REAL_SOURCE_KEY = "source"


class _LazyEmbedder:
    """The sentence embedder, loaded on first use, once per process.

    A failure (files missing, a hash mismatch, the runtime absent) is logged
    once as a warning and remembered: later messages do not retry a 90 MB
    read per turn, they go on with the fast classifier."""

    def __init__(self) -> None:
        self._embedder: Any = None
        self._failed = False
        self._finetuned = False
        self._lock = threading.Lock()

    def configure(self, finetuned: bool) -> None:
        """Which encoder to load (config.yml ``embedding_finetuned``); a
        change forgets what was loaded for the other."""
        with self._lock:
            if bool(finetuned) != self._finetuned:
                self._finetuned = bool(finetuned)
                self._embedder, self._failed = None, False

    def get(self) -> Any:
        if self._embedder is not None or self._failed:
            return self._embedder
        with self._lock:
            if self._embedder is None and not self._failed:
                try:
                    from clinic_core.nlp.embedding import SentenceEmbedder

                    self._embedder = SentenceEmbedder.load_shipped(self._finetuned, threads=1)
                except Exception as error:  # noqa: BLE001 - any failure means "no second opinion"
                    self._failed = True
                    logger.warning(
                        "sentence embedding unavailable, using the fast classifier alone: %s", error
                    )
        return self._embedder

    def reset(self) -> None:
        """Forget a loaded embedder or a failure (tests)."""
        with self._lock:
            self._embedder, self._failed = None, False


EMBEDDER = _LazyEmbedder()


def embed_or_none(texts: list[str]) -> np.ndarray | None:
    """The texts' sentence vectors, or None when the embedding is unavailable."""
    embedder = EMBEDDER.get()
    if embedder is None:
        return None
    try:
        return embedder.embed(texts)
    except Exception as error:  # noqa: BLE001 - a failing second opinion must not fail the turn
        logger.warning("sentence embedding failed, using the fast classifier alone: %s", error)
        return None


def is_real_client_example(message: Message) -> bool:
    """A real client's question: a training example whose metadata names the
    page it was copied from (`source`, data/nlu/real_clients_train.yml, as
    scripts/real_clients_training.py writes it). Team-written examples carry
    no source."""
    metadata = message.get(METADATA) or {}
    example = metadata.get(METADATA_EXAMPLE) if isinstance(metadata, dict) else None
    return isinstance(example, dict) and bool(example.get(REAL_SOURCE_KEY))


def example_weights(real: list[bool], weight: float) -> np.ndarray | None:
    """Each example's weight in a fit: ``weight`` for a real client's
    question, 1 for the team's; None (an unweighted fit) when it is 1."""
    if weight == 1.0:
        return None
    return np.where(np.asarray(real, dtype=bool), weight, 1.0)


def blended(fast: np.ndarray, slow: np.ndarray, unsure: Any, weight: float) -> np.ndarray:
    """``fast`` with its ``unsure`` rows (indices or a mask) replaced by
    ``(1 - weight) * fast + weight * slow``; ``slow`` holds those rows only,
    in order. The second opinion's rule, shared with the comparison tools."""
    out = fast.copy()
    out[unsure] = (1.0 - weight) * fast[unsure] + weight * slow
    return out


def text_for_features(message: Message) -> str:
    """The lower-cased lemmas: "massages" and "massage" are one feature."""
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    if not tokens:
        return (message.get(TEXT) or "").lower()
    return " ".join((t.lemma or t.text).lower() for t in tokens)


def build_pipeline(config: dict[str, Any]) -> Pipeline:
    """TF-IDF of word 1..n-grams and in-word character n-grams, then LR."""
    words = TfidfVectorizer(ngram_range=(1, config["word_ngram_max"]), sublinear_tf=True)
    chars = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(config["char_ngram_min"], config["char_ngram_max"]),
        sublinear_tf=True,
    )
    model = LogisticRegression(C=config["C"], max_iter=config["max_iter"])
    return Pipeline([("features", make_union(words, chars)), ("model", model)])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    """Intent and FAQ topic from one logistic regression (see module doc)."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "C": 50.0,
            "max_iter": 5000,
            "word_ngram_max": 2,
            "char_ngram_min": 2,
            "char_ngram_max": 5,
            "retrieval_intent": "faq",
            # "sum": an intent's confidence is the sum of its labels' (an FAQ
            # over all topics); "top_label": its best label's probability.
            "intent_confidence": "sum",
            # Best label below this: average in the sentence embedding's
            # opinion (None: never; the embedding is not even trained).
            "embedding_below": None,
            "embedding_C": 10.0,
            # True: the encoder fine-tuned at setup (build/embedding/<name>-ft)
            # rather than the pinned base model.
            "embedding_finetuned": False,
            # The embedding's share of the blend where it is asked (0.5: a
            # plain average of the two distributions).
            "embedding_weight": 0.5,
            # Messages shorter than this (in words) are left to the fast
            # classifier: on "hours?" the embedding has too little to go on.
            "embedding_min_words": 3,
            "split_questions": False,
            "question_part_threshold": 0.5,
            # Each real client's question (is_real_client_example) counts
            # this many times in the fits (1: as much as a team-written one);
            # `real_example_weight_embedding` for the embedding's LR (None:
            # the same weight).
            "real_example_weight": 1.0,
            "real_example_weight_embedding": None,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        pipeline: Pipeline | None = None,
        embedding_model: LogisticRegression | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        if self._config["embedding_below"] is not None:
            EMBEDDER.configure(self._config["embedding_finetuned"])
        self._storage = model_storage
        self._resource = resource
        self._set_pipeline(pipeline)
        self._set_embedding_model(embedding_model)

    def _set_embedding_model(self, model: LogisticRegression | None) -> None:
        """The embedding's logistic regression, its columns in the fast model's label order."""
        self._embedding_model = model
        self._embedding_columns: np.ndarray | None = None
        if model is not None and self._pipeline is not None:
            index = {label: i for i, label in enumerate(model.classes_)}
            if set(index) == set(self._labels):
                self._embedding_columns = np.array([index[label] for label in self._labels])
            else:
                logger.warning("LinearIntentClassifier: embedding model's labels differ, not used")

    def _set_pipeline(self, pipeline: Pipeline | None) -> None:
        """Label bookkeeping done once, not per message."""
        self._pipeline = pipeline
        if pipeline is None:
            self._labels = np.array([])
            self._intents: list[str] = []
            return
        # Per message, FeatureUnion, the vectorizers' transform and
        # predict_proba cost far more in sparse-matrix bookkeeping and input
        # checks than in arithmetic (0.7 ms against 0.02 ms for the n-grams):
        # the same sums, done directly (`probabilities`).
        self._blocks = []
        offset = 0
        for _, vectorizer in pipeline.named_steps["features"].transformer_list:
            self._blocks.append(
                (vectorizer.build_analyzer(), vectorizer.vocabulary_, vectorizer.idf_, offset)
            )
            offset += len(vectorizer.vocabulary_)
        model = pipeline.named_steps["model"]
        self._weights = np.ascontiguousarray(model.coef_.T)
        self._intercept = model.intercept_
        self._labels = np.asarray(pipeline.classes_)
        bases = np.array([label.split("/", 1)[0] for label in self._labels])
        self._intents = sorted(set(bases))
        self._intent_columns = [np.flatnonzero(bases == name) for name in self._intents]
        # sklearn sorts its classes, so each intent's labels are adjacent: one
        # reduceat per message gives every intent's sum (or max)
        order = np.concatenate(self._intent_columns)
        self._contiguous = bool(np.array_equal(order, np.arange(len(order))))
        self._intent_starts = np.array([cols[0] for cols in self._intent_columns])
        self._topic_columns = np.flatnonzero(bases == self._config["retrieval_intent"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        texts, raw, labels, real = [], [], [], []
        for example in training_data.intent_examples:
            label = example.get(INTENT_RESPONSE_KEY) or example.get(INTENT)
            if label:
                texts.append(text_for_features(example))
                raw.append(example.get(TEXT) or "")
                labels.append(label)
                real.append(is_real_client_example(example))
        if len(set(labels)) < 2:
            logger.warning("LinearIntentClassifier: fewer than two labels, nothing trained")
            return self._resource
        fast_weight = float(self._config["real_example_weight"])
        slow_weight = self._config["real_example_weight_embedding"]
        slow_weight = fast_weight if slow_weight is None else float(slow_weight)
        pipeline = build_pipeline(self._config)
        pipeline.fit(texts, labels, model__sample_weight=example_weights(real, fast_weight))
        self._set_pipeline(pipeline)
        self._set_embedding_model(
            self._train_embedding_model(raw, labels, example_weights(real, slow_weight))
        )
        self.persist()
        return self._resource

    def _train_embedding_model(
        self, texts: list[str], labels: list[str], weights: np.ndarray | None = None
    ) -> LogisticRegression | None:
        """The second opinion's LR, or None when it is off or the embedding is unavailable."""
        if self._config["embedding_below"] is None:
            return None
        vectors = embed_or_none(texts)
        if vectors is None:
            logger.warning("LinearIntentClassifier: trained without the embedding's second opinion")
            return None
        return LogisticRegression(
            C=self._config["embedding_C"], max_iter=self._config["max_iter"]
        ).fit(vectors, labels, sample_weight=weights)

    def persist(self) -> None:
        if self._pipeline is None:
            return
        with self._storage.write_to(self._resource) as directory:
            joblib.dump(self._pipeline, Path(directory) / MODEL_FILE)
            if self._embedding_model is not None:
                joblib.dump(self._embedding_model, Path(directory) / EMBEDDING_MODEL_FILE)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        embedding_model = None
        try:
            with model_storage.read_from(resource) as directory:
                pipeline = joblib.load(Path(directory) / MODEL_FILE)
                if (Path(directory) / EMBEDDING_MODEL_FILE).exists():
                    embedding_model = joblib.load(Path(directory) / EMBEDDING_MODEL_FILE)
        except (ValueError, FileNotFoundError):
            logger.warning("LinearIntentClassifier: no trained model, predicting nothing")
            pipeline = None
        return cls(config, model_storage, resource, pipeline, embedding_model)

    def process(self, messages: list[Message]) -> list[Message]:
        if self._pipeline is None:
            return messages
        # Payloads ("/faq{...}") too: the FallbackClassifier after this wants an
        # intent on every message; Rasa's RegexMessageHandler replaces it.
        probabilities = self.probabilities([text_for_features(m) for m in messages])
        probabilities = self._second_opinion(messages, probabilities)
        for message, row in zip(messages, probabilities, strict=True):
            topics = self._asked_topics(message) if self._config["split_questions"] else []
            if topics:
                row = topics[0][2]  # the first question's topic answers if the rule cannot
                message.set(
                    ENTITIES,
                    message.get(ENTITIES, [])
                    + [
                        {
                            ENTITY_ATTRIBUTE_TYPE: ASKED_TOPIC,
                            ENTITY_ATTRIBUTE_VALUE: topic,
                            ENTITY_ATTRIBUTE_START: start,
                            ENTITY_ATTRIBUTE_END: end,
                            EXTRACTOR: self.__class__.__name__,
                        }
                        for topic, (start, end), _ in topics
                    ],
                    add_to_output=True,
                )
            self._annotate(message, row)
        return messages

    def _asked_topics(self, message: Message) -> list[tuple]:
        """(topic, span, probabilities) of each question of a message that asks
        several different FAQ topics confidently; [] otherwise (the usual case)."""
        text = message.get(TEXT) or ""
        spans = question_parts(text) if not text.startswith("/") else []
        if len(spans) < 2:
            return []
        tokens = message.get(TOKENS_NAMES[TEXT]) or []
        parts = [
            " ".join((t.lemma or t.text).lower() for t in tokens if t.start >= s and t.end <= e)
            if tokens
            else text[s:e].lower()
            for s, e in spans
        ]
        rows = self.probabilities(parts)
        retrieval = self._config["retrieval_intent"] + "/"
        found, seen = [], set()
        for span, row in zip(spans, rows, strict=True):
            label = str(self._labels[int(row.argmax())])
            if (
                not label.startswith(retrieval)
                or row.max() < self._config["question_part_threshold"]
            ):
                return []
            topic = label[len(retrieval) :]
            if topic not in seen:
                seen.add(topic)
                found.append((topic, span, row))
        return found if len(found) > 1 else []

    def _second_opinion(self, messages: list[Message], probabilities: np.ndarray) -> np.ndarray:
        """Rows whose best label is below ``embedding_below``, blended with
        the embedding's distribution (``embedding_weight`` of it); the others
        untouched (no embedding run)."""
        threshold = self._config["embedding_below"]
        if threshold is None or self._embedding_columns is None:
            return probabilities
        min_words = self._config["embedding_min_words"]
        unsure = [
            i
            for i, m in enumerate(messages)
            if probabilities[i].max() < threshold
            and not (m.get(TEXT) or "").startswith("/")
            and len((m.get(TEXT) or "").split()) >= min_words
        ]
        if not unsure:
            return probabilities
        vectors = embed_or_none([messages[i].get(TEXT) or "" for i in unsure])
        if vectors is None:
            return probabilities
        slow = self._embedding_model.predict_proba(vectors)[:, self._embedding_columns]
        return blended(probabilities, slow, unsure, self._config["embedding_weight"])

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """What the pipeline's predict_proba gives, one row per text: each
        vectorizer's sublinear TF-IDF, L2-normalised, then the multinomial
        logistic regression (a softmax of the linear scores)."""
        scores = np.tile(self._intercept, (len(texts), 1))
        for row, text in enumerate(texts):
            for analyze, vocabulary, idf, offset in self._blocks:
                counts: dict[int, int] = {}
                for gram in analyze(text):
                    column = vocabulary.get(gram)
                    if column is not None:
                        counts[column] = counts.get(column, 0) + 1
                if not counts:
                    continue
                columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
                values = (
                    1.0 + np.log(np.fromiter(counts.values(), dtype=float, count=len(counts)))
                ) * idf[columns]
                values /= np.sqrt(values @ values)
                scores[row] += values @ self._weights[columns + offset]
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def _annotate(self, message: Message, row: np.ndarray) -> None:
        top_label = self._config["intent_confidence"] == "top_label"
        if self._contiguous:
            reduce = np.maximum.reduceat if top_label else np.add.reduceat
            intent_scores = reduce(row, self._intent_starts).tolist()
        else:
            combine = np.max if top_label else np.sum
            intent_scores = [float(combine(row[cols])) for cols in self._intent_columns]
        order = np.argsort(intent_scores)[::-1][:RANKING_LENGTH]
        ranking = [
            {INTENT_NAME_KEY: self._intents[i], PREDICTED_CONFIDENCE_KEY: intent_scores[i]}
            for i in order
        ]
        message.set(INTENT, ranking[0], add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        if len(self._topic_columns):
            message.set(RESPONSE_SELECTOR_PROPERTY_NAME, self._selector(row), add_to_output=True)

    def _selector(self, row: np.ndarray) -> dict[str, Any]:
        """The retrieval intent's topics, confidences renormalised among them."""
        retrieval = self._config["retrieval_intent"]
        scores = row[self._topic_columns]
        total = float(scores.sum()) or 1.0
        order = np.argsort(scores)[::-1][:RANKING_LENGTH]
        ranking = [
            {
                INTENT_RESPONSE_KEY: str(self._labels[self._topic_columns[i]]),
                PREDICTED_CONFIDENCE_KEY: float(scores[i]) / total,
            }
            for i in order
        ]
        best = ranking[0]
        return {
            RESPONSE_SELECTOR_RETRIEVAL_INTENTS: [retrieval],
            retrieval: {
                RESPONSE_SELECTOR_PREDICTION_KEY: {
                    RESPONSE_SELECTOR_RESPONSES_KEY: [],
                    PREDICTED_CONFIDENCE_KEY: best[PREDICTED_CONFIDENCE_KEY],
                    INTENT_RESPONSE_KEY: best[INTENT_RESPONSE_KEY],
                    RESPONSE_SELECTOR_UTTER_ACTION_KEY: "utter_" + best[INTENT_RESPONSE_KEY],
                },
                RESPONSE_SELECTOR_RANKING_KEY: ranking,
            },
        }
