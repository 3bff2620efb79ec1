"""The pre-screen end to end on free text, on cases nobody tuned on.

Each case in ``screening_freetext_holdout.yml`` is one client message (a
health history typed in a chat) plus the booked service. It goes through the
spaCy reader (``clinic_core.nlp.reader.read``) and the rules engine
(``clinic_core.screening.engine.evaluate``) and must come out with the
outcome that /work/shared/spec/screening.md gives, with the named condition
ids among the reasons.

The cases were written from screening.md and contract.md only, before
looking at the rules file's recognise terms or the lookups, and are not to be
changed to fit results (only to fix an expectation that contradicts
screening.md, with the reason in its ``note``).

Assertions:

1. zero UNSAFE results: an expected emergency / clearance / postpone that
   comes out ok or modify, or an expected emergency that comes out anything
   else. A hard failure that lists the cases: if it fails, the rules' terms
   (or the reader) need fixing, not this file.
2. outcome accuracy over all cases >= ``ACCURACY_THRESHOLD``, and the share
   of cases with ``must_include`` whose reasons contain every named id >=
   ``REASONS_THRESHOLD``. Both thresholds were set from the first honest run
   (measured value rounded down to 5 %, never below 0.75).

Run with ``-s`` to see the per-case report and the measured rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import yaml

from clinic_core.nlp.reader import load_nlp, read
from clinic_core.screening.engine import evaluate
from clinic_core.screening.model import OUTCOME_ORDER, SERVICES
from clinic_core.screening.rules import default_rules_path, load_rules

HOLDOUT = Path(__file__).with_name("screening_freetext_holdout.yml")
TODAY = date(2026, 11, 22)

#: Set from the first honest run (2026-11-22 reference date, 102 cases):
#: outcome accuracy 90/102 = 0.882 -> 0.85; reasons 81/85 = 0.953 -> 0.95
#: (measured value rounded down to 5 %, never below 0.75). Zero unsafe.
ACCURACY_THRESHOLD = 0.85
REASONS_THRESHOLD = 0.95

#: The ``id`` column of screening.md's conditions table.
SPEC_IDS = (
    "red_flag",
    "suspected_dvt",
    "dvt_history",
    "anticoagulants",
    "bleeding_disorder",
    "fever_infection",
    "contagious_skin",
    "skin_local",
    "acute_injury",
    "recent_surgery",
    "fracture",
    "pregnancy",
    "pregnancy_complication",
    "cancer",
    "osteoporosis",
    "heart_bp",
    "diabetes",
    "varicose_veins",
    "epilepsy",
    "facial_injectables",
    "facial_resurfacing",
    "facial_surgery",
    "dental_surgery",
    "tmj_acute",
    "trigeminal_neuralgia",
    "acne_rosacea",
    "unexplained_lump",
    "intoxicated",
)
MUST_STOP = {"emergency", "clearance", "postpone"}
BOOKABLE = {"ok", "modify"}


def _load_cases() -> list[dict]:
    data = yaml.safe_load(HOLDOUT.read_text(encoding="utf-8"))
    return list(data["cases"])


CASES = _load_cases()


@dataclass(frozen=True)
class Result:
    n: int
    case: dict
    got: str
    reasons: tuple[str, ...]

    @property
    def expected(self) -> str:
        return self.case["outcome"]

    @property
    def correct(self) -> bool:
        return self.got == self.expected

    @property
    def unsafe(self) -> bool:
        if self.expected == "emergency" and self.got != "emergency":
            return True
        return self.expected in MUST_STOP and self.got in BOOKABLE

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(c for c in self.case.get("must_include") or () if c not in self.reasons)

    def line(self) -> str:
        status = "UNSAFE" if self.unsafe else ("ok    " if self.correct else "WRONG ")
        miss = f" missing={list(self.missing)}" if self.missing else ""
        return (
            f"{self.n:3d} {status} {self.case['service']:6s} expected={self.expected:9s} "
            f"got={self.got:9s} reasons={list(self.reasons)}{miss} | {self.case['text']}"
        )


def _describe(r: Result) -> str:
    return f"#{r.n} [{r.case['service']}] {r.case['text']!r}: expected {r.expected}, got {r.got} (reasons {list(r.reasons)})"


@pytest.fixture(scope="module")
def results() -> list[Result]:
    nlp = load_nlp()
    rules = load_rules(default_rules_path())
    out = []
    for n, case in enumerate(CASES, 1):
        reading = read(nlp, case["text"], today=TODAY)
        outcome = evaluate(rules, case["service"], reading.positive())
        out.append(Result(n=n, case=case, got=outcome.outcome, reasons=tuple(outcome.reasons)))

    with_reasons = [r for r in out if r.case.get("must_include")]
    accuracy = sum(r.correct for r in out) / len(out)
    reasons_rate = sum(not r.missing for r in with_reasons) / len(with_reasons)
    print(f"\n--- free-text pre-screen hold-out ({len(out)} cases, today={TODAY}) ---")
    for r in out:
        print(r.line())
    print(
        f"--- outcome accuracy {accuracy:.3f} ({sum(r.correct for r in out)}/{len(out)}); "
        f"reasons {reasons_rate:.3f} ({sum(not r.missing for r in with_reasons)}/{len(with_reasons)}); "
        f"unsafe {sum(r.unsafe for r in out)} ---"
    )
    return out


# --- the data file itself ------------------------------------------------------


def test_cases_are_well_formed():
    assert len(CASES) >= 60
    for n, case in enumerate(CASES, 1):
        assert set(case) == {"text", "service", "outcome", "must_include", "note"}, f"case {n}"
        assert isinstance(case["text"], str) and case["text"].strip(), f"case {n}"
        assert case["service"] in SERVICES, f"case {n}"
        assert case["outcome"] in OUTCOME_ORDER, f"case {n}"
        assert isinstance(case["must_include"], list), f"case {n}"
        assert set(case["must_include"]) <= set(SPEC_IDS), f"case {n}: unknown id"
        assert isinstance(case["note"], str) and case["note"].strip(), f"case {n}"
        if case["outcome"] == "ok":
            assert not case["must_include"], f"case {n}: an ok case has no reasons"


def test_cases_cover_the_table():
    named = {c for case in CASES for c in case["must_include"]}
    assert named == set(SPEC_IDS)
    assert sum(case["outcome"] == "ok" for case in CASES) >= 10
    assert {case["outcome"] for case in CASES} == set(OUTCOME_ORDER)


def test_spec_ids_are_rule_ids():
    rules = load_rules(default_rules_path())
    assert set(SPEC_IDS) <= set(rules.conditions)


# --- end to end ----------------------------------------------------------------


def test_no_unsafe_results(results):
    unsafe = [r for r in results if r.unsafe]
    assert not unsafe, (
        f"{len(unsafe)} UNSAFE result(s) (a case that must stop the booking came out "
        "bookable, or an emergency that is not an emergency):\n  "
        + "\n  ".join(_describe(r) for r in unsafe)
    )


def test_outcome_accuracy(results):
    accuracy = sum(r.correct for r in results) / len(results)
    wrong = [r for r in results if not r.correct]
    assert accuracy >= ACCURACY_THRESHOLD, (
        f"outcome accuracy {accuracy:.3f} < {ACCURACY_THRESHOLD}; wrong:\n  "
        + "\n  ".join(_describe(r) for r in wrong)
    )


def test_reasons_include_named_conditions(results):
    with_reasons = [r for r in results if r.case.get("must_include")]
    rate = sum(not r.missing for r in with_reasons) / len(with_reasons)
    missing = [r for r in with_reasons if r.missing]
    assert rate >= REASONS_THRESHOLD, (
        f"reasons check {rate:.3f} < {REASONS_THRESHOLD}; missing:\n  "
        + "\n  ".join(f"{_describe(r)} missing {list(r.missing)}" for r in missing)
    )
