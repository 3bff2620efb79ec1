"""Write the real clients' TRAIN questions as training data (issue 10).

Every round's training side is used (round one's `train`, `train2` ...
`train9`, with round four's train-only additions). A round's dev side is
added only once the round of choices it judged is final, and the next
round's dev side becomes the judge: round one's `dev` since the round-one
model, `dev2` since round three, `dev3` since round six, `dev4` since round
seven, `dev5` and `dev6` since 2026-12-02, `dev7` since 2026-12-03 (it judged
round ten with dev8); never the test part. `dev8` and `dev9` judged rounds
ten and eleven; training on them (round twelve's candidate D, `--dev-rounds 9`
with round ten's sides) did not beat main on dev10 + dev11, so the shipped
file still leaves them out (README, "Round twelve"). `--dev-rounds N`
says how many dev sides (rounds 1 to N); the header's first words say it too
("# WITH DEV4"), and the leakage test skips its check of exactly those sides.
Each question becomes an example of its first label when the assistant can
answer it (an FAQ topic with a response in data/responses/, or an intent of
the domain; `ask_massage_type:<type>` is the intent `ask_massage_type`, the
type being the entity extractor's job), with the page it was copied from as
the example's `source` metadata. Questions with no answerable label yet are
listed and left out.

    python scripts/real_clients_training.py --write                 # as many dev sides as the file has now
    python scripts/real_clients_training.py --write --dev-rounds 4  # + dev, dev2, dev3, dev4
    python scripts/real_clients_training.py --check                 # the file is what the data gives

`--with-dev`, `--with-dev2`, `--with-dev3` and `--with-dev4` (the flags the
rounds used, in the README) are `--dev-rounds 1` to `4`. The dev figures of
a model trained on a dev side are no longer honest; the README reports the
ones measured before.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.real_clients import dataset  # noqa: E402  (after the path is set)

OUT = ROOT / "data" / "nlu" / "real_clients_train.yml"
#: Intents whose answer is about the massage type(s) the message names.
TYPE_INTENTS = {"ask_massage_type", "compare_massage_types"}


def domain_names() -> tuple[set[str], set[str]]:
    """The domain's intents and FAQ topics that have an answer."""
    intents: set[str] = set()
    topics: set[str] = set()
    for path in [ROOT / "domain.yml", *sorted((ROOT / "data" / "responses").glob("*.yml"))]:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        intents |= {i if isinstance(i, str) else next(iter(i)) for i in data.get("intents") or []}
        topics |= {
            name.split("/", 1)[1]
            for name in data.get("responses") or {}
            if name.startswith("utter_faq/")
        }
    return intents, topics


def training_label(
    labels: list[str], intents: set[str], topics: set[str], names_a_type: bool = True
) -> str | None:
    """The first (most likely) label as a training label, or None when the
    assistant cannot answer it yet. Never a later label in place of an
    unanswerable first one: a tipping question trained as `faq/prices` would
    teach the classifier the wrong topic.

    One exception, `names_a_type=False`: a question labelled with a type
    that names no type the spaCy ruler recognises ("what is a muscle knot?"
    as trigger point). Trained as `ask_massage_type` it would teach an
    intent whose answer, with no type to describe, is the list of types
    offered: wrong for such a question. Its next label that does not need a
    type is used (every label is an acceptable answer), or it is left out."""
    usable = [
        label for label in labels if names_a_type or label.split(":", 1)[0] not in TYPE_INTENTS
    ]
    if not usable or (names_a_type and usable[0] != labels[0]):
        return None
    label = usable[0]
    if label.startswith("faq/"):
        return label if label[4:] in topics else None
    intent = label.split(":", 1)[0]
    return intent if intent in intents else None


def type_reader() -> Callable[[str], bool]:
    """Whether a text names a massage type, as the assistant's ruler reads it
    (the project's spaCy pipeline, built by scripts/setup.sh)."""
    import spacy

    nlp = spacy.load(str(ROOT / "build" / "spacy_clinic"))
    return lambda text: any(e.label_ == "MASSAGE_TYPE" for e in nlp(text).ents)


#: Each round's training side and dev side, in the order they are written.
#: Round one's sides are in its own split file (dataset.load_train_dev).
ROUND_SIDES = (
    (1, "train", "dev"),
    (2, "train2", "dev2"),
    (3, "train3", "dev3"),
    (4, "train4", "dev4"),
    (5, "train5", "dev5"),
    (6, "train6", "dev6"),
    (7, "train7", "dev7"),
    (8, "train8", "dev8"),
    (9, "train9", "dev9"),
)
#: How many rounds' dev sides the shipped model may train on: a dev side is
#: added only once the round it judged is final (the README says which).
MAX_DEV_ROUNDS = 7


def load_side(number: int, side: str) -> list[dict]:
    """One side of one round, in file order."""
    return dataset.load_train_dev(side) if number == 1 else dataset.load_round(number, side)


def never_written_sides() -> list[tuple[int, str]]:
    """(round, side) of every real side this script never writes, even with
    every dev side allowed: the dev sides past MAX_DEV_ROUNDS and both sides
    of every round ROUND_SIDES does not list yet."""
    listed = {number for number, _, _ in ROUND_SIDES}
    return [(number, dev) for number, _, dev in ROUND_SIDES if number > MAX_DEV_ROUNDS] + [
        (number, side)
        for number, (_, sides) in sorted(dataset.ROUNDS.items())
        if number not in listed
        for side in sides
    ]


def questions_for(dev_rounds: int) -> list[dict]:
    """The real questions to train on: every round's training side, and the
    dev sides of rounds 1 to `dev_rounds`; never a later dev side (the next
    judge) and never the test part."""
    return [
        question
        for number, train, dev in ROUND_SIDES
        for side in ((train, dev) if number <= dev_rounds else (train,))
        for question in load_side(number, side)
    ]


def header_tag(dev_rounds: int) -> str:
    """The header's first words, which the leakage test reads: "WITH DEV"
    for round one's dev side, "WITH DEV<n>" for the dev sides up to round n."""
    if dev_rounds == 0:
        return ""
    return "WITH DEV: " if dev_rounds == 1 else f"WITH DEV{dev_rounds}: "


def dev_rounds_written(text: str) -> int:
    """How many dev sides a generated file says it has (its header tag)."""
    match = re.match(r"# WITH DEV(\d*):", text)
    if match is None:
        return 0
    return int(match.group(1) or 1)


def header(dev_rounds: int) -> list[str]:
    """What the file was generated from, in words."""
    trained = [dev for number, _, dev in ROUND_SIDES if number <= dev_rounds]
    never = [dev for number, _, dev in ROUND_SIDES if number > dev_rounds]
    flag = f" --dev-rounds {dev_rounds}" if dev_rounds else ""
    return [
        f"# {header_tag(dev_rounds)}GENERATED by scripts/real_clients_training.py{flag}",
        "# from tests/real_clients/: every round's training side ("
        + ", ".join(train for _, train, _ in ROUND_SIDES)
        + ")",
        "# and the dev sides "
        + (", ".join(trained) if trained else "of no round")
        + " (each once the round it judged was final);",
        "# never " + "".join(f"{dev}, " for dev in never) + "nor the test part.",
    ]


def render(dev_rounds: int = 0) -> tuple[str, list[str]]:
    intents, topics = domain_names()
    names_a_type = type_reader()
    by_label: dict[str, list[dict]] = {}
    skipped = []
    for question in questions_for(dev_rounds):
        typed = question["labels"][0].split(":", 1)[0] in TYPE_INTENTS
        label = training_label(
            question["labels"], intents, topics, not typed or names_a_type(question["text"])
        )
        if label is None:
            skipped.append(f"{question['labels'][0]}: {question['text']}")
            continue
        by_label.setdefault(label, []).append(question)
    lines = header(dev_rounds) + [
        "# Real clients' questions as written; `source` is the page each was copied from.",
        "# Edit the questions file, not this one, then run the script with --write.",
        'version: "3.1"',
        "nlu:",
    ]
    for label in sorted(by_label):
        lines += [f"- intent: {label}", "  examples:"]
        for question in by_label[label]:
            lines += [
                f"  - text: {json.dumps(question['text'], ensure_ascii=False)}",
                "    metadata:",
                f"      source: {json.dumps(question['source'])}",
            ]
    return "\n".join(lines) + "\n", skipped


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true")
    action.add_argument("--check", action="store_true")
    parser.add_argument(
        "--dev-rounds",
        type=int,
        choices=range(MAX_DEV_ROUNDS + 1),
        default=None,
        help="add the dev sides of rounds 1 to N (default: as the file's header says)",
    )
    for number, flag in enumerate(("--with-dev", "--with-dev2", "--with-dev3", "--with-dev4"), 1):
        # the flags each round used, kept so the README's commands still work
        parser.add_argument(flag, dest="dev_rounds", action="store_const", const=number)
    args = parser.parse_args()
    written = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
    dev_rounds = args.dev_rounds if args.dev_rounds is not None else dev_rounds_written(written)
    text, skipped = render(dev_rounds)
    if args.write:
        OUT.write_text(text, encoding="utf-8")
    elif not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
        print(
            f"{OUT} is not what the train questions and the domain give: run --write",
            file=sys.stderr,
        )
        return 1
    print(
        f"{text.count('  - text: ')} train questions written; {len(skipped)} with no answerable label yet"
    )
    for line in skipped:
        print("  skipped", line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
