"""scripts/compare_classifiers.py reads both data formats and scores as the
assistant would answer: right, honestly declined, or confidently wrong."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.script_loader import load_script


@pytest.fixture(scope="module")
def compare():
    return load_script("compare_classifiers")


def test_reads_the_real_client_format_with_several_labels(compare, tmp_path: Path) -> None:
    path = tmp_path / "questions.yml"
    path.write_text(
        "questions:\n"
        "- text: Am I supposed to take off my underwear?\n"
        "  labels: [faq/undressing_draping, faq/what_to_wear]\n"
        "  source: https://example.invalid/faq\n"
        "- text: no label yet\n"
        "  labels: []\n"
    )
    [example] = compare.load_examples(path)
    assert example.text.startswith("Am I") and example.labels == (
        "faq/undressing_draping",
        "faq/what_to_wear",
    )


def test_reads_rasa_nlu_yaml_with_topics(compare, tmp_path: Path) -> None:
    path = tmp_path / "nlu.yml"
    path.write_text(
        'version: "3.1"\nnlu:\n- intent: faq/prices\n  examples: |\n    - how much is it\n'
        "- intent: greet\n  examples: |\n    - hiya\n"
    )
    examples = compare.load_examples(path)
    assert [(e.text, e.labels) for e in examples] == [
        ("how much is it", ("faq/prices",)),
        ("hiya", ("greet",)),
    ]


def test_scores_right_declined_and_confidently_wrong(compare) -> None:
    labels = ["faq/prices", "faq/opening_hours", "greet"]
    examples = [
        compare.Example("how much", ("faq/prices",)),
        compare.Example("open?", ("faq/opening_hours",)),
        compare.Example("hiya", ("greet",)),
        compare.Example("weather?", ("nlu_fallback", "out_of_scope")),
    ]
    probs = np.array(
        [
            [0.9, 0.05, 0.05],  # faq/prices, intent faq 0.95: answered, right
            [0.8, 0.15, 0.05],  # faq/prices for an hours question, faq 0.95: confidently wrong
            [0.1, 0.2, 0.7],  # greet 0.7 against faq 0.3: answered, right
            [0.25, 0.25, 0.5],  # faq 0.5 against greet 0.5: ambiguous, declined (acceptable here)
        ]
    )
    result = compare.score(probs, labels, examples, 0.45, 0.05)
    assert result["accuracy"] == 0.5
    assert (
        result["acceptable"] == 0.75
        and result["fallback"] == 0.25
        and result["confidently_wrong"] == 0.25
    )
    assert [e["text"] for e in result["errors"]] == ["open?", "weather?"]


def test_the_embedding_is_consulted_only_below_the_threshold(compare) -> None:
    fast = np.array([[0.9, 0.1], [0.55, 0.45], [0.3, 0.7]])
    slow = np.array([[0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    switched, share = compare.combine(fast, slow, 0.6, "switch")
    assert share == pytest.approx(1 / 3)
    assert np.array_equal(switched, np.array([[0.9, 0.1], [0.0, 1.0], [0.3, 0.7]]))
    blended, _ = compare.combine(fast, slow, 0.6, "blend")
    assert np.allclose(blended[1], [0.275, 0.725]) and np.array_equal(blended[[0, 2]], fast[[0, 2]])
