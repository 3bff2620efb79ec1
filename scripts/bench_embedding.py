"""What the sentence embedding costs: load time, memory, latency per message.

    .venv/bin/python scripts/bench_embedding.py [--messages 500] [--manifest M.yml --dir D]

Loads clinic_core.nlp.embedding.SentenceEmbedder (the one config.yml ships:
the fine-tuned encoder when ``embedding_finetuned``; --manifest for another) in this fresh process and
reports the wall time of importing its runtime and of loading (hash check,
graph build, onnxruntime session), the resident memory each adds (VmRSS) and
the peak (VmHWM), then embeds the same chat-length messages one at a time
(as a turn would) with one onnxruntime thread and with its default (one per
core): wall-clock latency, and CPU time of the process, which depends less
on what else the machine runs. Messages: a fixed random sample of the training and held-out
questions. If results/compare_classifiers.json exists, also prints the share
of messages that would run the embedding at each threshold and the mean
milliseconds that adds per message. Writes results/embedding_bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def memory_mb() -> dict[str, float]:
    """Resident and peak resident memory of this process (MB), from /proc."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values


def chat_messages(count: int) -> list[str]:
    """A fixed sample of the questions clients are expected to type."""
    import yaml

    texts = []
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")) + sorted(
        (ROOT / "tests").glob("nlu_heldout*/*.yml")
    ):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            examples = block.get("examples") or ""
            if isinstance(
                examples, list
            ):  # examples with metadata (data/nlu/real_clients_train.yml)
                texts += [str(e["text"]) for e in examples if isinstance(e, dict) and e.get("text")]
                continue
            texts += [line[2:].strip() for line in examples.splitlines() if line.startswith("- ")]
    random.Random(0).shuffle(texts)
    return texts[:count]


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "mean_ms": sum(ordered) / len(ordered),
        "max_ms": ordered[-1],
    }


def shipped_finetuned() -> bool:
    """config.yml ships the fine-tuned encoder (``embedding_finetuned``)."""
    import yaml

    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    return any(
        c.get("embedding_finetuned")
        for c in config["pipeline"]
        if str(c.get("name", "")).endswith("LinearIntentClassifier")
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--out", default=str(ROOT / "results" / "embedding_bench.json"))
    parser.add_argument("--manifest", default=None, help="another model's manifest (a candidate)")
    parser.add_argument("--dir", default=None, help="where that manifest's files are")
    args = parser.parse_args()

    import numpy  # noqa: F401  (in every process that would use the embedding anyway)
    import yaml  # noqa: F401

    result: dict[str, object] = {"cores": os.cpu_count(), "load_average_before": os.getloadavg()[0]}
    before = memory_mb()
    started = time.perf_counter()
    import onnx  # noqa: F401
    import onnxruntime  # noqa: F401
    import tokenizers  # noqa: F401

    from clinic_core.nlp.embedding import SentenceEmbedder, load_manifest, shipped_encoder

    directory = Path(args.dir) if args.dir else None
    if args.manifest:
        manifest = load_manifest(Path(args.manifest))
    else:
        finetuned = shipped_finetuned()
        shipped_dir, manifest = shipped_encoder(finetuned)
        if finetuned or directory is None:  # --dir alone moves the base model only
            directory = shipped_dir
    result["model"] = manifest.name
    result["import_s"] = time.perf_counter() - started
    imported = memory_mb()

    started = time.perf_counter()
    single = SentenceEmbedder.load(directory, manifest, threads=1)
    result["load_s"] = time.perf_counter() - started
    loaded = memory_mb()
    result["rss_mb"] = {
        "before": before["VmRSS"],
        "added_by_imports": imported["VmRSS"] - before["VmRSS"],
        "added_by_model": loaded["VmRSS"] - imported["VmRSS"],
        "peak_during_load": loaded["VmHWM"],
    }

    messages = chat_messages(args.messages)
    words = sorted(len(m.split()) for m in messages)
    result["messages"] = {
        "count": len(messages),
        "median_words": words[len(words) // 2],
        "max_words": words[-1],
    }
    latency = {}
    for name, embedder in (
        ("1 thread", single),
        ("default threads", SentenceEmbedder.load(directory, manifest)),
    ):
        for text in messages[:20]:  # warm-up
            embedder.embed_one(text)
        samples, cpu = [], []
        for text in messages:
            t0, c0 = time.perf_counter(), time.process_time()
            embedder.embed_one(text)
            samples.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        latency[name] = {
            **percentiles(samples),
            "cpu_p50_ms": percentiles(cpu)["p50_ms"],
            "cpu_mean_ms": percentiles(cpu)["mean_ms"],
        }
    result["latency"] = latency
    result["load_average_after"] = os.getloadavg()[0]

    print(f"model {manifest.name}")
    print(
        f"{os.cpu_count()} cores, load average {result['load_average_before']:.1f} before, "
        f"{result['load_average_after']:.1f} after"
    )
    print(
        f"import runtime {result['import_s']:.2f} s; load (hash check + graph + session) {result['load_s']:.2f} s"
    )
    rss = result["rss_mb"]
    print(
        f"RSS {rss['before']:.0f} MB before; +{rss['added_by_imports']:.0f} MB imports; "
        f"+{rss['added_by_model']:.0f} MB model; peak {rss['peak_during_load']:.0f} MB"
    )
    print(
        f"{len(messages)} messages, median {result['messages']['median_words']} words (max {result['messages']['max_words']})"
    )
    for name, stats in latency.items():
        print(
            f"  {name:<16} p50 {stats['p50_ms']:.2f} ms  p95 {stats['p95_ms']:.2f} ms  "
            f"mean {stats['mean_ms']:.2f} ms  max {stats['max_ms']:.2f} ms  "
            f"(CPU p50 {stats['cpu_p50_ms']:.2f} ms, mean {stats['cpu_mean_ms']:.2f} ms)"
        )

    compared = ROOT / "results" / "compare_classifiers.json"
    if compared.is_file():
        per_message = latency["1 thread"]["mean_ms"]
        print(
            f"messages that would run the embedding (tfidf top label below T), and mean ms added per message "
            f"at {per_message:.2f} ms each:"
        )
        shares = {}
        for name, methods in json.loads(compared.read_text())["results"].items():
            share = methods["_embedding_share"]
            shares[name] = {
                t: {"share": s, "mean_ms_added": s * per_message} for t, s in share.items()
            }
            print(
                f"  {name}: "
                + ", ".join(f"T={t} {s:.1%} (+{s * per_message:.2f} ms)" for t, s in share.items())
            )
        result["expected_cost"] = shares

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
