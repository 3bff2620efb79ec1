"""scripts/label_agreement.py: the agreement figures between two labellings of
the real client questions (issue 10), on a tiny fixture worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.script_loader import load_script

la = load_script("label_agreement")

# Four questions. Original firsts x, y, x, y; second firsts x, z, y, y.
ORIGINAL = [
    ("dev4", {"text": "Question A?", "labels": ["x", "y"]}),
    ("dev4", {"text": "Question B?", "labels": ["y"]}),
    ("dev5", {"text": "Question C?", "labels": ["x"]}),
    ("dev5", {"text": "Question D?", "labels": ["y", "x"]}),
]
SECOND_YAML = """\
# header
questions:
- text: "question d"          # matched up to case and punctuation
  labels: [y]
- text: Question A?
  labels: [x]
- text: Question B?
  labels: [z, y]
- text: Question C?
  labels: [y]
"""


@pytest.fixture()
def pairs(tmp_path: Path) -> list:
    path = tmp_path / "second.yml"
    path.write_text(SECOND_YAML, encoding="utf-8")
    return la.pair_up(ORIGINAL, la.load_second(path))


def test_each_pair_is_judged_as_worked_out_by_hand(pairs: list) -> None:
    a, b, c, d = pairs
    assert (a.same_first, a.compatible, a.disjoint) == (True, True, False)
    # B: their first (y) is in the second list, but the second's first (z) is not in theirs
    assert (b.same_first, b.compatible, b.disjoint) == (False, False, False)
    # C: x against y, nothing shared
    assert (c.same_first, c.compatible, c.disjoint) == (False, False, True)
    assert (d.same_first, d.compatible, d.disjoint) == (True, True, False)


def test_overall_figures_and_kappa(pairs: list) -> None:
    result = la.agreement(pairs)
    assert result.n == 4
    assert result.same_first == 0.5
    assert result.compatible == 0.5
    assert result.disjoint == 0.25
    # observed 0.5; chance: x .5*.25 + y .5*.5 = .375; (0.5-0.375)/(1-0.375)
    assert result.kappa == pytest.approx(0.2)


def test_per_side_and_all(pairs: list) -> None:
    result = la.by_side(pairs)
    assert list(result) == ["dev4", "dev5", "all"]
    assert (
        result["dev4"].n == 2 and result["dev4"].same_first == 0.5 and result["dev4"].disjoint == 0
    )
    assert result["dev5"].same_first == 0.5 and result["dev5"].disjoint == 0.5
    assert "| all | 4 | 50.0% | 0.200 | 50.0% | 25.0% |" in la.table(result)


def test_disagreements_are_counted_by_first_label_pair(pairs: list) -> None:
    assert la.disagreement_pairs(pairs) == {("y", "z"): 1, ("x", "y"): 1}
    assert la.disagreement_pairs(pairs, "disjoint") == {("x", "y"): 1}


def test_perfect_agreement_on_one_label_is_kappa_one() -> None:
    same = [la.Pair("q", "dev4", ("x",), ("x",)), la.Pair("r", "dev4", ("x",), ("x", "y"))]
    assert la.agreement(same).kappa == 1.0


def test_different_question_sets_are_refused() -> None:
    with pytest.raises(ValueError, match="no second label"):
        la.pair_up(ORIGINAL, [{"text": "Question A?", "labels": ["x"]}])
    extra = [{"text": t["text"], "labels": ["x"]} for _, t in ORIGINAL] + [
        {"text": "Other?", "labels": ["x"]}
    ]
    with pytest.raises(ValueError, match="match no question"):
        la.pair_up(ORIGINAL, extra)
    twice = [{"text": "Question A?", "labels": ["x"]}, {"text": "question a", "labels": ["y"]}]
    with pytest.raises(ValueError, match="twice"):
        la.pair_up(ORIGINAL, twice)


def test_the_second_labelling_covers_exactly_the_measured_dev_sides() -> None:
    pairs = la.pair_up(la.load_original(), la.load_second())
    assert {p.side for p in pairs} == {"dev4", "dev5"}
    assert len(pairs) == 263


def test_every_second_label_is_a_vocabulary_name() -> None:
    from tests.real_clients import dataset

    vocabulary = dataset.load_vocabulary()
    problems = [
        (entry["text"], label, dataset.label_problem(label, vocabulary))
        for entry in la.load_second()
        for label in entry["labels"]
        if dataset.label_problem(label, vocabulary)
    ]
    assert not problems


# --- the judges (dev6 and the real test part): aggregates only ---

JUDGE_ORIGINAL = [
    ("dev6", {"text": "Question A?", "labels": ["x", "y"]}),
    ("test", {"text": "Question B?", "labels": ["y"]}),
]
JUDGE_SECOND = [
    {"text": "Question A?", "labels": ["x"]},
    {"text": "Question B?", "labels": ["z"]},
]


def test_each_second_labelling_file_names_its_sides(tmp_path: Path) -> None:
    assert la.sides_of(la.SECOND) == ("dev4", "dev5")
    assert la.sides_of(la.SECOND_JUDGES) == ("dev6", "test")
    assert la.sides_of(la.SECOND_ROUND12) == ("dev10", "dev11")
    with pytest.raises(ValueError, match="not a known second labelling"):
        la.sides_of(tmp_path / "other.yml")


#: Each judges' second labelling and how the refusal names its sides.
JUDGE_FILES = [(la.SECOND_JUDGES, "dev6, test"), (la.SECOND_ROUND12, "dev10, dev11")]


@pytest.mark.parametrize("path, named", JUDGE_FILES)
@pytest.mark.parametrize("flag", ["--list", "--pairs"])
def test_the_judges_disagreements_are_refused_before_anything_is_read(
    flag: str,
    path: Path,
    named: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    def never(*_args):
        raise AssertionError("read a judge's labels")

    monkeypatch.setattr(la, "load_original", never)
    monkeypatch.setattr(la, "load_second", never)
    with pytest.raises(SystemExit) as exit_:
        la.main(["--file", str(path), flag])
    assert exit_.value.code == 2
    assert f"{named}: a judge; only the aggregate figures are shown" in capsys.readouterr().err


def test_an_unknown_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        la.main(["--file", str(tmp_path / "other.yml")])
    assert "not a known second labelling" in capsys.readouterr().err


def test_on_the_judges_only_the_figures_are_printed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setattr(la, "load_original", lambda sides: JUDGE_ORIGINAL)
    monkeypatch.setattr(la, "load_second", lambda path: JUDGE_SECOND)
    assert la.main(["--file", str(la.SECOND_JUDGES)]) == 0
    out = capsys.readouterr().out
    assert "| dev6 | 1 | 100.0% |" in out and "| test | 1 | 0.0% |" in out
    assert "| all | 2 | 50.0% |" in out
    # no question text and no label of a judge's question
    assert "Question" not in out and "| x" not in out and " z" not in out
    assert out.count("\n") == 5  # header, rule, dev6, test, all


def test_the_test_side_is_the_test_part() -> None:
    from tests.real_clients import dataset

    # texts only: a failing comparison must not print a judge's labels
    def texts(questions: list) -> list:
        return [q["text"] for q in questions]

    assert texts(la.load_side("test")) == texts(dataset.load_part(dataset.PARTS["test"]))
    assert texts(la.load_side("dev4")) == texts(dataset.load_round(4, "dev4"))


@pytest.mark.parametrize(
    "path, sides, size",
    [(la.SECOND_JUDGES, {"dev6", "test"}, 340), (la.SECOND_ROUND12, {"dev10", "dev11"}, 144)],
)
def test_a_judges_second_labelling_covers_exactly_their_questions(
    path: Path, sides: set, size: int
) -> None:
    from tests.real_clients import dataset

    original = la.load_original(la.sides_of(path))
    second = la.load_second(path)
    # texts only: a failing comparison must not print a judge's labels
    assert sorted(e["text"] for e in second) == sorted(q["text"] for _, q in original)
    assert len({dataset.normalise(q["text"]) for _, q in original}) == len(original) == size
    pairs = la.pair_up(original, second)
    assert {p.side for p in pairs} == sides
    assert len(pairs) == size


@pytest.mark.parametrize("path", [la.SECOND_JUDGES, la.SECOND_ROUND12])
def test_every_judge_second_label_is_a_vocabulary_name(path: Path) -> None:
    from tests.real_clients import dataset

    vocabulary = dataset.load_vocabulary()
    problems = [
        (entry["text"], label)
        for entry in la.load_second(path)
        for label in entry["labels"]
        if dataset.label_problem(label, vocabulary)
    ]
    assert not problems


def test_every_second_labelling_is_read_by_the_eval() -> None:
    from tests.real_clients import dataset

    assert {la.SECOND, la.SECOND_JUDGES, la.SECOND_ROUND12} <= set(dataset.SECOND_LABELS)
    assert {path.name for path in dataset.SECOND_LABELS} == set(la.SIDES_OF)
