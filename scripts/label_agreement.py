"""How much two labellings of the same real client questions agree (issue 10).

The assistant is judged by the real questions' labels (a reply is acceptable
when its label is in the question's list), and every round was labelled by one
person. This compares those labels with a second, independent labelling made
from the texts alone, per side and overall: tests/real_clients/second_labels.yml
covers the measured dev sides dev4 and dev5, second_labels_judges.yml the two
judges dev6 and the real test part, second_labels_round12.yml the two judges
dev10 and dev11 (`--file`):

- first-label agreement: both put the same label first;
- Cohen's kappa on first labels (scikit-learn's): agreement beyond what two
  labellers with these label frequencies would reach by chance;
- compatible: each one's first label is in the other's list (either reply
  would pass both judges);
- disjoint: the two lists share no label at all (a real disagreement: one
  labeller would call the other's preferred answer wrong).

    python scripts/label_agreement.py              # the figures (dev4, dev5)
    python scripts/label_agreement.py --pairs      # + first-label pairs of the disagreements
    python scripts/label_agreement.py --list       # + every question that is not compatible
    python scripts/label_agreement.py --file tests/real_clients/second_labels_judges.yml
    python scripts/label_agreement.py --file tests/real_clients/second_labels_round12.yml

On the judges (dev6, test, dev10, dev11) it prints the aggregate figures only and refuses
`--pairs` and `--list`: reading their questions' disagreements would let what
is learnt from them shape the assistant they judge.
It only reads the files; it never changes a label (the lead decides that).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sklearn.metrics import cohen_kappa_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.real_clients import dataset  # noqa: E402  (after the path is set)

SECOND = ROOT / "tests" / "real_clients" / "second_labels.yml"
#: The second labelling of the judges (dev6 and the real test part).
SECOND_JUDGES = ROOT / "tests" / "real_clients" / "second_labels_judges.yml"
#: The second labelling of round twelve's judges (dev10 and dev11).
SECOND_ROUND12 = ROOT / "tests" / "real_clients" / "second_labels_round12.yml"
#: The sides each second labelling covers, by its file name.
SIDES_OF: dict[str, tuple[str, ...]] = {
    SECOND.name: ("dev4", "dev5"),
    SECOND_JUDGES.name: ("dev6", "test"),
    SECOND_ROUND12.name: ("dev10", "dev11"),
}
#: Sides that judge the assistant: only aggregate figures, never a question's
#: labels or disagreements.
JUDGES = frozenset({"dev6", "test", "dev10", "dev11"})


@dataclass(frozen=True)
class Pair:
    """One question with both labellings (each most likely first)."""

    text: str
    side: str
    first: tuple[str, ...]  # the original labeller's labels
    second: tuple[str, ...]  # the second labeller's labels

    @property
    def same_first(self) -> bool:
        return self.first[0] == self.second[0]

    @property
    def compatible(self) -> bool:
        """Each one's first label is acceptable to the other."""
        return self.first[0] in self.second and self.second[0] in self.first

    @property
    def disjoint(self) -> bool:
        """No label in common: one would judge the other's answer wrong."""
        return not set(self.first) & set(self.second)


@dataclass(frozen=True)
class Agreement:
    """The figures for one group of pairs (shares are 0..1)."""

    n: int
    same_first: float
    kappa: float
    compatible: float
    disjoint: float


def pair_up(original: Iterable[tuple[str, dict]], second: Iterable[dict]) -> list[Pair]:
    """Match the two labellings by question (`dataset.normalise` of the text).

    `original` gives (side, entry) in order. Raises ValueError when a question
    has no second label or a second label matches no question: a comparison
    over different question sets would be meaningless.
    """
    by_id = {}
    for entry in second:
        key = dataset.normalise(entry["text"])
        if key in by_id:
            raise ValueError(f"second labelling has {entry['text']!r} twice")
        by_id[key] = tuple(entry["labels"])
    pairs, seen = [], set()
    for side, entry in original:
        key = dataset.normalise(entry["text"])
        if key not in by_id:
            raise ValueError(f"no second label for {entry['text']!r}")
        seen.add(key)
        pairs.append(Pair(entry["text"], side, tuple(entry["labels"]), by_id[key]))
    extra = set(by_id) - seen
    if extra:
        raise ValueError(f"{len(extra)} second labels match no question, e.g. {sorted(extra)[0]!r}")
    return pairs


def agreement(pairs: Sequence[Pair]) -> Agreement:
    """The four figures for these pairs."""
    n = len(pairs)
    if not n:
        raise ValueError("no pairs to compare")
    share = lambda flag: sum(flag(p) for p in pairs) / n  # noqa: E731
    firsts_a = [p.first[0] for p in pairs]
    firsts_b = [p.second[0] for p in pairs]
    # kappa is undefined (0/0) when both labellers used a single, identical label
    kappa = (
        1.0
        if len(set(firsts_a) | set(firsts_b)) == 1
        else float(cohen_kappa_score(firsts_a, firsts_b))
    )
    return Agreement(
        n=n,
        same_first=share(lambda p: p.same_first),
        kappa=kappa,
        compatible=share(lambda p: p.compatible),
        disjoint=share(lambda p: p.disjoint),
    )


def by_side(pairs: Sequence[Pair]) -> dict[str, Agreement]:
    """Agreement per side, in first-seen order, and over all as "all"."""
    sides = list(dict.fromkeys(p.side for p in pairs))
    result = {side: agreement([p for p in pairs if p.side == side]) for side in sides}
    result["all"] = agreement(pairs)
    return result


def disagreement_pairs(pairs: Sequence[Pair], which: str = "incompatible") -> Counter:
    """How often each (original first, second first) label pair occurs among the
    pairs that are not compatible ("incompatible") or share no label ("disjoint")."""
    wanted = (lambda p: not p.compatible) if which == "incompatible" else (lambda p: p.disjoint)
    return Counter((p.first[0], p.second[0]) for p in pairs if wanted(p))


def table(results: dict[str, Agreement]) -> str:
    """A markdown table of the figures."""
    lines = [
        "| side | questions | same first label | Cohen's kappa (first) | compatible | no label shared |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for side, a in results.items():
        lines.append(
            f"| {side} | {a.n} | {a.same_first:.1%} | {a.kappa:.3f} | {a.compatible:.1%} | {a.disjoint:.1%} |"
        )
    return "\n".join(lines)


def load_side(side: str) -> list[dict]:
    """One side's questions with their original labels: the real test part,
    or a later round's side ("dev4" is round 4's)."""
    if side == "test":
        return dataset.load_part(dataset.PARTS["test"])
    return dataset.load_round(int(side.removeprefix("dev")), side)


def load_original(sides: Sequence[str] = SIDES_OF[SECOND.name]) -> list[tuple[str, dict]]:
    """These sides' questions with their original labels (side, entry)."""
    return [(side, q) for side in sides for q in load_side(side)]


def sides_of(path: Path) -> tuple[str, ...]:
    """The sides a second labelling file covers (ValueError for an unknown file)."""
    if path.name not in SIDES_OF:
        raise ValueError(f"{path.name}: not a known second labelling ({', '.join(SIDES_OF)})")
    return SIDES_OF[path.name]


def load_second(path: Path = SECOND) -> list[dict]:
    """The second labelling's entries (text, labels)."""
    return dataset.load_part(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pairs", action="store_true", help="count first-label pairs of the disagreements"
    )
    parser.add_argument(
        "--list", action="store_true", help="print every question that is not compatible"
    )
    parser.add_argument(
        "--file", type=Path, default=SECOND, help="the second labelling (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    try:
        sides = sides_of(args.file)
    except ValueError as error:
        parser.error(str(error))
    judged = sorted(JUDGES.intersection(sides))
    if judged and (args.pairs or args.list):
        parser.error(f"{', '.join(judged)}: a judge; only the aggregate figures are shown")
    pairs = pair_up(load_original(sides), load_second(args.file))
    print(table(by_side(pairs)))
    if args.pairs:
        for which in ("incompatible", "disjoint"):
            print(f"\n{which} (original first -> second first):")
            for (a, b), count in disagreement_pairs(pairs, which).most_common():
                print(f"  {count:3d}  {a}  ->  {b}")
    if args.list:
        print("\nnot compatible (D = no label shared):")
        for p in pairs:
            if not p.compatible:
                mark = "D" if p.disjoint else " "
                print(
                    f"{mark} [{p.side}] {p.text}\n    original: {list(p.first)}\n    second:   {list(p.second)}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
