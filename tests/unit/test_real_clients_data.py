"""The real client questions (tests/real_clients/) are what their README says:
sourced, labelled only with known names, free of duplicates, split once and
big enough to judge the assistant."""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from tests.real_clients import dataset

ROOT = Path(__file__).resolve().parents[2]
SPLIT_SCRIPT = ROOT / "scripts" / "real_clients_split.py"
VOCABULARY = dataset.load_vocabulary()
PARTS = dataset.load_parts()
ALL = [question for questions in PARTS.values() for question in questions]


def split_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("real_clients_split", SPLIT_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_both_parts_exist_and_are_big_enough() -> None:
    assert set(PARTS) == {"test", "train_dev"}
    assert len(PARTS["test"]) >= 150
    assert len(ALL) >= 400


@pytest.mark.parametrize("part", ["test", "train_dev"])
def test_every_entry_has_a_source_url_a_kind_and_known_labels(part: str) -> None:
    problems = [f"{q.get('text')!r}: {p}" for q in PARTS[part] for p in dataset.entry_problems(q, VOCABULARY)]
    assert not problems, "\n".join(problems)


def test_the_checker_catches_bad_entries() -> None:
    """The entry check above is only worth something if it can fail."""
    good = {"text": "Do I have to tip?", "labels": ["faq/tipping"], "source": "https://example.org/faq", "kind": "faq_page"}
    assert dataset.entry_problems(good, VOCABULARY) == []
    bad_cases = [
        {**good, "source": "example.org/faq"},
        {**good, "labels": []},
        {**good, "labels": ["faq/parking"]},
        {**good, "labels": ["ask_massage_type:reiki"]},
        {**good, "labels": ["compare_massage_types:swedish,deep_tissue"]},
        {**good, "labels": ["book_a_table"]},
        {**good, "kind": "tweet"},
        {**good, "answer": "Yes"},
    ]
    for bad in bad_cases:
        assert dataset.entry_problems(bad, VOCABULARY), bad


def test_no_duplicate_texts_within_or_across_parts() -> None:
    seen: dict[str, str] = {}
    duplicates = []
    for part, questions in PARTS.items():
        for question in questions:
            key = dataset.normalise(question["text"])
            if key in seen:
                duplicates.append(f"{question['text']!r} ({part}) = {seen[key]}")
            seen[key] = f"{question['text']!r} ({part})"
    assert not duplicates, "\n".join(duplicates)


def test_duplicate_check_ignores_case_punctuation_and_curly_quotes() -> None:
    assert dataset.normalise("Is it OK to tip?") == dataset.normalise("is it ok to tip")
    assert dataset.normalise("I’m late – what now?") == dataset.normalise("Im late, what now")


def test_no_contact_details_in_the_questions() -> None:
    email = re.compile(r"\S+@\S+\.\w+")
    phone = re.compile(r"\+?\d[\d ()-]{8,}\d")
    leaks = [q["text"] for q in ALL if email.search(q["text"]) or phone.search(q["text"])]
    assert not leaks, leaks


def test_the_test_part_says_it_is_never_trained_on() -> None:
    text = dataset.PARTS["test"].read_text(encoding="utf-8")
    header = text.split("\npart:", 1)[0]
    assert "NEVER train on these questions" in header
    assert yaml.safe_load(text)["part"] == "test"


def test_the_split_is_the_one_the_fixed_seed_gives() -> None:
    """Files, headers and README counts are what scripts/real_clients_split.py
    derives from the questions with its fixed seed: nobody redrew the split
    or moved a question by hand."""
    out = subprocess.run([sys.executable, str(SPLIT_SCRIPT), "--check"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr


def test_every_first_label_with_two_questions_is_in_both_parts() -> None:
    split = split_module()
    in_one_group = set(split.unsplittable_labels(ALL))
    counts = dataset.label_counts(ALL, first_only=True)
    test_counts = dataset.label_counts(PARTS["test"], first_only=True)
    missing = [label for label, n in counts.items()
               if n >= 2 and label not in in_one_group and test_counts.get(label, 0) in (0, n)]
    assert not missing, missing
    assert len(in_one_group) <= 3  # a label whose questions are all one paraphrase group


def test_paraphrases_from_one_page_share_a_part() -> None:
    where = {dataset.normalise(q["text"]): part for part, qs in PARTS.items() for q in qs}
    split = split_module()
    for group in split.groups(ALL):
        assert len({where[dataset.normalise(q["text"])] for q in group}) == 1, [q["text"] for q in group]


def test_new_topics_and_types_are_defined_and_used() -> None:
    counts = dataset.label_counts(ALL)
    for topic, definition in VOCABULARY["new_topics"].items():
        assert definition.strip(), topic
        assert counts.get(f"faq/{topic}", 0) >= 3, f"new topic {topic} needs 3+ questions"
    used_types = {label.split(":", 1)[1] for label in counts if label.startswith("ask_massage_type:")}
    for kind in VOCABULARY["massage_types"]["new"]:
        assert kind in used_types, f"new type {kind} is used by no question"


def test_contract_topics_are_the_assistants_faq_topics() -> None:
    domain_topics = set()
    for path in (ROOT / "data" / "responses").glob("*.yml"):
        responses = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses") or {}
        domain_topics |= {name.split("/", 1)[1] for name in responses if name.startswith("utter_faq/")}
    contract = set(VOCABULARY["contract_topics"])
    assert len(contract) == 33
    assert contract <= domain_topics
