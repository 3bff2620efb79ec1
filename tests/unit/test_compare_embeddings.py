"""scripts/compare_embeddings.py blends as the shipped classifier does and
never judges a side the classifier was trained on."""

from __future__ import annotations

import numpy as np
import pytest

from tests.script_loader import load_script


@pytest.fixture(scope="module")
def harness():
    return load_script("compare_embeddings")


def test_blends_only_unsure_messages_long_enough_with_the_embedding_s_weight(harness) -> None:
    fast = np.array([[0.95, 0.05], [0.6, 0.4], [0.6, 0.4], [0.5, 0.5]])
    slow = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    long_enough = np.array([True, True, False, True])
    out = harness.blend(fast, slow, below=0.9, weight=0.6, long_enough=long_enough)
    assert np.allclose(out[0], fast[0])  # sure: the embedding is not asked
    assert np.allclose(out[1], [0.24, 0.76])  # 0.4 x fast + 0.6 x embedding
    assert np.allclose(out[2], fast[2])  # too short
    assert np.allclose(out[3], [0.8, 0.2])


def test_each_dev_side_is_judged_by_a_classifier_that_never_saw_it(harness) -> None:
    from tests.real_clients.dataset import normalise

    texts, labels, _ = harness.load_training_with_origin()
    sets = harness.folds(texts, labels)
    assert set(harness.LEAVE_OUT) | {harness.FRESH} <= set(sets)
    for side in harness.LEAVE_OUT + (harness.FRESH,):
        kept, examples = sets[side]
        judged = {normalise(e.text) for e in examples}
        assert examples and not judged & {normalise(texts[i]) for i in kept}, side
    # the leave-one-out sides are in the training data today, so each fold really drops some
    for side in harness.LEAVE_OUT:
        assert len(sets[side][0]) < len(texts), side


def test_real_clients_examples_are_recognised_by_their_source(harness) -> None:
    texts, _, real = harness.load_training_with_origin()
    # data/nlu/real_clients_train.yml: every example has its page; the team's have none
    assert 1500 < sum(real) < len(texts)


def test_real_weights_are_tried_in_both_models_then_each_alone(harness) -> None:
    pairs = harness.weight_settings([1.0, 2.0, 3.0])
    assert pairs == [
        (1.0, 1.0),
        (2.0, 2.0),
        (3.0, 3.0),
        (2.0, 1.0),
        (3.0, 1.0),
        (1.0, 2.0),
        (1.0, 3.0),
    ]
    assert harness.sample_weights([True, False, True], [0, 1, 2], 1.0) is None  # today's fit
    assert harness.sample_weights([True, False, True], [1, 2], 3.0).tolist() == [1.0, 3.0]


def test_each_fold_s_examples_are_exported_once_and_later_sets_use_all_data(
    harness, tmp_path
) -> None:
    import json

    texts, labels, real = ["a", "b", "c"], ["x", "y", "x"], [True, False, False]
    sets = {"dev": ([0, 2], []), "dev8": ([0, 1, 2], []), "blind": ([0, 1, 2], [])}
    written = harness.export_folds(tmp_path, texts, labels, real, sets)
    assert written == {"dev": 2, "all": 3}
    assert harness.fold_of("dev8") == "all" and harness.fold_of("dev7") == "dev7"
    rows = [json.loads(line) for line in (tmp_path / "dev.jsonl").read_text().splitlines()]
    assert rows == [
        {"text": "a", "label": "x", "real": True},
        {"text": "c", "label": "x", "real": False},
    ]


def test_a_fine_tuned_head_gives_softmax_of_scaled_cosines_in_the_asked_order(
    harness, tmp_path
) -> None:
    import json

    from safetensors.numpy import save_file

    weight = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    save_file(
        {"weight": weight, "scale": np.array([2.0], dtype=np.float32)},
        str(tmp_path / "head.safetensors"),
    )
    (tmp_path / "head_labels.json").write_text(json.dumps(["a", "b"]))
    vectors = np.array([[1.0, 0.0], [0.6, 0.8]], dtype=np.float32)
    probs = harness.head_probabilities(tmp_path, vectors, ["b", "a"])
    expected = np.exp([[0.0, 2.0], [1.6, 1.2]])
    assert np.allclose(probs, expected / expected.sum(axis=1, keepdims=True), atol=1e-6)
