"""scripts/learning_curve.py keeps every team example and a seeded share of
the real clients', and scores only real sides no model trains on that judge
nothing any more."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from tests.real_clients import dataset
from tests.script_loader import load_script

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def curve():
    return load_script("learning_curve")


REAL = [False, True, True, False, True, True, True, True, False, True]


@pytest.mark.parametrize("fraction, real_kept", [(0.0, 0), (0.25, 2), (0.5, 4), (1.0, 7)])
def test_every_team_example_and_the_share_of_real_ones_are_kept(
    curve, fraction: float, real_kept: int
) -> None:
    kept = curve.kept_indices(REAL, fraction, seed=0)
    assert [i for i in kept if not REAL[i]] == [0, 3, 8]
    assert sum(REAL[i] for i in kept) == real_kept
    assert kept == sorted(set(kept))


def test_a_seed_draws_the_same_real_examples_and_another_seed_others(curve) -> None:
    assert curve.kept_indices(REAL, 0.5, seed=1) == curve.kept_indices(REAL, 0.5, seed=1)
    draws = {tuple(curve.kept_indices(REAL, 0.5, seed=s)) for s in range(5)}
    assert len(draws) > 1


def test_the_design_sides_are_neither_trained_on_nor_the_judge_nor_the_test_part(curve) -> None:
    latest = max(dataset.ROUNDS)
    judge = dataset.ROUNDS[latest][1][1]
    assert judge not in curve.DESIGN and "test" not in curve.DESIGN
    assert judge in curve.NEVER
    trained = {
        dataset.normalise(m.get("text"))
        for m in load_data(str(ROOT / "data" / "nlu")).intent_examples
    }
    for side in curve.DESIGN:
        number = next(n for n, (_, sides) in dataset.ROUNDS.items() if side in sides)
        questions = dataset.load_round(number, side)
        assert questions, side
        assert not {dataset.normalise(q["text"]) for q in questions} & trained, side
