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
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.real_clients import dataset  # noqa: E402  (after the path is set)

SEED = 20261201
SPLIT_DATE = "2026-12-01"
TEST_SHARE = 0.4
POOL = dataset.HERE / "pool.yml"
README = dataset.HERE / "README.md"
COUNTS_START, COUNTS_END = "<!-- counts:start -->", "<!-- counts:end -->"

# Words that carry no topic: ignored when comparing two questions from one page.
STOPWORDS = set(
    "a an the i my me you your to of in on for is it be do does can will should what how if at with and or "
    "are am this that get have has so after before during when why which would could there any".split()
)
Question = dataset.Question


def words(text: str) -> set[str]:
    """All words of a question (case and punctuation ignored)."""
    return set(dataset.normalise(text).split())


def content_words(text: str) -> set[str]:
    """Words that carry the topic, with a crude plural folding."""
    return {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in words(text) - STOPWORDS}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def near_paraphrases(a: Question, b: Question) -> bool:
    """Whether two questions must share a part (see the module docstring)."""
    if a["labels"][0] != b["labels"][0]:
        return False
    if a["source"] == b["source"]:
        return jaccard(content_words(a["text"]), content_words(b["text"])) >= 0.5
    wa, wb = words(a["text"]), words(b["text"])
    return min(len(wa), len(wb)) >= 4 and jaccard(wa, wb) >= 0.7


def groups(questions: list[Question]) -> list[list[Question]]:
    """Questions joined by near_paraphrases (transitively), in a stable order."""
    ordered = sorted(questions, key=lambda q: dataset.normalise(q["text"]))
    parent = list(range(len(ordered)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(ordered)):
        for j in range(i + 1, len(ordered)):
            if near_paraphrases(ordered[i], ordered[j]):
                parent[root(j)] = root(i)
    joined: dict[int, list[Question]] = {}
    for i, question in enumerate(ordered):
        joined.setdefault(root(i), []).append(question)
    return list(joined.values())


def assign(
    questions: list[Question],
    seed: int = SEED,
    share: float = TEST_SHARE,
    parts: tuple[str, str] = ("test", "train_dev"),
) -> dict[str, str]:
    """Part (``parts[0]``, about ``share`` of each first label's groups, or
    ``parts[1]``) of every question, by normalised text. The defaults are the
    test/train_dev split; scripts/real_clients_dev_split.py divides train_dev
    into train and dev with the same rules."""
    held, kept = parts
    rng = random.Random(seed)
    by_label: dict[str, list[list[Question]]] = {}
    for group in groups(questions):
        by_label.setdefault(group[0]["labels"][0], []).append(group)
    part: dict[str, str] = {}
    singles: list[list[Question]] = []
    for label in sorted(by_label):
        label_groups = by_label[label]
        if len(label_groups) == 1:
            singles += label_groups
            continue
        rng.shuffle(label_groups)
        n_test = min(len(label_groups) - 1, max(1, int(share * len(label_groups) + 0.5)))
        for i, group in enumerate(label_groups):
            for question in group:
                part[dataset.normalise(question["text"])] = held if i < n_test else kept
    rng.shuffle(singles)
    n_test = int(share * len(singles) + 0.5)
    for i, group in enumerate(singles):
        for question in group:
            part[dataset.normalise(question["text"])] = held if i < n_test else kept
    return part


def unsplittable_labels(questions: list[Question]) -> list[str]:
    """First labels with 2+ questions that are all one group (so in one part)."""
    counts = dataset.label_counts(questions, first_only=True)
    grouped = Counter(group[0]["labels"][0] for group in groups(questions))
    return sorted(label for label, n in counts.items() if n >= 2 and grouped[label] == 1)


def yaml_string(value: str) -> str:
    """A double-quoted scalar (JSON string syntax is valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def render_question(question: Question) -> str:
    lines = [
        f"- text: {yaml_string(question['text'])}",
        f"  labels: [{', '.join(yaml_string(label) for label in question['labels'])}]",
        f"  source: {yaml_string(question['source'])}",
        f"  kind: {question['kind']}",
    ]
    for name in ("condition", "note"):
        if question.get(name):
            lines.append(f"  {name}: {yaml_string(question[name])}")
    if question.get("also_at"):
        lines.append(f"  also_at: [{', '.join(yaml_string(url) for url in question['also_at'])}]")
    return "\n".join(lines)


def header(part: str, mine: list[Question], total: int, vocabulary: dict[str, Any]) -> list[str]:
    kinds = Counter(q["kind"] for q in mine)
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
        f"# This part: {len(mine)} of {total} questions; by kind: "
        + ", ".join(f"{kind} {kinds[kind]}" for kind in sorted(kinds))
        + ".",
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
    body += [render_question(question) for question in ordered]
    return "\n".join(header(part, mine, total, vocabulary) + [""] + body) + "\n"


def counts_table(parts: dict[str, list[Question]]) -> str:
    """Markdown table: each label's questions per part, as first label / any position."""
    first = {name: dataset.label_counts(qs, first_only=True) for name, qs in parts.items()}
    anywhere = {name: dataset.label_counts(qs) for name, qs in parts.items()}
    labels = sorted(set().union(*anywhere.values()))
    rows = ["| label | test (first / any) | train_dev (first / any) |", "| --- | ---: | ---: |"]
    for label in labels:
        cells = [
            f"{first[name].get(label, 0)} / {anywhere[name].get(label, 0)}"
            for name in ("test", "train_dev")
        ]
        rows.append(f"| `{label}` | {cells[0]} | {cells[1]} |")
    kinds = {name: Counter(q["kind"] for q in qs) for name, qs in parts.items()}
    rows += ["", "| kind | test | train_dev |", "| --- | ---: | ---: |"]
    rows += [
        f"| {kind} | {kinds['test'][kind]} | {kinds['train_dev'][kind]} |"
        for kind in sorted(set(kinds["test"]) | set(kinds["train_dev"]))
    ]
    rows.append(f"| **total** | {len(parts['test'])} | {len(parts['train_dev'])} |")
    return "\n".join(rows)


def readme_with_counts(readme: str, table: str) -> str:
    before, rest = readme.split(COUNTS_START, 1)
    _, after = rest.split(COUNTS_END, 1)
    return f"{before}{COUNTS_START}\n{table}\n{COUNTS_END}{after}"


def split(questions: list[Question]) -> dict[str, list[Question]]:
    where = assign(questions)
    return {
        name: [q for q in questions if where[dataset.normalise(q["text"])] == name]
        for name in ("test", "train_dev")
    }


def problems(questions: Iterable[Question], vocabulary: dict[str, Any]) -> list[str]:
    found, seen = [], {}
    for question in questions:
        found += [
            f"{question.get('text')!r}: {p}" for p in dataset.entry_problems(question, vocabulary)
        ]
        key = dataset.normalise(str(question.get("text", "")))
        if key in seen:
            found.append(f"duplicate: {question['text']!r} and {seen[key]!r}")
        seen[key] = question.get("text")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument(
        "--write", action="store_true", help="write the part files and README counts"
    )
    action.add_argument(
        "--check", action="store_true", help="fail if the files differ from the split"
    )
    args = parser.parse_args()

    vocabulary = dataset.load_vocabulary()
    if POOL.exists():
        questions = dataset.load_part(POOL)
    else:
        questions = [q for qs in dataset.load_parts().values() for q in qs]
    found = problems(questions, vocabulary)
    if found:
        print("\n".join(found), file=sys.stderr)
        return 1
    parts = split(questions)
    texts = {name: render_part(name, qs, len(questions), vocabulary) for name, qs in parts.items()}
    readme = readme_with_counts(README.read_text(encoding="utf-8"), counts_table(parts))
    if args.write:
        for name, text in texts.items():
            dataset.PARTS[name].write_text(text, encoding="utf-8")
        README.write_text(readme, encoding="utf-8")
    else:
        stale = [
            str(dataset.PARTS[name])
            for name, text in texts.items()
            if not dataset.PARTS[name].exists()
            or dataset.PARTS[name].read_text(encoding="utf-8") != text
        ]
        if README.read_text(encoding="utf-8") != readme:
            stale.append(str(README))
        if stale:
            print("not what the fixed split gives: " + ", ".join(stale), file=sys.stderr)
            return 1
    print(
        f"{len(questions)} questions: test {len(parts['test'])}, train_dev {len(parts['train_dev'])}"
    )
    print(
        "first labels kept in one part (all their questions are one group):",
        ", ".join(unsplittable_labels(questions)) or "none",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
