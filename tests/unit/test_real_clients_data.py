"""The real client questions (tests/real_clients/) are what their README says:
sourced, labelled only with known names, free of duplicates, split once and
big enough to judge the assistant. Round one is the test and train/dev parts;
round two (questions_round2.yml) is fresh train2/dev2 data from other pages,
and round three (questions_round3.yml) fresh train3/dev3 data from yet others.

No assertion message here prints a question of round one's test part: a
failure names the round-two entry or a count, never the test question."""

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
ROUND2_SCRIPT = ROOT / "scripts" / "real_clients_round2_split.py"
ROUND3_SCRIPT = ROOT / "scripts" / "real_clients_round3_split.py"
VOCABULARY = dataset.load_vocabulary()
PARTS = dataset.load_parts()
ALL = [question for questions in PARTS.values() for question in questions]  # round one
ROUND2 = dataset.load_round2()
ROUND3 = dataset.load_round3()
EVERY = ALL + ROUND2 + ROUND3


def by_length(questions: list[dict]) -> dict[int, list[tuple[list[str], str]]]:
    """Questions' `near_tokens`, bucketed by length (near duplicates have equal lengths)."""
    buckets: dict[int, list[tuple[list[str], str]]] = {}
    for q in questions:
        tokens = dataset.near_tokens(q["text"])
        buckets.setdefault(len(tokens), []).append((tokens, q["text"]))
    return buckets


def clashes(
    mine: list[dict], others: dict[int, list[tuple[list[str], str]]]
) -> list[tuple[str, str]]:
    """(my text, other text) for every near-exact duplicate of one of mine among others."""
    found = []
    for q in mine:
        tokens = dataset.near_tokens(q["text"])
        found += [
            (q["text"], text)
            for other, text in others.get(len(tokens), [])
            if text != q["text"] and dataset.near_duplicate_tokens(tokens, other)
        ]
    return found


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
    problems = [
        f"{q.get('text')!r}: {p}"
        for q in PARTS[part]
        for p in dataset.entry_problems(q, VOCABULARY)
    ]
    assert not problems, "\n".join(problems)


def test_the_checker_catches_bad_entries() -> None:
    """The entry check above is only worth something if it can fail."""
    good = {
        "text": "Do I have to tip?",
        "labels": ["faq/tipping"],
        "source": "https://example.org/faq",
        "kind": "faq_page",
    }
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
    """Exact duplicates (dataset.normalise) within or across every part of all
    rounds. A clash with the test part is reported by the other entry only."""
    seen: dict[str, str] = {}
    duplicates = []
    sides = {
        **PARTS,
        **{name: dataset.load_round2(name) for name in dataset.ROUND2_SPLITS},
        **{name: dataset.load_round3(name) for name in dataset.ROUND3_SPLITS},
    }
    for part, questions in sides.items():
        for question in questions:
            key = dataset.normalise(question["text"])
            shown = "(a test question)" if part == "test" else f"{question['text']!r} ({part})"
            if key in seen:
                duplicates.append(f"{shown} = {seen[key]}")
            seen[key] = shown
    assert not duplicates, "\n".join(duplicates)


def test_duplicate_check_ignores_case_punctuation_and_curly_quotes() -> None:
    assert dataset.normalise("Is it OK to tip?") == dataset.normalise("is it ok to tip")
    assert dataset.normalise("I’m late – what now?") == dataset.normalise("Im late, what now")


def test_no_contact_details_in_the_questions() -> None:
    email = re.compile(r"\S+@\S+\.\w+")
    phone = re.compile(r"\+?\d[\d ()-]{8,}\d")
    leaks = [q["text"] for q in EVERY if email.search(q["text"]) or phone.search(q["text"])]
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
    out = subprocess.run(
        [sys.executable, str(SPLIT_SCRIPT), "--check"], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr


def test_every_first_label_with_two_questions_is_in_both_parts() -> None:
    split = split_module()
    in_one_group = set(split.unsplittable_labels(ALL))
    counts = dataset.label_counts(ALL, first_only=True)
    test_counts = dataset.label_counts(PARTS["test"], first_only=True)
    missing = [
        label
        for label, n in counts.items()
        if n >= 2 and label not in in_one_group and test_counts.get(label, 0) in (0, n)
    ]
    assert not missing, missing
    assert len(in_one_group) <= 3  # a label whose questions are all one paraphrase group


def test_paraphrases_from_one_page_share_a_part() -> None:
    where = {dataset.normalise(q["text"]): part for part, qs in PARTS.items() for q in qs}
    split = split_module()
    for group in split.groups(ALL):
        assert len({where[dataset.normalise(q["text"])] for q in group}) == 1, [
            q["text"] for q in group
        ]


def test_new_topics_and_types_are_defined_and_used() -> None:
    counts = dataset.label_counts(EVERY)
    for topic, definition in VOCABULARY["new_topics"].items():
        assert definition.strip(), topic
        assert counts.get(f"faq/{topic}", 0) >= 3, f"new topic {topic} needs 3+ questions"
    used_types = {
        label.split(":", 1)[1] for label in counts if label.startswith("ask_massage_type:")
    }
    for kind in VOCABULARY["massage_types"]["new"]:
        assert kind in used_types, f"new type {kind} is used by no question"


def test_round_two_topics_are_defined_needed_and_listed_once() -> None:
    """A topic round two added needs a definition and 5+ round-two questions
    (its brief's rule). It sits in `new_topics_round2` while the assistant
    does not answer it and in `new_topics` once it does
    (tests/unit/test_clinic_life_answers.py checks every `new_topics` entry
    has an answer), never in both."""
    counts = dataset.label_counts(ROUND2)
    waiting = VOCABULARY.get("new_topics_round2") or {}
    added = VOCABULARY.get("round2_added") or []
    assert set(waiting) <= set(added), "a round-two topic missing from round2_added"
    for topic in added:
        in_new, in_waiting = topic in VOCABULARY["new_topics"], topic in waiting
        assert in_new != in_waiting, f"{topic}: in exactly one of new_topics, new_topics_round2"
        definition = VOCABULARY["new_topics"].get(topic) or waiting.get(topic) or ""
        assert definition.strip(), topic
        assert counts.get(f"faq/{topic}", 0) >= 5, f"round-two topic {topic} needs 5+ questions"
        assert topic not in VOCABULARY["contract_topics"], topic


def test_contract_topics_are_the_assistants_faq_topics() -> None:
    domain_topics = set()
    for path in (ROOT / "data" / "responses").glob("*.yml"):
        responses = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses") or {}
        domain_topics |= {
            name.split("/", 1)[1] for name in responses if name.startswith("utter_faq/")
        }
    contract = set(VOCABULARY["contract_topics"])
    assert len(contract) == 33
    assert contract <= domain_topics


# --------------------------------------------------------------------------- round two


def test_round_two_exists_and_is_big_enough() -> None:
    assert len(ROUND2) >= 500
    sides = {name: dataset.load_round2(name) for name in dataset.ROUND2_SPLITS}
    assert sum(map(len, sides.values())) == len(ROUND2), "an entry without a train2/dev2 side"
    assert 0.3 < len(sides["dev2"]) / len(ROUND2) < 0.5


def test_every_round_two_entry_has_a_source_a_kind_known_labels_and_a_side() -> None:
    problems = [
        f"{q.get('text')!r}: {p}" for q in ROUND2 for p in dataset.entry_problems(q, VOCABULARY)
    ]
    problems += [
        f"{q.get('text')!r}: no split"
        for q in ROUND2
        if q.get("split") not in dataset.ROUND2_SPLITS
    ]
    assert not problems, "\n".join(problems)


def test_round_two_comes_from_pages_round_one_did_not_use() -> None:
    used = {dataset.page_key(url) for q in ALL for url in [q["source"], *q.get("also_at", [])]}
    reused = sorted(
        {
            url
            for q in ROUND2
            for url in [q["source"], *q.get("also_at", [])]
            if dataset.page_key(url) in used
        }
    )
    assert not reused, reused


def test_no_page_is_an_adult_services_site() -> None:
    """Pages advertising sexual services were left out (README): a cheap guard
    on the page's host."""
    adult = re.compile(r"escort|erotic|sexservice|adult", re.I)
    hosts = sorted(
        {
            dataset.page_key(url).split("/", 1)[0]
            for q in EVERY
            for url in [q["source"], *q.get("also_at", [])]
        }
    )
    assert not [host for host in hosts if adult.search(host)]


def test_near_duplicate_catches_trivial_variants_and_keeps_paraphrases() -> None:
    assert dataset.near_duplicate(
        "Am I supposed to take of my underwear?", "AM I SUPPOSED TO TAKE OFF MY UNDERWEAR?"
    )
    assert dataset.near_duplicate("Can I talk during a massage?", "Can I talk during the massage?")
    assert (
        dataset.near_duplicate(
            "Can I get a massage after Botox?", "Can I get a facial after Botox?"
        )
        is False
    )
    assert (
        dataset.near_duplicate(
            "What should you not do before a facial?", "What should you not do after a facial?"
        )
        is False
    )
    assert (
        dataset.near_duplicate(
            "How often should I get a Thai massage?", "How often should I get a facial massage?"
        )
        is False
    )
    assert dataset.near_duplicate("Is Pregnancy Massage safe?", "Is pregnancy massages safe")


def test_no_round_two_question_is_a_near_exact_duplicate_of_any_other() -> None:
    """Round two against round one (test part included, compared in code only)
    and against itself, with dataset.near_duplicate. Failures name the
    round-two entry, or only count the clashes with the test part."""

    with_train_dev = clashes(ROUND2, by_length(PARTS["train_dev"]))
    assert not with_train_dev, with_train_dev
    with_test = clashes(ROUND2, by_length(PARTS["test"]))
    # A count only: a round-two text that repeats a test question would show it.
    assert not with_test, f"{len(with_test)} round-two questions repeat a test question"
    within = clashes(ROUND2, by_length(ROUND2))
    assert not within, within


def test_round_two_split_is_the_one_the_fixed_seed_gives() -> None:
    """Every entry's `split`, the file's order and header and the README's
    round-two counts are what scripts/real_clients_round2_split.py derives with
    its fixed seed: nobody redrew the split or moved a question by hand."""
    out = subprocess.run(
        [sys.executable, str(ROUND2_SCRIPT), "--check"], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr


def test_round_two_first_labels_with_two_groups_are_on_both_sides() -> None:
    split = split_module()
    in_one_group = set(split.unsplittable_labels(ROUND2))
    counts = dataset.label_counts(ROUND2, first_only=True)
    dev2 = dataset.label_counts(dataset.load_round2("dev2"), first_only=True)
    missing = [
        label
        for label, n in counts.items()
        if n >= 2 and label not in in_one_group and dev2.get(label, 0) in (0, n)
    ]
    assert not missing, missing


def test_round_two_paraphrases_share_a_side() -> None:
    for group in split_module().groups(ROUND2):
        assert len({q["split"] for q in group}) == 1, [q["text"] for q in group]


# --------------------------------------------------------------------------- round three


def test_round_three_exists_and_is_big_enough() -> None:
    assert len(ROUND3) >= 400
    sides = {name: dataset.load_round3(name) for name in dataset.ROUND3_SPLITS}
    assert sum(map(len, sides.values())) == len(ROUND3), "an entry without a train3/dev3 side"
    assert 0.4 < len(sides["dev3"]) / len(ROUND3) < 0.6


def test_every_round_three_entry_has_a_source_a_kind_known_labels_and_a_side() -> None:
    problems = [
        f"{q.get('text')!r}: {p}" for q in ROUND3 for p in dataset.entry_problems(q, VOCABULARY)
    ]
    problems += [
        f"{q.get('text')!r}: no train3/dev3 split"
        for q in ROUND3
        if q.get("split") not in dataset.ROUND3_SPLITS
    ]
    assert not problems, "\n".join(problems)


def test_round_three_comes_from_pages_earlier_rounds_did_not_use() -> None:
    used = {
        dataset.page_key(url) for q in ALL + ROUND2 for url in [q["source"], *q.get("also_at", [])]
    }
    reused = sorted(
        {
            url
            for q in ROUND3
            for url in [q["source"], *q.get("also_at", [])]
            if dataset.page_key(url) in used
        }
    )
    assert not reused, reused


def test_no_round_three_question_is_a_near_exact_duplicate_of_any_other() -> None:
    """Round three against round one (test part included, compared in code
    only), round two and itself. Failures name the round-three entry, or only
    count the clashes with the test part."""
    earlier = clashes(ROUND3, by_length(PARTS["train_dev"] + ROUND2))
    assert not earlier, earlier
    with_test = clashes(ROUND3, by_length(PARTS["test"]))
    # A count only: a round-three text that repeats a test question would show it.
    assert not with_test, f"{len(with_test)} round-three questions repeat a test question"
    within = clashes(ROUND3, by_length(ROUND3))
    assert not within, within


def test_round_three_split_is_the_one_the_fixed_seed_gives() -> None:
    """Every entry's `split`, the file's order and header and the README's
    round-three counts are what scripts/real_clients_round3_split.py derives
    with its fixed seed: nobody moved a question from dev3 to train3 by hand."""
    out = subprocess.run(
        [sys.executable, str(ROUND3_SCRIPT), "--check"], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr


def test_round_three_first_labels_with_two_groups_are_on_both_sides() -> None:
    split = split_module()
    in_one_group = set(split.unsplittable_labels(ROUND3))
    counts = dataset.label_counts(ROUND3, first_only=True)
    dev3 = dataset.label_counts(dataset.load_round3("dev3"), first_only=True)
    missing = [
        label
        for label, n in counts.items()
        if n >= 2 and label not in in_one_group and dev3.get(label, 0) in (0, n)
    ]
    assert not missing, missing


def test_round_three_paraphrases_share_a_side() -> None:
    for group in split_module().groups(ROUND3):
        assert len({q["split"] for q in group}) == 1, [q["text"] for q in group]
