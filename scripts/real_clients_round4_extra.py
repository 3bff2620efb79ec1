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

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.real_clients import dataset, splitting  # noqa: E402  (after the path is set)

PATH = dataset.ROUND4_EXTRA
SIDE = dataset.ROUND4_SPLITS[0]  # train4
MARKER = "round4-extra-counts"  # the README's count table: <!-- round4-extra-counts:start -->
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
    lines = list(HEADER) + [
        f"# {len(questions)} questions, all {SIDE}; by kind: {splitting.kinds_line(questions)}.",
        "",
        "round: 4",
        f"split: {SIDE}",
        "questions:",
    ]
    body = [splitting.render_question(q, sided=True) for q in questions]
    return "\n".join(lines + body) + "\n"


def main() -> int:
    write = splitting.parse_write(
        __doc__,
        write_help="sort, header, README counts",
        check_help="fail if the file or README differ",
    )
    questions = dataset.load_extra(4)
    found = splitting.problems(questions, dataset.load_vocabulary())
    found += [
        f"{q['text']!r}: side {q['split']!r}, not {SIDE}"
        for q in questions
        if q.get("split", SIDE) != SIDE
    ]
    if found:
        print("\n".join(found), file=sys.stderr)
        return 1
    questions = ordered(questions)
    table = splitting.counts_table({f"{SIDE} additions": questions}, kind_heads=["additions"])
    readme = splitting.README.read_text(encoding="utf-8")
    texts = {
        PATH: render(questions),
        splitting.README: splitting.readme_with_counts(readme, MARKER, table),
    }
    if not splitting.write_or_check(texts, write, "not in form"):
        return 1
    print(f"{len(questions)} train-only additions to round four ({SIDE})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
