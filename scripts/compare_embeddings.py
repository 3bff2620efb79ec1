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

  (a) leave-one-round-out over the real dev sides the shipped model trains
      on (LEAVE_OUT: dev to dev4, dev5 and dev6 since 2026-12-02, dev7 since
      2026-12-03): each
      side's questions are taken out of data/nlu (which trains on them) and
      the classifier trained on the rest is scored on that side;
  (b) FRESH (dev8, never trained on; dev5 until 2026-12-02, dev7 until
      2026-12-03), with the
      classifier trained on all of data/nlu;

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

Fine-tuned encoders (README, "Round nine: a fine-tuned encoder"): an
encoder fine-tuned on data that holds a fold's judged side would leak it, so
there is one encoder per fold, each trained on exactly that fold's kept
examples. ``--export-folds DIR`` writes them (DIR/dev.jsonl .. dev6.jsonl and
DIR/all.jsonl for FRESH, the gates and any ``--also`` set) for
scripts/finetune_encoder.py; ``--per-fold NAME=MANIFEST:DIR`` then scores
one candidate whose manifest and directory paths hold ``{fold}``, each set
embedded by its fold's encoder. ``--head NAME`` also scores that candidate's
own classifier head (DIR/head.safetensors) in the LR's place, ``--alone
NAME`` its LR (or ``head:NAME``) alone on every message. ``--also dev6``
scores a later side with the all-data models, outside the score and gates.

Since the fine-tuned encoder ships (config.yml ``embedding_finetuned``),
``project`` is that encoder, fine-tuned on ALL of data/nlu: its
leave-one-round-out folds (a) have seen their judged side and its score
leaks. Score it fairly with ``--per-fold`` as above; ``--candidate base``
is the frozen base model (the shipped setting before round nine).
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

#: The dev sides the shipped model trains on (real_clients_training.py
#: --dev-rounds 7 since 2026-12-03): each is judged by a fold without it.
LEAVE_OUT = ("dev", "dev2", "dev3", "dev4", "dev5", "dev6", "dev7")
#: A dev side never trained on, judged by the model trained on everything.
FRESH = "dev8"
GATES = {
    "blind": (ROOT / "tests" / "nlu_heldout_blind", 0.95),
    "first": (ROOT / "tests" / "nlu_heldout", 0.88),
}
WEIGHTS = (0.5, 0.6, 0.8)
REACH = (0.8, 0.9, 1.01)  # 1.01: every message long enough


def load_embedder(spec: str):
    """``NAME=MANIFEST[:DIR]`` -> (name, SentenceEmbedder); ``project`` alone:
    the one config.yml ships (the fine-tuned encoder when
    ``embedding_finetuned``); ``base``: the pinned base model."""
    from clinic_core.nlp.embedding import SentenceEmbedder, load_manifest, shipped_encoder

    if spec in ("project", "base"):
        finetuned = spec == "project" and bool(pipeline_settings()[0].get("embedding_finetuned"))
        directory, manifest = shipped_encoder(finetuned)
        return manifest.name, SentenceEmbedder.load(directory, manifest)
    name, _, where = spec.partition("=")
    manifest_path, _, directory = where.partition(":")
    manifest = load_manifest(Path(manifest_path))
    return name, SentenceEmbedder.load(Path(directory) if directory else None, manifest)


#: The fold whose training examples (and fine-tuned encoder) judge each set.
def fold_of(set_name: str) -> str:
    return set_name if set_name in LEAVE_OUT else "all"


def folds(
    train_texts: list[str], train_labels: list[str], also: tuple[str, ...] = ()
) -> dict[str, tuple[list[int], list]]:
    """Each judged set -> (indices of the training examples kept, its examples).

    ``also``: later real sides judged by the model trained on everything."""
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
    for side in also:
        out[side] = (everything, real_examples(side))
    return out


def export_folds(
    directory: Path, texts: list[str], labels: list[str], real: list[bool], sets: dict
) -> dict[str, int]:
    """One JSONL of {text, label, real} per fold's kept training examples."""
    directory.mkdir(parents=True, exist_ok=True)
    written = {}
    for set_name, (kept, _) in sets.items():
        fold = fold_of(set_name)
        if fold in written:
            continue
        lines = [json.dumps({"text": texts[i], "label": labels[i], "real": real[i]}) for i in kept]
        (directory / f"{fold}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        written[fold] = len(lines)
    return written


def head_probabilities(directory: Path, vectors: np.ndarray, labels: list[str]) -> np.ndarray:
    """A fine-tuned encoder's own head (scripts/finetune_encoder.py): softmax
    of scale x cosine(vector, each label's weight), columns as ``labels``."""
    from safetensors.numpy import load_file

    head = load_file(str(directory / "head.safetensors"))
    classes = json.loads((directory / "head_labels.json").read_text())
    logits = float(head["scale"][0]) * vectors @ head["weight"].T
    logits -= logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    return align(probs / probs.sum(axis=1, keepdims=True), classes, labels)


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
        "--candidate",
        action="append",
        default=[],
        help="NAME=MANIFEST[:DIR], or 'project' (as config.yml ships), or 'base'",
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
    parser.add_argument(
        "--per-fold",
        action="append",
        default=[],
        help="NAME=MANIFEST:DIR with {fold} in both: one fine-tuned encoder per fold",
    )
    parser.add_argument(
        "--head", action="append", default=[], help="per-fold candidate: also score its own head"
    )
    parser.add_argument(
        "--alone",
        action="append",
        default=[],
        help="candidate (or head:NAME) also scored alone: weight 1 on every message",
    )
    parser.add_argument(
        "--export-folds", default=None, help="write each fold's training examples here and stop"
    )
    parser.add_argument(
        "--also", action="append", default=[], help="a later real side scored outside the rule"
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
    train_texts, train_labels, train_real = load_training_with_origin()
    print(f"{sum(train_real)} of {len(train_real)} training examples are real clients'", flush=True)
    sets = folds(train_texts, train_labels, tuple(args.also))
    if args.export_folds:
        written = export_folds(Path(args.export_folds), train_texts, train_labels, train_real, sets)
        print(f"written to {args.export_folds}: {written}")
        return 0
    featurise = Featuriser()
    train_rows = [featurise(t, clean=False) for t in train_texts]
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

    # candidate -> judged set -> text -> vector (one dict shared by every
    # set, or per-fold candidates' one per fold)
    vectors: dict[str, dict[str, dict[str, np.ndarray]]] = {}
    head_dirs: dict[str, dict[str, Path]] = {}
    texts = sorted({r.text for r in train_rows} | {r.text for rs in rows.values() for r in rs})
    for spec in args.candidate or ([] if args.per_fold else ["project"]):
        name, embedder = load_embedder(spec)
        t0 = time.perf_counter()
        matrix = embedder.embed(texts)
        shared = dict(zip(texts, matrix, strict=True))
        vectors[name] = {set_name: shared for set_name in sets}
        print(
            f"{name}: {len(texts)} texts embedded in {time.perf_counter() - t0:.0f} s", flush=True
        )
        del embedder
    for spec in args.per_fold:
        name, _, where = spec.partition("=")
        vectors[name], head_dirs[name] = {}, {}
        for fold in dict.fromkeys(fold_of(s) for s in sets):
            judged = [s for s in sets if fold_of(s) == fold]
            fold_texts = sorted(
                {train_rows[i].text for i in sets[judged[0]][0]}
                | {r.text for s in judged for r in rows[s]}
            )
            _, embedder = load_embedder(f"{name}={where.replace('{fold}', fold)}")
            t0 = time.perf_counter()
            shared = dict(zip(fold_texts, embedder.embed(fold_texts), strict=True))
            del embedder
            directory = Path(where.partition(":")[2].replace("{fold}", fold))
            for s in judged:
                vectors[name][s], head_dirs[name][s] = shared, directory
            print(
                f"{name} [{fold}]: {len(fold_texts)} texts embedded in "
                f"{time.perf_counter() - t0:.0f} s",
                flush=True,
            )
    for pair in args.concat:
        a, b = pair.split("+")
        vectors[pair] = {
            s: {t: np.concatenate([vectors[a][s][t], vectors[b][s][t]]) for t in texts}
            for s in sets
        }

    settings = [("none", None, None, (f, 1.0)) for f in sorted({f for f, _ in real_pairs})]
    settings += [(name, below, weight, pair) for name in vectors for pair in real_pairs]
    settings += [(f"head:{name}", below, weight, (1.0, 1.0)) for name in args.head]
    settings += [(name, REACH[-1], 1.0, (1.0, 1.0)) for name in args.alone]
    for name in args.variants:
        settings += [
            (name, r, w, (1.0, 1.0)) for r in REACH for w in WEIGHTS if (r, w) != (below, weight)
        ]

    results: dict[str, dict] = {}
    slow_cache: dict[tuple, np.ndarray] = {}
    judged = list(LEAVE_OUT) + [FRESH]
    columns = judged + list(GATES) + list(args.also)
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
                if key not in slow_cache and candidate.startswith("head:"):
                    owner = candidate.split(":", 1)[1]
                    ex = np.vstack([vectors[owner][set_name][r.text] for r in rows[set_name]])
                    slow_cache[key] = head_probabilities(
                        head_dirs[owner][set_name], ex, labels_of[set_name]
                    )
                elif key not in slow_cache:
                    x = np.vstack([vectors[candidate][set_name][train_rows[i].text] for i in kept])
                    y = [train_labels[i] for i in kept]
                    model = LogisticRegression(
                        C=config["embedding_C"], max_iter=config["max_iter"]
                    ).fit(x, y, sample_weight=sample_weights(train_real, kept, slow_weight))
                    ex = np.vstack([vectors[candidate][set_name][r.text] for r in rows[set_name]])
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
                for k in columns
            )
            print(
                f"{name:<52} score {total:>4} gates {'ok' if gates else 'FAIL'} | {cells}",
                flush=True,
            )

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"columns": columns, "results": results}, indent=2))
    print(f"{time.perf_counter() - started:.0f} s; written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
