"""Round four's TRAIN-ONLY additions (tests/real_clients/questions_round4_extra.yml).

Round four stopped at 240 questions (train4 104, dev4 136) and main was then
measured on dev4, so dev4 is frozen: re-drawing the seed's split with more
questions would move dev4 questions. More real text is still wanted for
training, so later questions go to this second file, every entry `split:
train4`, and the seed's split (scripts/real_clients_round4_split.py) never
sees them: its `--check` still passes on the round-four file unchanged.
`dataset.load_round(4, "train4")` adds them to train4 (so `make eval`'s
real_train4 and compare_classifiers' real:train4 include them).

This script keeps the file's form (header, order: first label, then text) and
the README's count table for it; `--check` fails if either differs.

    python scripts/real_clients_round4_extra.py --write   # sort, header, README counts
    python scripts/real_clients_round4_extra.py --check   # the file and README are in step
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.real_clients import dataset  # noqa: E402  (after the path is set)

_spec = importlib.util.spec_from_file_location(
    "real_clients_round2_split", ROOT / "scripts" / "real_clients_round2_split.py"
)
rounds = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = rounds  # its dataclass looks itself up there
_spec.loader.exec_module(rounds)  # type: ignore[union-attr]

PATH = dataset.ROUND4_EXTRA
SIDE = dataset.ROUND4_SPLITS[0]  # train4
README = dataset.HERE / "README.md"
COUNTS_START, COUNTS_END = "<!-- round4-extra-counts:start -->", "<!-- round4-extra-counts:end -->"
Question = dataset.Question

HEADER = (
    "# REAL CLIENT QUESTIONS: ROUND FOUR, TRAIN-ONLY ADDITIONS (issue 10)",
    "#",
    "# More real questions for TRAINING, collected after main had been measured on",
    "# dev4. dev4 is frozen, so these are never split: every entry is `split: train4`",
    "# and scripts/real_clients_round4_split.py (the seed's split of",
    "# questions_round4.yml) does not read this file. dataset.load_round(4, 'train4')",
    "# adds them to train4.",
    "#",
    "# Questions real people asked, copied as written (typos and casing kept) from",
    "# public pages that no earlier round and not questions_round4.yml used; none is",
    "# an exact or near-exact duplicate of any earlier question, and none is a near",
    "# paraphrase (the split's grouping) of a dev4 question.",
    '# How they were collected: README.md here, section "Round four", "Train-only additions".',
    "# Kept in form by scripts/real_clients_round4_extra.py (--check).",
)


def ordered(questions: list[Question]) -> list[Question]:
    """Every entry on the train side, ordered by first label, then text."""
    sided = [{**q, "split": SIDE} for q in questions]
    return sorted(sided, key=lambda q: (q["labels"][0], dataset.normalise(q["text"])))


def render(questions: list[Question]) -> str:
    kinds = Counter(q["kind"] for q in questions)
    lines = list(HEADER) + [
        f"# {len(questions)} questions, all {SIDE}; by kind: "
        + ", ".join(f"{kind} {kinds[kind]}" for kind in sorted(kinds))
        + ".",
        "",
        "round: 4",
        f"split: {SIDE}",
        "questions:",
    ]
    return "\n".join(lines + [rounds.render_question(q) for q in questions]) + "\n"


def counts_table(questions: list[Question]) -> str:
    """Markdown: each label's questions (first label / any position), and kinds."""
    first = dataset.label_counts(questions, first_only=True)
    anywhere = dataset.label_counts(questions)
    rows = [f"| label | {SIDE} additions (first / any) |", "| --- | ---: |"]
    rows += [
        f"| `{label}` | {first.get(label, 0)} / {anywhere[label]} |" for label in sorted(anywhere)
    ]
    kinds = Counter(q["kind"] for q in questions)
    rows += ["", "| kind | additions |", "| --- | ---: |"]
    rows += [f"| {kind} | {kinds[kind]} |" for kind in sorted(kinds)]
    rows.append(f"| **total** | {len(questions)} |")
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
    action.add_argument("--write", action="store_true", help="sort, header, README counts")
    action.add_argument("--check", action="store_true", help="fail if the file or README differ")
    args = parser.parse_args()

    questions = dataset.load_extra(4)
    found = rounds.split_module().problems(questions, dataset.load_vocabulary())
    found += [
        f"{q['text']!r}: side {q['split']!r}, not {SIDE}"
        for q in questions
        if q.get("split", SIDE) != SIDE
    ]
    if found:
        print("\n".join(found), file=sys.stderr)
        return 1
    questions = ordered(questions)
    text = render(questions)
    readme = readme_with_counts(README.read_text(encoding="utf-8"), counts_table(questions))
    if args.write:
        PATH.write_text(text, encoding="utf-8")
        README.write_text(readme, encoding="utf-8")
    else:
        stale = [] if PATH.read_text(encoding="utf-8") == text else [str(PATH)]
        if README.read_text(encoding="utf-8") != readme:
            stale.append(str(README))
        if stale:
            print("not in form: " + ", ".join(stale), file=sys.stderr)
            return 1
    print(f"{len(questions)} train-only additions to round four ({SIDE})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
