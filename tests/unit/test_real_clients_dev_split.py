"""The train/dev part's one-time division into train and dev (issue 10):
re-derivable from its fixed seed, disjoint, complete, stratified."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.real_clients import dataset

ROOT = Path(__file__).resolve().parents[2]


def test_the_division_is_the_one_the_fixed_seed_gives() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "real_clients_dev_split.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr


def test_train_and_dev_are_disjoint_and_cover_the_part() -> None:
    train, dev = dataset.load_train_dev("train"), dataset.load_train_dev("dev")
    ids = lambda qs: {dataset.normalise(q["text"]) for q in qs}  # noqa: E731
    assert not ids(train) & ids(dev)
    assert ids(train) | ids(dev) == ids(dataset.load_part(dataset.PARTS["train_dev"]))
    assert 0.3 < len(dev) / (len(train) + len(dev)) < 0.5


def test_every_first_label_with_two_groups_is_on_both_sides() -> None:
    train = dataset.label_counts(dataset.load_train_dev("train"), first_only=True)
    dev = dataset.label_counts(dataset.load_train_dev("dev"), first_only=True)
    assert train.get("out_of_scope") and dev.get("out_of_scope")
    assert train.get("start_screening") and dev.get("start_screening")
