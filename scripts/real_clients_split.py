"""Split the real client questions ONCE into a test part and a train/dev part.

The split is a pure function of the questions and a fixed seed, so it can be
re-derived from the two part files at any time (``--check``, run by the data
test) but it is never re-drawn: the seed and date below were fixed before the
split was made and must not be changed to get a "nicer" test set.

    python scripts/real_clients_split.py --write   # (once) pool.yml -> the two part files
    python scripts/real_clients_split.py --check   # the files are what the seed gives

Rules:
- stratified by first label: every first label with 2+ questions gets at least
  one question in each part (unless all of them are one group, see below);
- questions that are near paraphrases go to the same part (one group): on the
  same page, same first label and most content words shared; across pages,
  same first label and nearly the same words (they differ by a word or two);
- about TEST_SHARE of each first label's groups go to test.
The rules' code, shared with the later rounds' splits: tests/real_clients/splitting.py.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.real_clients import dataset, splitting  # noqa: E402  (after the path is set)

SEED = 20261201
SPLIT_DATE = "2026-12-01"
TEST_SHARE = 0.4
PARTS = ("test", "train_dev")
POOL = dataset.HERE / "pool.yml"
Question = dataset.Question


def header(part: str, mine: list[Question], total: int, vocabulary: dict[str, Any]) -> list[str]:
    title = (
        "REAL CLIENT QUESTIONS: TEST PART"
        if part == "test"
        else "REAL CLIENT QUESTIONS: TRAIN/DEV PART"
    )
    lines = [f"# {title} (issue 10)", "#"]
    if part == "test":
        lines += [
            "# NEVER train on these questions, and never use them to choose features,",
            "# thresholds, examples or wording. Look at the per-question results only",
            "# after a change is final; tune on questions_train_dev.yml instead.",
            "#",
        ]
    else:
        lines += [
            "# For training and tuning: divide into train and dev as you need.",
            "# Its sibling questions_test.yml is never trained or tuned on.",
            "#",
        ]
    lines += [
        "# Questions real people asked, copied as written (typos and casing kept) from",
        "# public pages; `source` is the page. How they were collected: README.md here.",
        f"# Split once by scripts/real_clients_split.py: seed {SEED}, on {SPLIT_DATE},",
        f"# stratified by first label, near paraphrases kept together; test share {TEST_SHARE}.",
        f"# This part: {len(mine)} of {total} questions; by kind: {splitting.kinds_line(mine)}.",
        "# Per-label counts of both parts: README.md.",
        "#",
        "# labels: every acceptable answer, in vocabulary.yml's names: the contract's",
        "# FAQ topics and intents, ask_massage_type:<type>, compare_massage_types:<a>,<b>,",
        "# and these FAQ topics the contract lacks:",
    ]
    # Round one's new topics only: a topic round two brought (`round2_added`)
    # joins `new_topics` once answered, but round one's files never had it.
    later = set(vocabulary.get("round2_added") or [])
    lines += [
        f"#   {name}: {definition}"
        for name, definition in vocabulary["new_topics"].items()
        if name not in later
    ]
    lines += [
        "# Massage types beyond the contract's: "
        + ", ".join(vocabulary["massage_types"]["new"])
        + "."
    ]
    return lines


def render_part(part: str, mine: list[Question], total: int, vocabulary: dict[str, Any]) -> str:
    ordered = sorted(mine, key=lambda q: (q["labels"][0], dataset.normalise(q["text"])))
    body = [f"part: {part}", f"seed: {SEED}", f'split_date: "{SPLIT_DATE}"', "questions:"]
    body += [splitting.render_question(question) for question in ordered]
    return "\n".join(header(part, mine, total, vocabulary) + [""] + body) + "\n"


def split(questions: list[Question]) -> dict[str, list[Question]]:
    where = splitting.assign(questions, seed=SEED, share=TEST_SHARE, parts=PARTS)
    return {
        name: [q for q in questions if where[dataset.normalise(q["text"])] == name]
        for name in PARTS
    }


def main() -> int:
    write = splitting.parse_write(
        __doc__,
        write_help="write the part files and README counts",
        check_help="fail if the files differ from the split",
    )
    vocabulary = dataset.load_vocabulary()
    if POOL.exists():
        questions = dataset.load_part(POOL)
    else:
        questions = [q for qs in dataset.load_parts().values() for q in qs]
    found = splitting.problems(questions, vocabulary)
    if found:
        print("\n".join(found), file=sys.stderr)
        return 1
    parts = split(questions)
    texts = {
        dataset.PARTS[name]: render_part(name, qs, len(questions), vocabulary)
        for name, qs in parts.items()
    }
    readme = splitting.README.read_text(encoding="utf-8")
    texts[splitting.README] = splitting.readme_with_counts(
        readme, "counts", splitting.counts_table(parts)
    )
    if not splitting.write_or_check(texts, write, "not what the fixed split gives"):
        return 1
    print(
        f"{len(questions)} questions: test {len(parts['test'])}, train_dev {len(parts['train_dev'])}"
    )
    print(
        "first labels kept in one part (all their questions are one group):",
        ", ".join(splitting.unsplittable_labels(questions)) or "none",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
