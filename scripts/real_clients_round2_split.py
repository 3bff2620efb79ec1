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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Round:
    """What differs between the later rounds' one-time splits (round three's
    script, scripts/real_clients_round3_split.py, passes its own)."""

    number: int
    seed: int
    split_date: str
    dev_share: float
    counts_start: str
    counts_end: str
    script: str
    title: str
    about: tuple[str, ...]  # header lines between the title and the split line

    @property
    def path(self) -> Path:
        return dataset.ROUNDS[self.number][0]

    @property
    def sides(self) -> tuple[str, str]:
        """(train side, dev side), e.g. ("train2", "dev2")."""
        return dataset.ROUNDS[self.number][1]

    @property
    def word(self) -> str:
        """The round's number as a word ("two"), as the headers write it."""
        return {2: "two", 3: "three", 4: "four", 5: "five"}[self.number]


ROUND_TWO = Round(
    number=2,
    seed=SEED,
    split_date=SPLIT_DATE,
    dev_share=DEV_SHARE,
    counts_start=COUNTS_START,
    counts_end=COUNTS_END,
    script="scripts/real_clients_round2_split.py",
    title="ROUND TWO, TRAIN2 AND DEV2",
    about=(
        "# Fresh questions for the next round of improvement: round one's dev side has",
        "# been trained on. `split: train2` may be trained on; `split: dev2` is NEVER",
        "# trained on: features, thresholds and wording are chosen on it. Round one's",
        "# test part (questions_test.yml) stays the headline judge and is not touched.",
        "#",
        "# Questions real people asked, copied as written (typos and casing kept) from",
        "# public pages that round one did not use (`source`, `also_at`); none is an",
        "# exact or near-exact duplicate of a round-one question (dataset.near_duplicate).",
        '# How they were collected: README.md here, section "Round two".',
    ),
)


@functools.lru_cache(maxsize=1)
def split_module() -> ModuleType:
    """scripts/real_clients_split.py (its `assign`, `groups` and rendering)."""
    spec = importlib.util.spec_from_file_location(
        "real_clients_split", ROOT / "scripts" / "real_clients_split.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def derive(questions: list[Question], rnd: Round = ROUND_TWO) -> dict[str, str]:
    """The side (e.g. `dev2` or `train2`) of every question, by normalised text."""
    train, dev = rnd.sides
    return split_module().assign(questions, seed=rnd.seed, share=rnd.dev_share, parts=(dev, train))


def with_sides(questions: list[Question], rnd: Round = ROUND_TWO) -> list[Question]:
    """The questions with the derived `split`, ordered by side, first label, text."""
    where = derive(questions, rnd)
    sided = [{**q, "split": where[dataset.normalise(q["text"])]} for q in questions]
    order = {name: i for i, name in enumerate(rnd.sides)}
    return sorted(
        sided, key=lambda q: (order[q["split"]], q["labels"][0], dataset.normalise(q["text"]))
    )


def render_question(question: Question) -> str:
    """One entry as round one writes it, with its side first after the text."""
    lines = split_module().render_question(question).split("\n")
    return "\n".join(lines[:1] + [f"  split: {question['split']}"] + lines[1:])


def header(
    questions: list[Question], vocabulary: dict[str, Any], rnd: Round = ROUND_TWO
) -> list[str]:
    sides = Counter(q["split"] for q in questions)
    kinds = Counter(q["kind"] for q in questions)
    train, dev = rnd.sides
    lines = [
        f"# REAL CLIENT QUESTIONS: {rnd.title} (issue 10)",
        "#",
        *rnd.about,
        f"# Split once by {rnd.script}: seed {rnd.seed}, fixed on {rnd.split_date}",
        "# before the split was drawn; stratified by first label, near paraphrases kept",
        f"# together; {dev} share {rnd.dev_share}. `--check` re-derives every `split`.",
        f"# {len(questions)} questions: "
        + ", ".join(f"{name} {sides[name]}" for name in rnd.sides)
        + "; by kind: "
        + ", ".join(f"{kind} {kinds[kind]}" for kind in sorted(kinds))
        + ".",
        "# Per-label counts: README.md.",
        "#",
    ]
    return lines + topic_lines(vocabulary, rnd)


def topic_lines(vocabulary: dict[str, Any], rnd: Round) -> list[str]:
    """The header's note on labels, with the topics this round added."""
    key = f"round{rnd.number}"
    added = vocabulary.get(f"{key}_added") or []
    waiting = vocabulary.get(f"new_topics_{key}") or {}
    definitions = {**vocabulary["new_topics"], **waiting}
    lines = [
        "# labels: every acceptable answer, in vocabulary.yml's names (contract topics and",
        "# intents, round one's new topics, ask_massage_type:<type>,",
        f"# compare_massage_types:<a>,<b>), and these topics round {rnd.word} added:",
    ]
    if rnd.number != 2 and not added:
        return lines[:2] + ["# compare_massage_types:<a>,<b>). This round added no topic."]
    return lines + [
        f"#   {name}: {definitions[name]}"
        + (" (not answered yet)" if name in waiting else " (answered since round three)")
        for name in added
    ]


def render(questions: list[Question], vocabulary: dict[str, Any], rnd: Round = ROUND_TWO) -> str:
    body = [f"round: {rnd.number}", f"seed: {rnd.seed}", f'split_date: "{rnd.split_date}"']
    body += ["questions:"] + [render_question(q) for q in questions]
    return "\n".join(header(questions, vocabulary, rnd) + [""] + body) + "\n"


def counts_table(questions: list[Question], rnd: Round = ROUND_TWO) -> str:
    """Markdown: each label's questions per side (first label / any position), and kinds."""
    train, dev = rnd.sides
    sides = {name: [q for q in questions if q["split"] == name] for name in rnd.sides}
    first = {name: dataset.label_counts(qs, first_only=True) for name, qs in sides.items()}
    anywhere = {name: dataset.label_counts(qs) for name, qs in sides.items()}
    labels = sorted(set().union(*anywhere.values()))
    rows = [f"| label | {train} (first / any) | {dev} (first / any) |", "| --- | ---: | ---: |"]
    for label in labels:
        cells = [
            f"{first[name].get(label, 0)} / {anywhere[name].get(label, 0)}" for name in rnd.sides
        ]
        rows.append(f"| `{label}` | {cells[0]} | {cells[1]} |")
    kinds = {name: Counter(q["kind"] for q in qs) for name, qs in sides.items()}
    rows += ["", f"| kind | {train} | {dev} |", "| --- | ---: | ---: |"]
    rows += [
        f"| {kind} | {kinds[train][kind]} | {kinds[dev][kind]} |"
        for kind in sorted(set(kinds[train]) | set(kinds[dev]))
    ]
    rows.append(f"| **total** | {len(sides[train])} | {len(sides[dev])} |")
    return "\n".join(rows)


def readme_with_counts(readme: str, table: str, rnd: Round = ROUND_TWO) -> str:
    before, rest = readme.split(rnd.counts_start, 1)
    _, after = rest.split(rnd.counts_end, 1)
    return f"{before}{rnd.counts_start}\n{table}\n{rnd.counts_end}{after}"


def main(rnd: Round = ROUND_TWO, doc: str = __doc__) -> int:
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
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
    questions = dataset.load_split_part(rnd.number)  # never a round's train-only additions
    found = split_module().problems(questions, vocabulary)
    found += [
        f"{q['text']!r}: side {q['split']!r} is not this round's"
        for q in questions
        if q.get("split", rnd.sides[0]) not in rnd.sides
    ]
    if found:
        print("\n".join(found), file=sys.stderr)
        return 1
    sided = with_sides(questions, rnd)
    text = render(sided, vocabulary, rnd)
    readme = readme_with_counts(README.read_text(encoding="utf-8"), counts_table(sided, rnd), rnd)
    if args.write:
        rnd.path.write_text(text, encoding="utf-8")
        README.write_text(readme, encoding="utf-8")
    else:
        stale = [] if rnd.path.read_text(encoding="utf-8") == text else [str(rnd.path)]
        if README.read_text(encoding="utf-8") != readme:
            stale.append(str(README))
        if stale:
            print("not what the fixed seed gives: " + ", ".join(stale), file=sys.stderr)
            return 1
    sides = Counter(q["split"] for q in sided)
    print(f"{len(sided)} questions: " + ", ".join(f"{n} {sides[n]}" for n in rnd.sides))
    print(
        "first labels kept on one side (all their questions are one group):",
        ", ".join(split_module().unsplittable_labels(sided)) or "none",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
