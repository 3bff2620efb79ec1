"""How the classifier's answers on fresh real questions grow with the real
clients' training questions (issue 10: is more public text still the lever?).

    .venv/bin/python scripts/learning_curve.py [--seeds 3] [--fractions 0,0.25,0.5,0.75,1]

Rounds ten to twelve each added real questions to training and moved the
fresh judges by +3, +2 and 0 questions. A learning curve says whether that is
the data running out or noise: the team's examples are always kept, a
random share of the real clients' training questions is kept with them
(several seeds per share), and each classifier is scored on the real sides
that no shipped model has trained on and that judge nothing any more
(``DESIGN``; never the current judge, never the test part).

The classifier is the shipped one as scripts/compare_embeddings.py builds it
(the TF-IDF LR, the embedding's LR blended in where it is unsure, the
fallback's threshold and ambiguity from config.yml), with ONE difference:
the second opinion uses the frozen base encoder, not the fine-tuned one.
The fine-tuned encoder was trained on every real training question, so with
part of them left out it would still know them and flatten the curve. The
classifiers alone: no overrides, forms or dialogue.

Cells: acceptable / declined / confidently wrong as shares of the design
sides (a decline counts as acceptable too where out_of_scope is a label, so
a row adds up to more than 100%), the mean over seeds (min-max of the score
beside it), and how many of the wrong answers went to questions with
out_of_scope among their labels;
score = acceptable - 2 x confidently wrong, in questions. Writes
results/learning_curve.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import numpy as np  # noqa: E402
from compare_classifiers import (  # noqa: E402
    Featuriser,
    align,
    fallback_rule,
    load_training_with_origin,
    pipeline_settings,
    real_examples,
    score,
    train_embedding_lr,
    train_tfidf,
)
from compare_embeddings import blend, load_embedder, parse_floats  # noqa: E402
from real_clients_training import never_written_sides  # noqa: E402

from tests.real_clients import dataset  # noqa: E402

#: Never read here: the judge (dataset.JUDGE, dev11 now) and the test part.
NEVER = (dataset.JUDGE, "test")
#: Real sides no shipped model trains on that judge nothing now (dev8, dev9,
#: train10, dev10 and train11 now): the sides real_clients_training.py never
#: writes, but the judge.
DESIGN = tuple(side for _, side in never_written_sides() if side not in NEVER)


def kept_indices(real: list[bool], fraction: float, seed: int) -> list[int]:
    """Every team example, and ``fraction`` of the real clients' (a seeded draw)."""
    real_at = [i for i, r in enumerate(real) if r]
    rng = np.random.default_rng(seed)
    chosen = set(rng.permutation(real_at)[: round(fraction * len(real_at))].tolist())
    return [i for i, r in enumerate(real) if not r or i in chosen]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fractions", default="0,0.25,0.5,0.75,1")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "results" / "learning_curve.json"))
    args = parser.parse_args()
    started = time.perf_counter()
    config, threshold, ambiguity = pipeline_settings()
    below, weight = float(config["embedding_below"]), float(config["embedding_weight"])
    texts, labels, real = load_training_with_origin()
    examples = [e for side in DESIGN for e in real_examples(side)]
    trained_on = {dataset.normalise(t) for t in texts}
    leaked = sum(dataset.normalise(e.text) in trained_on for e in examples)
    if leaked:
        sys.exit(f"{leaked} design questions are in data/nlu: they would be scored as seen")
    featurise = Featuriser()
    train_rows = [featurise(t, clean=False) for t in texts]
    rows = [featurise(e.text, clean=True) for e in examples]
    long_enough = np.array([len(r.text.split()) >= config["embedding_min_words"] for r in rows])
    _, embedder = load_embedder("base")
    train_vectors = embedder.embed([r.text for r in train_rows])
    vectors = embedder.embed([r.text for r in rows])
    print(
        f"{sum(real)} real of {len(real)} training examples; {len(examples)} design questions; "
        f"embedded in {time.perf_counter() - started:.0f} s",
        flush=True,
    )

    results = []
    for fraction in parse_floats(args.fractions):
        seeds = [0] if fraction in (0.0, 1.0) else list(range(args.seeds))
        for seed in seeds:
            kept = kept_indices(real, fraction, seed)
            kept_labels = [labels[i] for i in kept]
            predict, classes = train_tfidf(
                [train_rows[i] for i in kept], kept_labels, config, "plain"
            )
            slow_predict, slow_classes = train_embedding_lr(
                train_vectors[kept], kept_labels, float(config["embedding_C"])
            )
            fast = predict(rows)
            slow = align(slow_predict(vectors), slow_classes, classes)
            probs = blend(fast, slow, below, weight, long_enough)
            got = score(probs, classes, examples, threshold, ambiguity, by="label")
            declines = fallback_rule(classes, threshold, ambiguity, by="label")
            wrong_oos = sum(
                not declines(row) and classes[int(np.argmax(row))] not in e.labels
                for row, e in zip(probs, examples, strict=True)
                if "out_of_scope" in e.labels
            )
            results.append(
                {
                    "fraction": fraction,
                    "seed": seed,
                    "real_kept": sum(real[i] for i in kept),
                    "acceptable": round(got["acceptable"] * len(examples)),
                    "declined": round(got["fallback"] * len(examples)),
                    "wrong": round(got["confidently_wrong"] * len(examples)),
                    "wrong_out_of_scope": wrong_oos,
                }
            )
            print(
                f"{fraction:g} seed {seed}: {results[-1]} ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
    report(results, len(examples))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(
        json.dumps({"design": DESIGN, "questions": len(examples), "runs": results}, indent=1)
    )
    return 0


def report(results: list[dict], n: int) -> None:
    print(
        "\n| real questions kept | acceptable | declined | confidently wrong "
        "| of which out_of_scope-labelled | score (min-max) |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for fraction in dict.fromkeys(r["fraction"] for r in results):
        runs = [r for r in results if r["fraction"] == fraction]
        share = {k: np.mean([r[k] for r in runs]) / n for k in ("acceptable", "declined", "wrong")}
        scores = [r["acceptable"] - 2 * r["wrong"] for r in runs]
        print(
            f"| {np.mean([r['real_kept'] for r in runs]):.0f} ({fraction:.0%}) "
            f"| {share['acceptable']:.1%} | {share['declined']:.1%} | {share['wrong']:.1%} "
            f"| {np.mean([r['wrong_out_of_scope'] for r in runs]):.1f} "
            f"| {np.mean(scores):.1f} ({min(scores)}-{max(scores)}) |"
        )


if __name__ == "__main__":
    raise SystemExit(main())
