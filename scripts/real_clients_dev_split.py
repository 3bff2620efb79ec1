"""Divide the real client TRAIN/DEV part ONCE into `train` and `dev` (issue 10).

`train` (~60%) may be added to the training data (each example naming its
source page); `dev` (~40%) is never trained on and is where features,
thresholds and the fallback are chosen. The test part is not read here.

Same rules as the test split (tests/real_clients/splitting.py `assign`):
stratified by first label, near paraphrases kept together, a fixed seed
chosen before the split was drawn (2026-12-01) and never changed. The
result is kept as lists of question ids (`dataset.normalise` of the text)
in tests/real_clients/train_dev_split.yml, so a later edit of the part file
cannot silently move a question from dev to train.

    python scripts/real_clients_dev_split.py --write   # once
    python scripts/real_clients_dev_split.py --check   # the file is what the seed gives
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.real_clients import dataset, splitting  # noqa: E402  (after the path is set)

SEED = 2026120110  # fixed before the split was drawn; never redraw
DEV_SHARE = 0.4


def derive() -> dict[str, list[str]]:
    """Ids of the train and dev questions, in part-file order."""
    questions = dataset.load_part(dataset.PARTS["train_dev"])
    where = splitting.assign(questions, seed=SEED, share=DEV_SHARE, parts=("dev", "train"))
    ids = [dataset.normalise(q["text"]) for q in questions]
    return {name: [i for i in ids if where[i] == name] for name in ("train", "dev")}


def render(split: dict[str, list[str]]) -> str:
    lines = [
        "# The real client TRAIN/DEV part divided once into train and dev (issue 10).",
        f"# Written by scripts/real_clients_dev_split.py (seed {SEED:d}, dev share {DEV_SHARE:.1f},",
        "# stratified by first label, near paraphrases together); `--check` re-derives it.",
        "# Ids are dataset.normalise(text) of questions_train_dev.yml's entries.",
        "# train: may be added to the training data (with its source URL).",
        "# dev: NEVER trained on; features, thresholds and wording are chosen on it.",
        f"seed: {SEED}",
        f"dev_share: {DEV_SHARE}",
    ]
    for name in ("train", "dev"):
        lines.append(f"{name}:  # {len(split[name])} questions")
        lines += [f'- "{i}"' for i in split[name]]
    return "\n".join(lines) + "\n"


def main() -> int:
    write = splitting.parse_write(__doc__)
    split = derive()
    texts = {dataset.TRAIN_DEV_SPLIT: render(split)}
    if not splitting.write_or_check(texts, write, "not what the fixed seed gives"):
        return 1
    print(f"train {len(split['train'])}, dev {len(split['dev'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
