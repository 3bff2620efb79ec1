"""Compare sentence embeddings as the shipped classifier uses them (issue 10, item 6).

    .venv/bin/python scripts/compare_embeddings.py                        # the project's embedding alone
    .venv/bin/python scripts/compare_embeddings.py --candidate NAME=MANIFEST[:DIR] ...

The rule, fixed before any candidate was measured: each candidate's vectors
feed the classifier exactly as config.yml configures it (the fast TF-IDF LR;
where its best label is below ``embedding_below`` and the message has
``embedding_min_words`` words, the embedding's own LR, C = ``embedding_C``,
blended with weight ``embedding_weight``; fallback threshold / ambiguity of
the FallbackClassifier, confidence = the best label's probability), and is
judged on

  (a) leave-one-round-out over the real dev sides dev, dev2, dev3, dev4: each
      side's questions are taken out of data/nlu (which trains on them) and
      the classifier trained on the rest is scored on that side;
  (b) dev5 (never trained on), with the classifier trained on all of data/nlu;

score = acceptable - 2 x confidently wrong, in questions, summed over (a)
and (b); gates, on the model trained on all of data/nlu: the blind held-out
set >= 95% acceptable, the first >= 88%. The classifiers alone: no
overrides, no forms, no dialogue (the same for every candidate).

``--variants`` also scores each candidate with the blend's weight / reach
re-chosen (0.5 / 0.6 / 0.8; below 0.8 / 0.9 / always), and ``--concat A+B``
two candidates' vectors side by side. ``--real-weights 1,2,3,5`` weights
the real clients' training examples (their ``source`` metadata) in the fast
LR and the embedding's LR, both and each alone; ``--fallbacks`` and
``--ambiguities`` score every setting at other fallback thresholds (the
same rule, the same gates at each). The real TEST part is never read.
Writes results/compare_embeddings.json.
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
    load_examples,
    load_training_with_origin,
    pipeline_settings,
    real_examples,
    score,
    train_tfidf,
)

from tests.real_clients.dataset import normalise  # noqa: E402

LEAVE_OUT = ("dev", "dev2", "dev3", "dev4")
FRESH = "dev5"
GATES = {
    "blind": (ROOT / "tests" / "nlu_heldout_blind", 0.95),
    "first": (ROOT / "tests" / "nlu_heldout", 0.88),
}
WEIGHTS = (0.5, 0.6, 0.8)
REACH = (0.8, 0.9, 1.01)  # 1.01: every message long enough


def load_embedder(spec: str):
    """``NAME=MANIFEST[:DIR]`` -> (name, SentenceEmbedder); ``project`` alone: the shipped manifest."""
    from clinic_core.nlp.embedding import SentenceEmbedder, load_manifest

    if spec == "project":
        manifest = load_manifest()
        return manifest.name, SentenceEmbedder.load(manifest=manifest)
    name, _, where = spec.partition("=")
    manifest_path, _, directory = where.partition(":")
    manifest = load_manifest(Path(manifest_path))
    return name, SentenceEmbedder.load(Path(directory) if directory else None, manifest)


def folds(train_texts: list[str], train_labels: list[str]) -> dict[str, tuple[list[int], list]]:
    """Each judged set -> (indices of the training examples kept, its examples)."""
    out = {}
    for side in LEAVE_OUT:
        examples = real_examples(side)
        held = {normalise(e.text) for e in examples}
        kept = [i for i, t in enumerate(train_texts) if normalise(t) not in held]
        out[side] = (kept, examples)
    everything = list(range(len(train_texts)))
    out[FRESH] = (everything, real_examples(FRESH))
    for name, (path, _) in GATES.items():
        out[name] = (everything, load_examples(path))
    return out


def blend(
    fast: np.ndarray, slow: np.ndarray, below: float, weight: float, long_enough: np.ndarray
) -> np.ndarray:
    """The shipped classifier's second opinion (LinearIntentClassifier's rule)
    where the fast model is below ``below`` and the message long enough."""
    from rasa_ext.nlu.linear_classifier import blended

    unsure = (fast.max(axis=1) < below) & long_enough
    return blended(fast, slow[unsure], unsure, weight)


def parse_floats(text: str | None) -> list[float]:
    """``"1,2,3"`` -> [1.0, 2.0, 3.0]; None or "" -> []."""
    return [float(part) for part in text.split(",") if part.strip()] if text else []


def weight_settings(weights: list[float]) -> list[tuple[float, float]]:
    """(fast LR's, embedding LR's) weight of the real clients' examples: each
    weight in both models, then in each model alone (the other at 1)."""
    out = [(w, w) for w in weights]
    out += [(w, 1.0) for w in weights if w != 1.0]
    out += [(1.0, w) for w in weights if w != 1.0]
    return list(dict.fromkeys([(1.0, 1.0)] + out))


def sample_weights(real: list[bool], kept: list[int], weight: float) -> np.ndarray | None:
    """Each kept training example's weight, as LinearIntentClassifier weights it."""
    from rasa_ext.nlu.linear_classifier import example_weights

    return example_weights([real[i] for i in kept], weight)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--candidate", action="append", default=[], help="NAME=MANIFEST[:DIR], or 'project'"
    )
    parser.add_argument(
        "--concat", action="append", default=[], help="A+B: two candidates' vectors side by side"
    )
    parser.add_argument(
        "--variants",
        action="append",
        default=[],
        help="candidate to also score at other weights / reach",
    )
    parser.add_argument(
        "--real-weights",
        default=None,
        help="e.g. 1,2,3,5: the real clients' examples weighted so in both LRs, then in each alone",
    )
    parser.add_argument(
        "--fallbacks", default=None, help="e.g. 0.35,0.4,0.5: fallback thresholds to score at"
    )
    parser.add_argument(
        "--ambiguities", default=None, help="e.g. 0.05,0.1: ambiguity thresholds to score at"
    )
    parser.add_argument("--out", default=str(ROOT / "results" / "compare_embeddings.json"))
    parser.add_argument(
        "--cache",
        default=None,
        help="keep the fast models' probabilities here (joblib) between runs",
    )
    args = parser.parse_args()
    started = time.perf_counter()

    from sklearn.linear_model import LogisticRegression

    config, threshold, ambiguity = pipeline_settings()
    below, weight = float(config["embedding_below"]), float(config["embedding_weight"])
    real_pairs = (
        weight_settings(parse_floats(args.real_weights)) if args.real_weights else [(1.0, 1.0)]
    )
    fallbacks = [
        (t, a)
        for t in parse_floats(args.fallbacks) or [threshold]
        for a in parse_floats(args.ambiguities) or [ambiguity]
    ]
    featurise = Featuriser()
    train_texts, train_labels, train_real = load_training_with_origin()
    print(f"{sum(train_real)} of {len(train_real)} training examples are real clients'", flush=True)
    train_rows = [featurise(t, clean=False) for t in train_texts]
    sets = folds(train_texts, train_labels)
    rows = {
        name: [featurise(e.text, clean=True) for e in examples]
        for name, (_, examples) in sets.items()
    }
    long_enough = {
        name: np.array([len(r.text.split()) >= config["embedding_min_words"] for r in rs])
        for name, rs in rows.items()
    }

    # the fast model: one per distinct training set and real-example weight,
    # shared by every candidate
    import joblib

    fast: dict[tuple[str, float], np.ndarray] = {}
    labels_of: dict[str, list[str]] = {}
    trained: dict[tuple, tuple] = {}
    cache = Path(args.cache) if args.cache else None
    if cache and cache.is_file():
        fast, labels_of = joblib.load(cache)
    for fast_weight in sorted({f for f, _ in real_pairs}):
        for name, (kept, _) in sets.items():
            if (name, fast_weight) in fast:
                continue
            key = (tuple(kept), fast_weight)
            if key not in trained:
                trained[key] = train_tfidf(
                    [train_rows[i] for i in kept],
                    [train_labels[i] for i in kept],
                    config,
                    "plain",
                    sample_weights(train_real, kept, fast_weight),
                )
            predict, classes = trained[key]
            fast[(name, fast_weight)], labels_of[name] = predict(rows[name]), classes
        trained.clear()
        print(
            f"fast models, real x{fast_weight:g}, trained ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    if cache:
        joblib.dump((fast, labels_of), cache)

    vectors: dict[str, dict[str, np.ndarray]] = {}  # candidate -> text -> vector
    texts = sorted({r.text for r in train_rows} | {r.text for rs in rows.values() for r in rs})
    for spec in args.candidate or ["project"]:
        name, embedder = load_embedder(spec)
        t0 = time.perf_counter()
        matrix = embedder.embed(texts)
        vectors[name] = dict(zip(texts, matrix, strict=True))
        print(
            f"{name}: {len(texts)} texts embedded in {time.perf_counter() - t0:.0f} s", flush=True
        )
        del embedder
    for pair in args.concat:
        a, b = pair.split("+")
        vectors[pair] = {t: np.concatenate([vectors[a][t], vectors[b][t]]) for t in texts}

    settings = [("none", None, None, (f, 1.0)) for f in sorted({f for f, _ in real_pairs})]
    settings += [(name, below, weight, pair) for name in vectors for pair in real_pairs]
    for name in args.variants:
        settings += [
            (name, r, w, (1.0, 1.0)) for r in REACH for w in WEIGHTS if (r, w) != (below, weight)
        ]

    results: dict[str, dict] = {}
    slow_cache: dict[tuple, np.ndarray] = {}
    judged = list(LEAVE_OUT) + [FRESH]
    for candidate, reach, w, (fast_weight, slow_weight) in settings:
        label = "no embedding" if candidate == "none" else f"{candidate} w{w} below{reach}"
        if args.real_weights:
            label += f" real x{fast_weight:g}" + (
                "" if candidate == "none" else f"/x{slow_weight:g}"
            )
        blended: dict[str, np.ndarray] = {}
        for set_name, (kept, _) in sets.items():
            probs = fast[(set_name, fast_weight)]
            if candidate != "none":
                key = (candidate, set_name, slow_weight)
                if key not in slow_cache:
                    x = np.vstack([vectors[candidate][train_rows[i].text] for i in kept])
                    y = [train_labels[i] for i in kept]
                    model = LogisticRegression(
                        C=config["embedding_C"], max_iter=config["max_iter"]
                    ).fit(x, y, sample_weight=sample_weights(train_real, kept, slow_weight))
                    ex = np.vstack([vectors[candidate][r.text] for r in rows[set_name]])
                    slow_cache[key] = align(
                        model.predict_proba(ex), list(model.classes_), labels_of[set_name]
                    )
                probs = blend(probs, slow_cache[key], reach, w, long_enough[set_name])
            blended[set_name] = probs
        for t, a in fallbacks:
            per_set = {}
            for set_name, (_, examples) in sets.items():
                s = score(blended[set_name], labels_of[set_name], examples, t, a, "label")
                n = len(examples)
                per_set[set_name] = {
                    "n": n,
                    "acceptable": round(s["acceptable"] * n),
                    "declined": round(s["fallback"] * n),
                    "wrong": round(s["confidently_wrong"] * n),
                }
            total = sum(per_set[k]["acceptable"] - 2 * per_set[k]["wrong"] for k in judged)
            gates = all(
                per_set[k]["acceptable"] / per_set[k]["n"] >= floor
                for k, (_, floor) in GATES.items()
            )
            name = label if len(fallbacks) == 1 else f"{label} t{t:g} a{a:g}"
            results[name] = {"sets": per_set, "score": total, "gates": gates}
            cells = " | ".join(
                f"{per_set[k]['acceptable']}/{per_set[k]['declined']}/{per_set[k]['wrong']}"
                for k in judged + list(GATES)
            )
            print(
                f"{name:<52} score {total:>4} gates {'ok' if gates else 'FAIL'} | {cells}",
                flush=True,
            )

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"columns": judged + list(GATES), "results": results}, indent=2))
    print(f"{time.perf_counter() - started:.0f} s; written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
