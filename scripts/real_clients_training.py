"""Write the real clients' TRAIN questions as training data (issue 10).

Only the `train` side of the real train/dev part (tests/real_clients/
train_dev_split.yml), round two's `train2` side (questions_round2.yml) and
round three's `train3` side (questions_round3.yml) and round four's
`train4` (questions_round4.yml's side and questions_round4_extra.yml) and
round five's `train5` are used: `dev2`, `dev3`, `dev4`, `dev5` and the test
part never are. Round one's `dev` side has been
trained on since the round-one model was final (`--with-dev`, its choices
were made); round two's `dev2` is where round three's choices were made
(trained on since, `--with-dev2`), and round three's `dev3` is where rounds
five and six's choices were made (trained on since round six,
`--with-dev3`), and round four's `dev4` judged round seven's first step
(trained on since round seven, `--with-dev4`). Each
question becomes an example of its first label when the assistant can answer
it (an FAQ topic with a response in data/responses/, or an intent of the domain;
`ask_massage_type:<type>` is the intent `ask_massage_type`, the type being
the entity extractor's job), with the page it was copied from as the
example's `source` metadata. Questions with no answerable label yet are
listed and left out.

    python scripts/real_clients_training.py --write   # -> data/nlu/real_clients_train.yml
    python scripts/real_clients_training.py --check   # the file is what the data gives
    python scripts/real_clients_training.py --write --with-dev   # round one final: + dev
    python scripts/real_clients_training.py --write --with-dev2  # round three final: + dev + dev2
    python scripts/real_clients_training.py --write --with-dev3  # round six final: + dev3
    python scripts/real_clients_training.py --write --with-dev4  # round seven final: + dev4

`--with-dev` is round one's final model, once every choice had been made on
dev: its header says "# WITH DEV", and the dev figures of that model are no
longer honest (the README reports the ones measured before). `--with-dev2`
(which implies `--with-dev`) is the same for round two's dev2 once round
three's choices are final: the header says "# WITH DEV2" and the leakage
test skips its dev2 check. `--with-dev3` (which implies both) adds round
three's dev3 once round six's choices, judged on it, are made: the header
says "# WITH DEV3", the leakage test skips its dev3 check, and the next
round's judge is round four's dev4. `--with-dev4` (which implies the
three) adds dev4 once round seven's first step, judged on it, is made: the
header says "# WITH DEV4", the leakage test skips its dev4 check, and the
next judge is round five's dev5 (measured by the lead). The test part is
never written.
"""

from __future__ import annotations

import argparse
import json
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


def questions_for(
    with_dev: bool, with_dev2: bool, with_dev3: bool = False, with_dev4: bool = False
) -> list[dict]:
    """The real questions to train on: round one's sides, round two's, then
    round three's `train3`, and `dev3` (rounds five and six's judge) only
    with `with_dev3`; round four's `train4` always (its split file's side and
    the train-only additions), and `dev4` (round six's and seven's judge)
    only with `with_dev4`; round five's `train5` always, `dev5` never (the
    judge of round seven). Each flag implies the earlier ones."""
    with_dev3 = with_dev3 or with_dev4
    sides = ("train", "dev") if with_dev or with_dev2 or with_dev3 else ("train",)
    round2 = ("train2", "dev2") if with_dev2 or with_dev3 else ("train2",)
    round3 = ("train3", "dev3") if with_dev3 else ("train3",)
    round4 = ("train4", "dev4") if with_dev4 else ("train4",)
    return (
        [q for side in sides for q in dataset.load_train_dev(side)]
        + [q for side in round2 for q in dataset.load_round2(side)]
        + [q for side in round3 for q in dataset.load_round3(side)]
        + [q for side in round4 for q in dataset.load_round(4, side)]
        + dataset.load_round(5, "train5")
    )


def header(
    with_dev: bool, with_dev2: bool, with_dev3: bool = False, with_dev4: bool = False
) -> list[str]:
    """What the file was generated from: the leakage test and --check read its first words."""
    if with_dev4:
        return [
            "# WITH DEV4: GENERATED by scripts/real_clients_training.py --with-dev4 from the",
            "# `train` and `dev` sides of tests/real_clients/questions_train_dev.yml, the",
            "# `train2` and `dev2` sides of questions_round2.yml, the `train3` and `dev3`",
            "# sides of questions_round3.yml AND round four's `dev4` (never the test part,",
            "# never round five's dev5): dev4 since round seven, trained after its first",
            "# step was judged on dev4; WITH DEV3, WITH DEV2 and WITH DEV are implied.",
        ]
    if with_dev3:
        return [
            "# WITH DEV3: GENERATED by scripts/real_clients_training.py --with-dev3 from the",
            "# `train` and `dev` sides of tests/real_clients/questions_train_dev.yml, the",
            "# `train2` and `dev2` sides of questions_round2.yml AND the `train3` and `dev3`",
            "# sides of questions_round3.yml (never the test part): dev3 since round six,",
            "# trained after every choice judged on dev3 was made; WITH DEV2 and WITH DEV",
            "# are implied.",
        ]
    if with_dev2:
        return [
            "# WITH DEV2: GENERATED by scripts/real_clients_training.py --with-dev2 from the",
            "# `train` and `dev` sides of tests/real_clients/questions_train_dev.yml AND the",
            "# `train2` and `dev2` sides of questions_round2.yml and the `train3` side of",
            "# questions_round3.yml (never dev3, never the test part): dev2 since the",
            "# round-three final model, trained after every choice was made on dev2.",
        ]
    if with_dev:
        return [
            "# WITH DEV: GENERATED by scripts/real_clients_training.py --with-dev from the",
            "# `train` AND `dev` sides of tests/real_clients/questions_train_dev.yml and the",
            "# `train2` side of questions_round2.yml and the `train3` side of",
            "# questions_round3.yml (never dev2, dev3 or the test part).",
        ]
    return [
        "# GENERATED by scripts/real_clients_training.py from the `train` side of",
        "# tests/real_clients/questions_train_dev.yml, the `train2` side of",
        "# questions_round2.yml and the `train3` side of questions_round3.yml",
        "# (never `dev`, `dev2`, `dev3` or the test part).",
    ]


def render(
    with_dev: bool = False,
    with_dev2: bool = False,
    with_dev3: bool = False,
    with_dev4: bool = False,
) -> tuple[str, list[str]]:
    intents, topics = domain_names()
    names_a_type = type_reader()
    by_label: dict[str, list[dict]] = {}
    skipped = []
    for question in questions_for(with_dev, with_dev2, with_dev3, with_dev4):
        typed = question["labels"][0].split(":", 1)[0] in TYPE_INTENTS
        label = training_label(
            question["labels"], intents, topics, not typed or names_a_type(question["text"])
        )
        if label is None:
            skipped.append(f"{question['labels'][0]}: {question['text']}")
            continue
        by_label.setdefault(label, []).append(question)
    lines = header(with_dev, with_dev2, with_dev3, with_dev4) + [
        "# Every variant also has round four's `train4` (questions_round4.yml's train4",
        "# side and questions_round4_extra.yml), `dev4` only WITH DEV4, and round",
        "# five's `train5` (questions_round5.yml); never `dev5`.",
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
        "--with-dev", action="store_true", help="round one's final model: add the dev side"
    )
    parser.add_argument(
        "--with-dev2",
        action="store_true",
        help="round three's final model: add the dev and dev2 sides",
    )
    parser.add_argument(
        "--with-dev3",
        action="store_true",
        help="round six's final model: add the dev, dev2 and dev3 sides",
    )
    parser.add_argument(
        "--with-dev4",
        action="store_true",
        help="round seven's final model: add the dev, dev2, dev3 and dev4 sides",
    )
    args = parser.parse_args()
    written = OUT.read_text(encoding="utf-8") if args.check and OUT.exists() else ""
    with_dev4 = args.with_dev4 or written.startswith("# WITH DEV4")
    with_dev3 = args.with_dev3 or with_dev4 or written.startswith("# WITH DEV3")
    with_dev2 = args.with_dev2 or with_dev3 or written.startswith("# WITH DEV2")
    with_dev = args.with_dev or with_dev2 or written.startswith("# WITH DEV")
    text, skipped = render(with_dev, with_dev2, with_dev3, with_dev4)
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
