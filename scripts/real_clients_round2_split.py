"""Split round two of the real client questions ONCE into `train2` and `dev2`.

Round one's dev side has been trained on (the final model trains on train +
dev), so choosing features and thresholds needs fresh, unseen questions.
Round two (tests/real_clients/questions_round2.yml) was collected from pages
round one never used; this script gives every entry its side:

- `train2` (~60%): may be added to the training data;
- `dev2` (~40%): never trained on; the next round of choices is made here.

Round one's test part is not touched, re-split or read here.

Same rules as the earlier splits (scripts/real_clients_split.py `assign`):
stratified by first label, near paraphrases kept together, a fixed seed
chosen on 2026-12-01 before the split was drawn and never changed. The side
is stored in each entry's `split` field; `--check` re-derives it from the
questions and fails if any entry, the file's header or the README's round-two
counts differ, so a question cannot be moved from dev2 to train2 by hand.

    python scripts/real_clients_round2_split.py --write   # once: add `split`, sort, README counts
    python scripts/real_clients_round2_split.py --check   # the file is what the seed gives
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.real_clients import dataset  # noqa: E402  (after the path is set)

SEED = 2026120102  # fixed on 2026-12-01, before round two was collected; never redraw
SPLIT_DATE = "2026-12-01"
DEV_SHARE = 0.4
README = dataset.HERE / "README.md"
COUNTS_START, COUNTS_END = "<!-- round2-counts:start -->", "<!-- round2-counts:end -->"
Question = dataset.Question


@functools.lru_cache(maxsize=1)
def split_module() -> ModuleType:
    """scripts/real_clients_split.py (its `assign`, `groups` and rendering)."""
    spec = importlib.util.spec_from_file_location(
        "real_clients_split", ROOT / "scripts" / "real_clients_split.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def derive(questions: list[Question]) -> dict[str, str]:
    """The side (`dev2` or `train2`) of every question, by normalised text."""
    return split_module().assign(questions, seed=SEED, share=DEV_SHARE, parts=("dev2", "train2"))


def with_sides(questions: list[Question]) -> list[Question]:
    """The questions with the derived `split`, ordered by side, first label, text."""
    where = derive(questions)
    sided = [{**q, "split": where[dataset.normalise(q["text"])]} for q in questions]
    order = {name: i for i, name in enumerate(dataset.ROUND2_SPLITS)}
    return sorted(
        sided, key=lambda q: (order[q["split"]], q["labels"][0], dataset.normalise(q["text"]))
    )


def render_question(question: Question) -> str:
    """One entry as round one writes it, with its side first after the text."""
    lines = split_module().render_question(question).split("\n")
    return "\n".join(lines[:1] + [f"  split: {question['split']}"] + lines[1:])


def header(questions: list[Question], vocabulary: dict[str, Any]) -> list[str]:
    sides = Counter(q["split"] for q in questions)
    kinds = Counter(q["kind"] for q in questions)
    lines = [
        "# REAL CLIENT QUESTIONS: ROUND TWO, TRAIN2 AND DEV2 (issue 10)",
        "#",
        "# Fresh questions for the next round of improvement: round one's dev side has",
        "# been trained on. `split: train2` may be trained on; `split: dev2` is NEVER",
        "# trained on: features, thresholds and wording are chosen on it. Round one's",
        "# test part (questions_test.yml) stays the headline judge and is not touched.",
        "#",
        "# Questions real people asked, copied as written (typos and casing kept) from",
        "# public pages that round one did not use (`source`, `also_at`); none is an",
        "# exact or near-exact duplicate of a round-one question (dataset.near_duplicate).",
        "# How they were collected: README.md here, section \"Round two\".",
        f"# Split once by scripts/real_clients_round2_split.py: seed {SEED}, fixed on {SPLIT_DATE}",
        "# before the split was drawn; stratified by first label, near paraphrases kept",
        f"# together; dev2 share {DEV_SHARE}. `--check` re-derives every `split`.",
        f"# {len(questions)} questions: "
        + ", ".join(f"{name} {sides[name]}" for name in dataset.ROUND2_SPLITS)
        + "; by kind: "
        + ", ".join(f"{kind} {kinds[kind]}" for kind in sorted(kinds))
        + ".",
        "# Per-label counts: README.md.",
        "#",
        "# labels: every acceptable answer, in vocabulary.yml's names (contract topics and",
        "# intents, round one's new topics, ask_massage_type:<type>,",
        "# compare_massage_types:<a>,<b>), and these topics round two added:",
    ]
    waiting = vocabulary.get("new_topics_round2") or {}
    definitions = {**vocabulary["new_topics"], **waiting}
    lines += [
        f"#   {name}: {definitions[name]}"
        + (" (not answered yet)" if name in waiting else " (answered since round three)")
        for name in vocabulary.get("round2_added") or []
    ]
    return lines


def render(questions: list[Question], vocabulary: dict[str, Any]) -> str:
    body = ["round: 2", f"seed: {SEED}", f'split_date: "{SPLIT_DATE}"', "questions:"]
    body += [render_question(q) for q in questions]
    return "\n".join(header(questions, vocabulary) + [""] + body) + "\n"


def counts_table(questions: list[Question]) -> str:
    """Markdown: each label's questions per side (first label / any position), and kinds."""
    sides = {name: [q for q in questions if q["split"] == name] for name in dataset.ROUND2_SPLITS}
    first = {name: dataset.label_counts(qs, first_only=True) for name, qs in sides.items()}
    anywhere = {name: dataset.label_counts(qs) for name, qs in sides.items()}
    labels = sorted(set().union(*anywhere.values()))
    rows = ["| label | train2 (first / any) | dev2 (first / any) |", "| --- | ---: | ---: |"]
    for label in labels:
        cells = [
            f"{first[name].get(label, 0)} / {anywhere[name].get(label, 0)}"
            for name in dataset.ROUND2_SPLITS
        ]
        rows.append(f"| `{label}` | {cells[0]} | {cells[1]} |")
    kinds = {name: Counter(q["kind"] for q in qs) for name, qs in sides.items()}
    rows += ["", "| kind | train2 | dev2 |", "| --- | ---: | ---: |"]
    rows += [
        f"| {kind} | {kinds['train2'][kind]} | {kinds['dev2'][kind]} |"
        for kind in sorted(set(kinds["train2"]) | set(kinds["dev2"]))
    ]
    rows.append(f"| **total** | {len(sides['train2'])} | {len(sides['dev2'])} |")
    return "\n".join(rows)


def readme_with_counts(readme: str, table: str) -> str:
    before, rest = readme.split(COUNTS_START, 1)
    _, after = rest.split(COUNTS_END, 1)
    return f"{before}{COUNTS_START}\n{table}\n{COUNTS_END}{after}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument(
        "--write", action="store_true", help="add each entry's split, sort, write README counts"
    )
    action.add_argument(
        "--check", action="store_true", help="fail if the file or README differ from the split"
    )
    args = parser.parse_args()

    vocabulary = dataset.load_vocabulary()
    questions = dataset.load_round2()
    found = split_module().problems(questions, vocabulary)
    if found:
        print("\n".join(found), file=sys.stderr)
        return 1
    sided = with_sides(questions)
    text = render(sided, vocabulary)
    readme = readme_with_counts(README.read_text(encoding="utf-8"), counts_table(sided))
    if args.write:
        dataset.ROUND2.write_text(text, encoding="utf-8")
        README.write_text(readme, encoding="utf-8")
    else:
        stale = [] if dataset.ROUND2.read_text(encoding="utf-8") == text else [str(dataset.ROUND2)]
        if README.read_text(encoding="utf-8") != readme:
            stale.append(str(README))
        if stale:
            print("not what the fixed seed gives: " + ", ".join(stale), file=sys.stderr)
            return 1
    sides = Counter(q["split"] for q in sided)
    print(f"{len(sided)} questions: train2 {sides['train2']}, dev2 {sides['dev2']}")
    print(
        "first labels kept on one side (all their questions are one group):",
        ", ".join(split_module().unsplittable_labels(sided)) or "none",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
