"""Other ways to decide from the same two opinions, scored on the design sides
(issue 10, item 7: is the fallback's rule still leaving answers behind?).

    .venv/bin/python scripts/decision_variants.py

The fresh judges' declines often carry the right guess (8 of 12 on dev10),
so each variant below asks whether a different use of the classifier's own
outputs answers more of them without more confidently wrong answers. The
classifier is the shipped one as scripts/compare_embeddings.py builds it,
trained on all of data/nlu, with the shipped fine-tuned encoder as the
second opinion (it never saw a design side); scored on
scripts/learning_curve.py's ``DESIGN`` sides (never the judge, never the
test part). The classifiers alone: no overrides, forms or dialogue.

* ``shipped``: the blend's best label, declined below the fallback's
  threshold, within its ambiguity of the runner-up or when out_of_scope.
* ``agree T``: also answered, down to T, when the fast model, the
  embedding's model and the blend all give the same best label.
* ``veto``: declined when the embedding's model was asked and its best
  label is not the answer.
* ``both L``: a decline whose two best labels are each >= L and together
  >= 0.7 gets both answers (acceptable only if both are).
* ``knn K W``: a third opinion where the fast model is unsure: the K most
  similar training examples (cosine, fine-tuned vectors) vote, W of the
  blend.

score = acceptable - 2 x confidently wrong, in questions. Writes
results/decision_variants.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import numpy as np  # noqa: E402
from compare_classifiers import (  # noqa: E402
    FALLBACK,
    Example,
    Featuriser,
    align,
    fallback_rule,
    knn_probabilities,
    load_training_with_origin,
    pipeline_settings,
    real_examples,
    train_embedding_lr,
    train_tfidf,
)
from compare_embeddings import load_embedder  # noqa: E402
from learning_curve import DESIGN  # noqa: E402

from rasa_ext.nlu.linear_classifier import blended  # noqa: E402

Answer = list[str]  # the labels answered; [] is the honest decline


def decide(row: np.ndarray, labels: list[str], threshold: float, ambiguity: float) -> Answer:
    """The shipped rule (LinearIntentClassifier's top_label confidence, then
    the fallback; compare_classifiers.fallback_rule): the best label, or the
    honest decline."""
    if fallback_rule(labels, threshold, ambiguity, by="label")(row):
        return []
    return [labels[int(np.argmax(row))]]


def verdict(answer: Answer, example: Example) -> str:
    if not answer:
        return "acceptable" if FALLBACK in example.labels else "declined"
    return "acceptable" if all(a in example.labels for a in answer) else "wrong"


def tally(answers: list[Answer], examples: list[Example]) -> dict[str, int]:
    out = {"acceptable": 0, "declined": 0, "wrong": 0}
    for answer, example in zip(answers, examples, strict=True):
        out[verdict(answer, example)] += 1
    out["score"] = out["acceptable"] - 2 * out["wrong"]
    return out


def variants(
    fast: np.ndarray,
    slow: np.ndarray,
    asked: np.ndarray,
    knn: Callable[[int], np.ndarray],
    labels: list[str],
    threshold: float,
    ambiguity: float,
    weight: float,
) -> dict[str, list[Answer]]:
    """Each variant's answers, one list per question."""
    mixed = blended(fast, slow[asked], asked, weight)
    shipped = [decide(row, labels, threshold, ambiguity) for row in mixed]
    out = {"shipped": shipped}
    for floor in (0.25, 0.3, 0.35, 0.4):
        answers = []
        for i, answer in enumerate(shipped):
            top = int(np.argmax(mixed[i]))
            agree = asked[i] and int(np.argmax(fast[i])) == top == int(np.argmax(slow[i]))
            if not answer and agree and mixed[i, top] >= floor and labels[top] != "out_of_scope":
                answer = [labels[top]]
            answers.append(answer)
        out[f"agree {floor:g}"] = answers
    out["veto"] = [
        [] if answer and asked[i] and labels[int(np.argmax(slow[i]))] != answer[0] else answer
        for i, answer in enumerate(shipped)
    ]
    for floor in (0.2, 0.25):
        answers = []
        for i, answer in enumerate(shipped):
            first, second = np.argsort(mixed[i])[::-1][:2]
            pair = [labels[first], labels[second]]
            if (
                not answer
                and mixed[i, second] >= floor
                and mixed[i, first] + mixed[i, second] >= 0.7
                and "out_of_scope" not in pair
            ):
                answer = pair
            answers.append(answer)
        out[f"both {floor:g}"] = answers
    for k in (3, 5, 10):
        votes = knn(k)
        for share in (0.2, 0.3):
            third = mixed.copy()
            third[asked] = (1 - share) * mixed[asked] + share * votes[asked]
            out[f"knn {k} {share:g}"] = [decide(row, labels, threshold, ambiguity) for row in third]
    return out


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", default=str(ROOT / "results" / "decision_variants.json"))
    args = parser.parse_args()
    config, threshold, ambiguity = pipeline_settings()
    below, weight = float(config["embedding_below"]), float(config["embedding_weight"])
    texts, train_labels, _ = load_training_with_origin()
    examples = [e for side in DESIGN for e in real_examples(side)]
    featurise = Featuriser()
    train_rows = [featurise(t, clean=False) for t in texts]
    rows = [featurise(e.text, clean=True) for e in examples]
    predict, labels = train_tfidf(train_rows, train_labels, config, "plain")
    fast = predict(rows)
    _, embedder = load_embedder("project")
    train_x = embedder.embed([r.text for r in train_rows])
    x = embedder.embed([r.text for r in rows])
    slow_predict, slow_classes = train_embedding_lr(
        train_x, train_labels, float(config["embedding_C"])
    )
    slow = align(slow_predict(x), slow_classes, labels)
    long_enough = np.array([len(r.text.split()) >= config["embedding_min_words"] for r in rows])
    asked = (fast.max(axis=1) < below) & long_enough
    train_unit, x_unit = unit_rows(train_x), unit_rows(x)

    def knn(k: int) -> np.ndarray:
        return knn_probabilities(train_unit, train_labels, labels, x_unit, k)

    results = {
        name: tally(answers, examples)
        for name, answers in variants(
            fast, slow, asked, knn, labels, threshold, ambiguity, weight
        ).items()
    }
    print(f"{len(examples)} design questions ({', '.join(DESIGN)})\n")
    print("| variant | acceptable | declined | confidently wrong | score |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, r in results.items():
        print(f"| {name} | {r['acceptable']} | {r['declined']} | {r['wrong']} | {r['score']} |")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
