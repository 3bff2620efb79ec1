"""Read the real client questions and their label vocabulary.

One home for how the data set is read and what a valid entry is, so that the
split script, the data test and an evaluation all agree. Plain Python and
PyYAML only: nothing here needs Rasa.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

HERE = Path(__file__).resolve().parent
VOCABULARY = HERE / "vocabulary.yml"
#: Round one (issue 10), split once into test and train/dev.
PARTS = {"test": HERE / "questions_test.yml", "train_dev": HERE / "questions_train_dev.yml"}
#: train_dev divided once into train and dev (scripts/real_clients_dev_split.py)
TRAIN_DEV_SPLIT = HERE / "train_dev_split.yml"
#: Round two: fresh questions from pages round one did not use, split once
#: into train2 and dev2 (scripts/real_clients_round2_split.py); each entry
#: names its side in `split`. Round one's test part stays as it is.
ROUND2 = HERE / "questions_round2.yml"
ROUND2_SPLITS = ("train2", "dev2")
#: Round three: fresh questions from pages neither earlier round used, split
#: once into train3 and dev3 (scripts/real_clients_round3_split.py), same form
#: as round two. dev3 judges the next round of choices.
ROUND3 = HERE / "questions_round3.yml"
ROUND3_SPLITS = ("train3", "dev3")
#: Round four: fresh questions from pages no earlier round used, split once
#: into train4 and dev4 (scripts/real_clients_round4_split.py), same form as
#: rounds two and three. dev4 judges the round after round five.
ROUND4 = HERE / "questions_round4.yml"
ROUND4_SPLITS = ("train4", "dev4")
#: Round five: a fresh judge from pages no earlier round used (round four's
#: train-only additions included), split once into train5 (~25%) and dev5
#: (~75%) (scripts/real_clients_round5_split.py), same form as rounds two to
#: four. dev5 judges the round after dev4 has been trained on.
ROUND5 = HERE / "questions_round5.yml"
ROUND5_SPLITS = ("train5", "dev5")
#: Round six: a fresh judge from pages no earlier round used, split once into
#: train6 (~20%) and dev6 (~80%) (scripts/real_clients_round6_split.py), same
#: form as rounds two to five. dev6 judges the round after dev5 has been used.
ROUND6 = HERE / "questions_round6.yml"
ROUND6_SPLITS = ("train6", "dev6")
#: Round seven: a fresh judge from pages no earlier round used, split once
#: into train7 (~20%) and dev7 (~80%) (scripts/real_clients_round7_split.py),
#: same form as rounds two to six. dev7 judges the round after dev6 has been used.
ROUND7 = HERE / "questions_round7.yml"
ROUND7_SPLITS = ("train7", "dev7")
#: Round eight: a fresh judge from pages no earlier round used, split once
#: into train8 (~20%) and dev8 (~80%) (scripts/real_clients_round8_split.py),
#: same form as rounds two to seven. dev8 judges the change the lead ships
#: after dev7 has been looked at (main is measured on it first).
ROUND8 = HERE / "questions_round8.yml"
ROUND8_SPLITS = ("train8", "dev8")
#: Round nine: a fresh judge from pages no earlier round used, split once
#: into train9 (~20%) and dev9 (~80%) (scripts/real_clients_round9_split.py),
#: same form as rounds two to eight. dev9 judges the changes after dev7 and
#: train8 are trained on (every earlier dev side has judged a change).
ROUND9 = HERE / "questions_round9.yml"
ROUND9_SPLITS = ("train9", "dev9")
#: Questions round ten: a fresh judge from pages no earlier round used, split
#: once into train10 (~20%) and dev10 (~80%) (scripts/real_clients_round10_split.py),
#: same form as rounds two to nine. dev10 judges the changes after every side
#: but dev8, dev9 and test is trained on (dev8 and dev9 have judged changes).
ROUND10 = HERE / "questions_round10.yml"
ROUND10_SPLITS = ("train10", "dev10")
#: Questions round eleven: a fresh judge from pages no earlier round used,
#: split once into train11 (~20%) and dev11 (~80%)
#: (scripts/real_clients_round11_split.py), same form as rounds two to ten.
#: dev10 judged round twelve's candidates (dev8, dev9 and train10 trained on;
#: not shipped); dev11 is the judge since.
ROUND11 = HERE / "questions_round11.yml"
ROUND11_SPLITS = ("train11", "dev11")
#: Each later round's file and its two sides, by round number.
ROUNDS = {
    2: (ROUND2, ROUND2_SPLITS),
    3: (ROUND3, ROUND3_SPLITS),
    4: (ROUND4, ROUND4_SPLITS),
    5: (ROUND5, ROUND5_SPLITS),
    6: (ROUND6, ROUND6_SPLITS),
    7: (ROUND7, ROUND7_SPLITS),
    8: (ROUND8, ROUND8_SPLITS),
    9: (ROUND9, ROUND9_SPLITS),
    10: (ROUND10, ROUND10_SPLITS),
    11: (ROUND11, ROUND11_SPLITS),
}
#: The side that judges the next change: the latest round's dev side (its
#: misses are never read; the rounds before it have judged and retired).
JUDGE = ROUNDS[max(ROUNDS)][1][1]
#: Round four's train-only additions, collected after dev4 had been measured:
#: dev4 is frozen, so these are all `train4` and the seed's split never sees
#: them (scripts/real_clients_round4_extra.py checks the file).
ROUND4_EXTRA = HERE / "questions_round4_extra.yml"
#: A later round's train-only addition file, by round number: every entry's
#: `split` is the round's train side; `load_round` adds them to that side.
EXTRAS = {4: ROUND4_EXTRA}
#: Every later round's side names (an entry's `split` is one of them).
LATER_SPLITS = tuple(side for _, sides in ROUNDS.values() for side in sides)
FIELDS = {"text", "labels", "source", "kind", "condition", "note", "also_at", "split"}
#: Words left out when two questions are compared for near-exact duplicates.
ARTICLES = {"a", "an", "the"}

Question = dict[str, Any]


def load_vocabulary(path: Path = VOCABULARY) -> dict[str, Any]:
    """The vocabulary file as a mapping (see vocabulary.yml for its parts)."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_part(path: Path) -> list[Question]:
    """The questions of one part file, in file order."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]


def load_parts(parts: dict[str, Path] = PARTS) -> dict[str, list[Question]]:
    """Every part that exists on disk, by part name."""
    return {name: load_part(path) for name, path in parts.items() if path.exists()}


def load_round(number: int, split: str | None = None) -> list[Question]:
    """A later round's questions (2 to 11), in file order: all of them, or one
    side (`train2`/`dev2` ... `train11`/`dev11`), with the round's
    train-only additions (EXTRAS) after its split file's questions. Empty when
    neither file exists."""
    questions = load_split_part(number) + load_extra(number)
    return questions if split is None else [q for q in questions if q.get("split") == split]


def load_split_part(number: int) -> list[Question]:
    """Only the questions the round's split script divided with its seed (the
    round's own file, without its train-only additions)."""
    path, _ = ROUNDS[number]
    return load_part(path) if path.exists() else []


def load_extra(number: int) -> list[Question]:
    """A round's train-only additions (EXTRAS), or none."""
    path = EXTRAS.get(number)
    return load_part(path) if path is not None and path.exists() else []


def load_round2(split: str | None = None) -> list[Question]:
    """Round two's questions: all, or the `train2` or `dev2` side."""
    return load_round(2, split)


def load_round3(split: str | None = None) -> list[Question]:
    """Round three's questions: all, or the `train3` or `dev3` side."""
    return load_round(3, split)


def load_train_dev(name: str) -> list[Question]:
    """The `train` or `dev` questions of the train/dev part (ids in
    TRAIN_DEV_SPLIT), in part-file order. Never reads the test part."""
    ids = set(yaml.safe_load(TRAIN_DEV_SPLIT.read_text(encoding="utf-8"))[name])
    return [q for q in load_part(PARTS["train_dev"]) if normalise(q["text"]) in ids]


#: Second, independent labellings of measured sides (README, "Label
#: agreement"): text + labels only, never training data. Every
#: second_labels*.yml: second_labels.yml (dev4, dev5), second_labels_judges.yml
#: (dev6, test) and second_labels_round12.yml (dev10, dev11).
SECOND_LABELS = tuple(sorted(HERE.glob("second_labels*.yml")))


def load_second_labels(paths: tuple[Path, ...] = SECOND_LABELS) -> dict[str, list[str]]:
    """Every second labelling's labels, by normalised text."""
    return {
        normalise(entry["text"]): list(entry["labels"])
        for path in paths
        for entry in load_part(path)
    }


def normalise(text: str) -> str:
    """The text as compared for duplicates: same words up to case, accents,
    punctuation and spacing (so "Must I undress?" equals "must i undress")."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", text.lower().replace("'", ""))
    return " ".join(words)


def near_tokens(text: str) -> list[str]:
    """The words compared for near-exact duplicates: `normalise`d, without
    articles, a plural "s" folded ("the massages" ~ "massage")."""
    return [
        w[:-1] if w.endswith("s") and len(w) > 3 else w
        for w in normalise(text).split()
        if w not in ARTICLES
    ]


def near_duplicate(a: str, b: str) -> bool:
    """Whether two questions are the same question up to trivial differences:
    equal `near_tokens`, or the same words but one that is a typo of the other
    ("take of my underwear" ~ "take off my underwear"). A different word that
    changes the meaning ("before"/"after", "Thai"/"facial") is not a duplicate:
    those are near paraphrases, which are kept (README)."""
    return near_duplicate_tokens(near_tokens(a), near_tokens(b))


def near_duplicate_tokens(ta: list[str], tb: list[str]) -> bool:
    """`near_duplicate` on precomputed `near_tokens` (for comparing many pairs)."""
    if ta == tb:
        return True
    if len(ta) != len(tb):
        return False
    diff = [(x, y) for x, y in zip(ta, tb, strict=True) if x != y]
    return len(diff) == 1 and difflib.SequenceMatcher(None, *diff[0]).ratio() >= 0.75


def page_key(url: str) -> str:
    """A page's address as compared between rounds: host without a mirror
    prefix ("www.", "ww1.", "m.") and path, lower case, no scheme, fragment
    or trailing slash; the query only where the path is empty (a site whose
    pages are "/?p=123")."""
    parts = urlsplit(url.strip())
    host = re.sub(r"^(www\d*|ww\d+|m)\.", "", parts.netloc.lower())
    path = parts.path.rstrip("/").lower()
    return host + (path or (f"/?{parts.query}" if parts.query else ""))


def faq_topics(vocabulary: dict[str, Any]) -> set[str]:
    """Contract topics, the new ones the assistant answers, and round two's
    new ones (labels the assistant's engineer has still to add as topics)."""
    return (
        set(vocabulary["contract_topics"])
        | set(vocabulary["new_topics"])
        | set(vocabulary.get("new_topics_round2") or {})
    )


def massage_types(vocabulary: dict[str, Any]) -> set[str]:
    """Contract massage types and the new ones."""
    types = vocabulary["massage_types"]
    return set(types["contract"]) | set(types["new"])


def label_problem(label: str, vocabulary: dict[str, Any]) -> str | None:
    """Why a label is not in the vocabulary, or None when it is."""
    if label.startswith("faq/"):
        return None if label[4:] in faq_topics(vocabulary) else f"unknown FAQ topic {label!r}"
    if label.startswith("ask_massage_type:"):
        kind = label.split(":", 1)[1]
        return None if kind in massage_types(vocabulary) else f"unknown massage type in {label!r}"
    if label.startswith("compare_massage_types:"):
        pair = label.split(":", 1)[1].split(",")
        if len(pair) != 2 or pair[0] >= pair[1]:
            return f"{label!r} must name two different types in alphabetical order"
        unknown = [kind for kind in pair if kind not in massage_types(vocabulary)]
        return f"unknown massage type(s) {unknown} in {label!r}" if unknown else None
    return None if label in vocabulary["intents"] else f"unknown intent {label!r}"


def entry_problems(question: Question, vocabulary: dict[str, Any]) -> list[str]:
    """Everything wrong with one entry (empty when it is valid)."""
    problems = [f"unexpected field {name!r}" for name in question if name not in FIELDS]
    if not isinstance(question.get("text"), str) or not question["text"].strip():
        problems.append("no text")
    if not re.match(r"^https?://\S+$", str(question.get("source", ""))):
        problems.append(f"source is not a URL: {question.get('source')!r}")
    for url in question.get("also_at", []):
        if not re.match(r"^https?://\S+$", str(url)):
            problems.append(f"also_at is not a URL: {url!r}")
    if "split" in question and question["split"] not in LATER_SPLITS:
        problems.append(f"unknown split {question['split']!r}")
    if question.get("kind") not in vocabulary["kinds"]:
        problems.append(f"unknown kind {question.get('kind')!r}")
    labels = question.get("labels") or []
    if not labels:
        problems.append("no labels")
    if len(set(labels)) != len(labels):
        problems.append("a label is listed twice")
    problems += [problem for label in labels if (problem := label_problem(label, vocabulary))]
    return problems


def label_counts(questions: Iterable[Question], first_only: bool = False) -> dict[str, int]:
    """How many questions carry each label (or have it as their first label)."""
    counts: dict[str, int] = {}
    for question in questions:
        for label in question["labels"][:1] if first_only else question["labels"]:
            counts[label] = counts.get(label, 0) + 1
    return counts
