"""Held-out evaluation: is each question answered with the right topic?

Parses every example of tests/nlu_heldout/ with the trained model, through
the whole NLU pipeline (including the red-flag override and the fallback
classifier, as clients experience it), and counts an FAQ example right only
when both the intent and the FAQ topic are right. Writes results/heldout.json.

    python scripts/eval_nlu.py [--model models/clinic.tar.gz] [--min 0.95]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the custom NLU components live in the repository


def load_examples(folder: Path) -> list[tuple[str, str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(folder))
    return [
        (m.get("text"), m.get("intent_response_key") or m.get("intent"))
        for m in data.intent_examples
    ]


def predicted_label(parse: dict) -> str:
    intent = (parse.get("intent") or {}).get("name") or ""
    if intent == "faq":
        selector = (parse.get("response_selector") or {}).get("faq") or {}
        key = (selector.get("response") or {}).get("intent_response_key")
        return key or "faq"
    return intent


async def evaluate(model: Path, folder: Path) -> dict:
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # Rasa's parse logs carry the text

    agent = Agent.load(str(model))
    examples = load_examples(folder)
    per_label: dict[str, Counter] = defaultdict(Counter)
    errors = []
    for text, gold in examples:
        parse = await agent.parse_message(text)
        guess = predicted_label(parse)
        ok = guess == gold
        per_label[gold]["right" if ok else "wrong"] += 1
        if not ok:
            errors.append(
                {
                    "text": text,
                    "expected": gold,
                    "predicted": guess,
                    "confidence": round((parse.get("intent") or {}).get("confidence") or 0, 3),
                }
            )
    total = len(examples)
    right = sum(c["right"] for c in per_label.values())
    faq = [(t, g) for t, g in examples if g.startswith("faq/")]
    faq_right = sum(per_label[g]["right"] for g in {g for _, g in faq})
    return {
        "examples": total,
        "accuracy": right / total,
        "faq_examples": len(faq),
        "faq_topic_accuracy": faq_right / len(faq) if faq else None,
        "other_intent_accuracy": (right - faq_right) / (total - len(faq))
        if total > len(faq)
        else None,
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default=str(ROOT / "models" / "clinic.tar.gz"))
    parser.add_argument("--data", default=str(ROOT / "tests" / "nlu_heldout"))
    parser.add_argument("--out", default=str(ROOT / "results" / "heldout.json"))
    parser.add_argument("--min", type=float, default=None, help="fail below this accuracy")
    args = parser.parse_args()
    result = asyncio.run(evaluate(Path(args.model), Path(args.data)))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(f"held-out examples: {result['examples']}")
    print(f"right topic/intent: {result['accuracy']:.1%}")
    print(f"FAQ topic accuracy: {result['faq_topic_accuracy']:.1%} of {result['faq_examples']}")
    print(f"other intents:      {result['other_intent_accuracy']:.1%}")
    for e in result["errors"]:
        print(f"  x {e['expected']:<32} -> {e['predicted']:<32} {e['text'][:70]}")
    if args.min is not None and result["accuracy"] < args.min:
        sys.exit(f"accuracy {result['accuracy']:.1%} is below {args.min:.0%}")


if __name__ == "__main__":
    main()
