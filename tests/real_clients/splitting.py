"""How the real client questions are split once, and how the split files and
the README's count tables are written and checked (issue 10).

One home for what every split script shares: round one's test/train_dev
split (scripts/real_clients_split.py), its train/dev division
(scripts/real_clients_dev_split.py), every later round's seed split
(scripts/real_clients_round<N>_split.py: a `Round` and a call to `main`) and
round four's train-only additions (scripts/real_clients_round4_extra.py).
The rules (stratified by first label, near paraphrases kept together) are
the ones the committed files were drawn with: a change here that moves a
question makes every script's `--check` fail.

Adding a round: its file and sides in dataset.ROUNDS (and a word in
ROUND_WORDS here), its size rule in tests/unit/test_real_clients_data.py's
LATER_ROUNDS, the README's `<!-- round<N>-counts:start/end -->` markers, and
scripts/real_clients_round<N>_split.py with its `Round` (seed fixed before
any question is collected) calling `main`.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.real_clients import dataset

Question = dataset.Question
README = dataset.HERE / "README.md"
#: Words that carry no topic: ignored when comparing two questions from one page.
STOPWORDS = set(
    "a an the i my me you your to of in on for is it be do does can will should what how if at with and or "
    "are am this that get have has so after before during when why which would could there any".split()
)
#: A later round's number as the headers write it.
ROUND_WORDS = {
    2: "two",
    3: "three",
    4: "four",
    5: "five",
    6: "six",
    7: "seven",
    8: "eight",
    9: "nine",
    10: "ten",
    11: "eleven",
}


# --------------------------------------------------------------------------- grouping and sides


def words(text: str) -> set[str]:
    """All words of a question (case and punctuation ignored)."""
    return set(dataset.normalise(text).split())


def content_words(text: str) -> set[str]:
    """Words that carry the topic, with a crude plural folding."""
    return {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in words(text) - STOPWORDS}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def near_paraphrases(a: Question, b: Question) -> bool:
    """Whether two questions must share a part: on the same page, same first
    label and most content words shared; across pages, same first label and
    nearly the same words (they differ by a word or two)."""
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
    questions: list[Question], *, seed: int, share: float, parts: tuple[str, str]
) -> dict[str, str]:
    """Part (``parts[0]``, about ``share`` of each first label's groups, or
    ``parts[1]``) of every question, by normalised text. Every first label
    with two or more groups has one in each part; the labels with a single
    group are shared out among themselves the same way."""
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


def problems(questions: Iterable[Question], vocabulary: dict[str, Any]) -> list[str]:
    """Every invalid entry (dataset.entry_problems) and exact duplicate."""
    found: list[str] = []
    seen: dict[str, Any] = {}
    for question in questions:
        found += [
            f"{question.get('text')!r}: {p}" for p in dataset.entry_problems(question, vocabulary)
        ]
        key = dataset.normalise(str(question.get("text", "")))
        if key in seen:
            found.append(f"duplicate: {question['text']!r} and {seen[key]!r}")
        seen[key] = question.get("text")
    return found


# --------------------------------------------------------------------------- rendering


def yaml_string(value: str) -> str:
    """A double-quoted scalar (JSON string syntax is valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def render_question(question: Question, sided: bool = False) -> str:
    """One entry as the files write it; a later round's entry (`sided`) names
    its side (`split`) first after the text."""
    lines = [f"- text: {yaml_string(question['text'])}"]
    if sided:
        lines.append(f"  split: {question['split']}")
    lines += [
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


def kinds_line(questions: Iterable[Question]) -> str:
    """The headers' "kind n, kind n" (kinds in alphabetical order)."""
    kinds = Counter(q["kind"] for q in questions)
    return ", ".join(f"{kind} {kinds[kind]}" for kind in sorted(kinds))


def counts_table(
    columns: dict[str, list[Question]], kind_heads: Sequence[str] | None = None
) -> str:
    """Markdown for the README: each label's questions per column (first label
    / any position), then each kind's, then the totals. A column's head is its
    name, in the kind table `kind_heads` where given."""
    first = {name: dataset.label_counts(qs, first_only=True) for name, qs in columns.items()}
    anywhere = {name: dataset.label_counts(qs) for name, qs in columns.items()}
    kinds = {name: Counter(q["kind"] for q in qs) for name, qs in columns.items()}
    rule = "| --- |" + " ---: |" * len(columns)

    def row(head: str, cells: Iterable[object]) -> str:
        return f"| {head} | " + " | ".join(str(cell) for cell in cells) + " |"

    rows = [row("label", (f"{name} (first / any)" for name in columns)), rule]
    rows += [
        row(
            f"`{label}`",
            (f"{first[name].get(label, 0)} / {anywhere[name].get(label, 0)}" for name in columns),
        )
        for label in sorted(set().union(*anywhere.values()))
    ]
    rows += ["", row("kind", kind_heads or columns), rule]
    rows += [
        row(kind, (kinds[name][kind] for name in columns))
        for kind in sorted(set().union(*kinds.values()))
    ]
    rows.append(row("**total**", (len(qs) for qs in columns.values())))
    return "\n".join(rows)


def readme_with_counts(readme: str, marker: str, table: str) -> str:
    """The README with the table between `<!-- {marker}:start -->` and
    `<!-- {marker}:end -->` (each script owns one such pair)."""
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    before, rest = readme.split(start, 1)
    _, after = rest.split(end, 1)
    return f"{before}{start}\n{table}\n{end}{after}"


# --------------------------------------------------------------------------- command line


def parse_write(
    doc: str | None, write_help: str | None = None, check_help: str | None = None
) -> bool:
    """The scripts' one command line: `--write` (True) or `--check` (False)."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help=write_help)
    action.add_argument("--check", action="store_true", help=check_help)
    return bool(parser.parse_args().write)


def write_or_check(texts: dict[Path, str], write: bool, mismatch: str) -> bool:
    """Write every file's derived text, or check the files hold it: False (and
    `mismatch` with the stale files on stderr) when one does not."""
    if write:
        for path, text in texts.items():
            path.write_text(text, encoding="utf-8")
        return True
    stale = [
        str(path)
        for path, text in texts.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    if stale:
        print(f"{mismatch}: " + ", ".join(stale), file=sys.stderr)
    return not stale


# --------------------------------------------------------------------------- later rounds


@dataclass(frozen=True)
class Round:
    """What differs between the later rounds' one-time splits: a round's
    script is its Round and a call to `main`."""

    number: int
    seed: int  # fixed before the round's questions were collected; never redrawn
    split_date: str
    dev_share: float
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
        return ROUND_WORDS[self.number]

    @property
    def script(self) -> str:
        return f"scripts/real_clients_round{self.number}_split.py"

    @property
    def title(self) -> str:
        """e.g. "ROUND TWO, TRAIN2 AND DEV2"."""
        train, dev = self.sides
        return f"ROUND {self.word.upper()}, {train.upper()} AND {dev.upper()}"

    @property
    def marker(self) -> str:
        """The README's count-table markers' name."""
        return f"round{self.number}-counts"


def derive(questions: list[Question], rnd: Round) -> dict[str, str]:
    """The side (e.g. `dev2` or `train2`) of every question, by normalised text."""
    train, dev = rnd.sides
    return assign(questions, seed=rnd.seed, share=rnd.dev_share, parts=(dev, train))


def with_sides(questions: list[Question], rnd: Round) -> list[Question]:
    """The questions with the derived `split`, ordered by side, first label, text."""
    where = derive(questions, rnd)
    sided = [{**q, "split": where[dataset.normalise(q["text"])]} for q in questions]
    order = {name: i for i, name in enumerate(rnd.sides)}
    return sorted(
        sided, key=lambda q: (order[q["split"]], q["labels"][0], dataset.normalise(q["text"]))
    )


def header(questions: list[Question], vocabulary: dict[str, Any], rnd: Round) -> list[str]:
    sides = Counter(q["split"] for q in questions)
    _, dev = rnd.sides
    lines = [
        f"# REAL CLIENT QUESTIONS: {rnd.title} (issue 10)",
        "#",
        *rnd.about,
        f"# Split once by {rnd.script}: seed {rnd.seed}, fixed on {rnd.split_date}",
        "# before the split was drawn; stratified by first label, near paraphrases kept",
        f"# together; {dev} share {rnd.dev_share}. `--check` re-derives every `split`.",
        f"# {len(questions)} questions: "
        + ", ".join(f"{name} {sides[name]}" for name in rnd.sides)
        + f"; by kind: {kinds_line(questions)}.",
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


def render(questions: list[Question], vocabulary: dict[str, Any], rnd: Round) -> str:
    """The round's whole file: header, then the questions as given (with sides)."""
    body = [f"round: {rnd.number}", f"seed: {rnd.seed}", f'split_date: "{rnd.split_date}"']
    body += ["questions:"] + [render_question(q, sided=True) for q in questions]
    return "\n".join(header(questions, vocabulary, rnd) + [""] + body) + "\n"


def main(rnd: Round, doc: str | None) -> int:
    """A later round's script: `--write` gives every entry its side, sorts the
    file and writes the README's counts; `--check` fails if either differs."""
    write = parse_write(
        doc,
        write_help="add each entry's split, sort, write README counts",
        check_help="fail if the file or README differ from the split",
    )
    vocabulary = dataset.load_vocabulary()
    questions = dataset.load_split_part(rnd.number)  # never a round's train-only additions
    found = problems(questions, vocabulary)
    found += [
        f"{q['text']!r}: side {q['split']!r} is not this round's"
        for q in questions
        if q.get("split", rnd.sides[0]) not in rnd.sides
    ]
    if found:
        print("\n".join(found), file=sys.stderr)
        return 1
    sided = with_sides(questions, rnd)
    table = counts_table({name: [q for q in sided if q["split"] == name] for name in rnd.sides})
    texts = {
        rnd.path: render(sided, vocabulary, rnd),
        README: readme_with_counts(README.read_text(encoding="utf-8"), rnd.marker, table),
    }
    if not write_or_check(texts, write, "not what the fixed seed gives"):
        return 1
    sides = Counter(q["split"] for q in sided)
    print(f"{len(sided)} questions: " + ", ".join(f"{n} {sides[n]}" for n in rnd.sides))
    print(
        "first labels kept on one side (all their questions are one group):",
        ", ".join(unsplittable_labels(sided)) or "none",
    )
    return 0
