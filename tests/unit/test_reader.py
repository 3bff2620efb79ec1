"""Table-driven tests of the text reader (clinic_core.nlp.reader).

The pipeline is built once per rules file: the fixture under
tests/unit/fixtures/ always, and clinic/screening_rules.yml when it exists.
Cases that depend on a term the real file does not list are marked in
REAL_RULES_GAPS (reported, not fixed here: the rules file is the clinic's).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from clinic_core.nlp import pipeline as pl
from clinic_core.nlp.reader import load_nlp, read
from clinic_core.screening.model import Finding, Reading

HERE = Path(__file__).resolve().parent
FIXTURE_RULES = HERE / "fixtures" / "screening_rules.yml"
REAL_RULES = pl.DEFAULT_RULES_PATH
TODAY = date(2026, 11, 22)

#: Case ids (the sentence) that the real rules file cannot pass because it
#: lacks a term; filled in from a run against the real file.
REAL_RULES_GAPS: dict[str, str] = {}

RULE_SOURCES = ["fixture", "real"]


@pytest.fixture(scope="session", params=RULE_SOURCES)
def rules_source(request) -> str:
    if request.param == "real" and not REAL_RULES.is_file():
        pytest.skip("clinic/screening_rules.yml not written yet")
    return request.param


@pytest.fixture(scope="session")
def nlp_path(rules_source, tmp_path_factory) -> Path:
    rules = FIXTURE_RULES if rules_source == "fixture" else REAL_RULES
    out = tmp_path_factory.mktemp(f"spacy_{rules_source}") / "spacy_clinic"
    pl.save_pipeline(out, pl.DEFAULT_LOOKUPS_DIR, rules)
    return out


@pytest.fixture(scope="session")
def nlp(nlp_path):
    return load_nlp(nlp_path)


def _read(nlp, text: str) -> Reading:
    return read(nlp, text, today=TODAY)


def _match(f: Finding, spec: dict[str, Any]) -> bool:
    if f.condition != spec["c"] or f.negated != spec.get("neg", False):
        return False
    if "med" in spec and f.medication not in spec["med"]:
        return False
    if "days" in spec and f.days_ago != spec["days"]:
        return False
    if "weeks" in spec and f.weeks_pregnant != spec["weeks"]:
        return False
    if "area" in spec and f.body_area != spec["area"]:
        return False
    if "quals" in spec and not set(spec["quals"]) <= set(f.qualifiers):
        return False
    return True


def check(reading: Reading, exp: dict[str, Any]) -> None:
    for spec in exp.get("find", []):
        assert any(_match(f, spec) for f in reading.findings), (
            f"missing {spec} in {reading.findings}"
        )
    for cond in exp.get("not", []):
        assert cond not in {f.condition for f in reading.positive()}, (
            f"unexpected {cond}: {reading.findings}"
        )
    if exp.get("none"):
        assert reading.findings == (), reading.findings
    if "only" in exp:
        assert {f.condition for f in reading.findings} == set(exp["only"]), reading.findings
    if "pol" in exp:
        assert reading.polarity is exp["pol"], reading
    if "areas" in exp:
        assert set(exp["areas"]) <= set(reading.body_areas), reading.body_areas
    if "types" in exp:
        assert list(reading.massage_types) == exp["types"], reading.massage_types
    if "durations" in exp:
        assert list(reading.durations_days) == exp["durations"], reading.durations_days
    if "weeks" in exp:
        assert reading.weeks_pregnant == exp["weeks"], reading
    if "quals" in exp:
        assert set(exp["quals"]) <= set(reading.qualifiers), reading.qualifiers


def P(c: str, **kw) -> dict[str, Any]:
    """A positive finding."""
    return {"c": c, "neg": False, **kw}


def N(c: str, **kw) -> dict[str, Any]:
    """A negated finding."""
    return {"c": c, "neg": True, **kw}


APIXABAN = {"apixaban", "eliquis"}

# (client text, expectations)
CASES: list[tuple[str, dict[str, Any]]] = [
    # --- single-sentence histories -------------------------------------
    (
        "hi, I'm 20 weeks pregnant, can I book a massage?",
        {"find": [P("pregnancy", weeks=20)], "weeks": 20, "pol": True},
    ),
    ("I take Eliquis", {"find": [P("anticoagulants", med=APIXABAN)], "pol": True}),
    ("i take eliquis 5mg twice a day", {"find": [P("anticoagulants", med=APIXABAN)]}),
    (
        "had my wisdom teeth out 3 days ago",
        {"find": [P("dental_surgery", days=3)], "durations": [3]},
    ),
    ("Botox two weeks ago", {"find": [P("facial_injectables", days=14)]}),
    ("no clots, never had one", {"find": [N("dvt_history")], "not": ["dvt_history"], "pol": False}),
    (
        "I'm not pregnant but I have high blood pressure, it's controlled",
        {"find": [N("pregnancy"), P("heart_bp", quals=["controlled"])], "not": ["pregnancy"]},
    ),
    ("chest pain spreading to my left arm", {"find": [P("red_flag")], "pol": True}),
    ("I've got chest pian and I feel sick", {"find": [P("red_flag")]}),
    ("I can't breathe properly and my face is drooping", {"find": [P("red_flag")]}),
    ("i cant breathe", {"find": [P("red_flag")]}),
    (
        "I don't take any blood thinners",
        {"find": [N("anticoagulants")], "not": ["anticoagulants"], "pol": False},
    ),
    ("no, but I take warfarin", {"find": [P("anticoagulants", med={"warfarin"})]}),
    ("I'm on warferin", {"find": [P("anticoagulants", med={"warferin", "warfarin"})]}),
    ("I'm on blood thiners", {"find": [P("anticoagulants")]}),
    (
        "I'm on blood thinners - warfarin",
        {"find": [P("anticoagulants", med={"warfarin"})], "only": ["anticoagulants"]},
    ),
    (
        "I take Xarelto since March",
        {"find": [P("anticoagulants", med={"xarelto", "rivaroxaban"}, days=266)]},
    ),
    (
        "Not on warfarin anymore",
        {"find": [N("anticoagulants")], "not": ["anticoagulants"], "pol": False},
    ),
    (
        "I stopped taking warfarin last year",
        {"find": [N("anticoagulants")], "not": ["anticoagulants"]},
    ),
    (
        "Warfarin? No, apixaban",
        {"find": [N("anticoagulants", med={"warfarin"}), P("anticoagulants", med={"apixaban"})]},
    ),
    ("I am not on any anticoagulants", {"find": [N("anticoagulants")], "not": ["anticoagulants"]}),
    (
        "I had a blood clot in my leg in 2019, I'm on apixaban now",
        {"find": [P("dvt_history", area="leg", days=2518), P("anticoagulants", med=APIXABAN)]},
    ),
    (
        "I had a DVT 2 years ago but no blood thinners",
        {"find": [P("dvt_history", days=730), N("anticoagulants")]},
    ),
    ("DVT ruled out last month", {"find": [N("dvt_history", days=30)], "not": ["dvt_history"]}),
    (
        "Clots? No. Blood thinners? Yes, warfarin.",
        {"find": [N("dvt_history"), P("anticoagulants", med={"warfarin"})], "not": ["dvt_history"]},
    ),
    (
        "My calf is swollen and hot since my flight",
        {"find": [P("suspected_dvt", area="calf", quals=["after_travel"])]},
    ),
    ("I bruise very easily", {"find": [P("bleeding_disorder")]}),
    ("I've got a cold and a temperature", {"find": [P("fever_infection")]}),
    ("I've had a fever for 3 days", {"find": [P("fever_infection", days=3)]}),
    ("I feel cold in the mornings", {"none": True}),
    (
        "i've had a cold sore on my lip since yesterday",
        {
            "find": [P("contagious_skin", area="mouth", days=1, quals=["face"])],
            "not": ["fever_infection"],
        },
    ),
    ("i have a rash all over my body", {"find": [P("skin_local", quals=["widespread"])]}),
    (
        "I have a small patch of eczema on my elbow",
        {"find": [P("skin_local", area="elbow", quals=["localised"])]},
    ),
    (
        "I have excema on my hands, it's flaring up",
        {"find": [P("skin_local", area="hand", quals=["flare"])]},
    ),
    ("I sprained my ankle yesterday", {"find": [P("acute_injury", area="ankle", days=1)]}),
    ("I was in a car accident yesterday, whiplash", {"find": [P("acute_injury", days=1)]}),
    ("Both my knees are sore but no injury", {"areas": ["knee"], "not": ["acute_injury"]}),
    (
        "I had knee replacement surgery 8 weeks ago",
        {"find": [P("recent_surgery", area="knee", days=56)]},
    ),
    ("I had a c-section last month", {"find": [P("recent_surgery", days=30)]}),
    ("I haven't had a massage since my surgery", {"find": [P("recent_surgery")]}),
    (
        "I broke my wrist 6 weeks ago and it hasn't healed",
        {"find": [P("fracture", area="wrist", days=42, quals=["unhealed"])]},
    ),
    (
        "Fractured my ankle 2 months ago, it's healed now",
        {"find": [P("fracture", area="ankle", days=60, quals=["healed"])]},
    ),
    ("I'm 24 wks", {"find": [P("pregnancy", weeks=24)], "weeks": 24}),
    ("24 wks", {"weeks": 24}),
    ("I'm 12 weeks along", {"find": [P("pregnancy", weeks=12)]}),
    ("I've been pregnant for 20 weeks", {"find": [P("pregnancy", weeks=20)], "durations": []}),
    ("I'm pregnant, second trimester", {"find": [P("pregnancy", weeks=14)], "weeks": 14}),
    ("expecting, 3rd trimester", {"find": [P("pregnancy", weeks=28)]}),
    ("im pregant, about 20wks", {"find": [P("pregnancy", weeks=20)]}),
    ("I'd like to book for my wife, she's 20 weeks pregnant", {"find": [P("pregnancy", weeks=20)]}),
    ("Im not pregnant", {"find": [N("pregnancy")], "not": ["pregnancy"], "pol": False}),
    (
        "I'm high risk, consultant led care",
        {"find": [P("pregnancy_complication", quals=["high_risk"])]},
    ),
    ("pregnant with pre-eclampsia", {"find": [P("pregnancy"), P("pregnancy_complication")]}),
    (
        "I had breast cancer 3 years ago, finished chemo",
        {"find": [P("cancer", area="breast", days=1095)]},
    ),
    ("My mum had breast cancer", {"not": ["cancer"]}),
    ("my dad had a stroke last year", {"not": ["heart_bp"]}),
    ("I have osteoporosis, quite severe", {"find": [P("osteoporosis", quals=["severe"])]}),
    ("my blood pressure isn't controlled", {"find": [P("heart_bp", quals=["uncontrolled"])]}),
    ("My blood pressure is all over the place", {"find": [P("heart_bp", quals=["uncontrolled"])]}),
    (
        "Yes I've got high blood pressure but it's well controlled with tablets",
        {"find": [P("heart_bp", quals=["controlled"])], "pol": True},
    ),
    ("I had a heart attack recently", {"find": [P("heart_bp", quals=["recent"])]}),
    ("Diabetic, type 2, well controlled", {"find": [P("diabetes", quals=["controlled"])]}),
    (
        "I'm on metformin and insulin",
        {"find": [P("diabetes", med={"metformin"}), P("diabetes", med={"insulin"})]},
    ),
    ("I'm diabetic but not on insulin", {"find": [P("diabetes"), N("diabetes", med={"insulin"})]}),
    (
        "No diabetes, epilepsy or heart problems",
        {
            "find": [N("diabetes"), N("epilepsy"), N("heart_bp")],
            "not": ["diabetes", "epilepsy", "heart_bp"],
            "pol": False,
        },
    ),
    (
        "I don't have diabetes and I take warfarin",
        {"find": [N("diabetes"), P("anticoagulants", med={"warfarin"})]},
    ),
    (
        "Uncontrolled epilepsy, had a seizure last week",
        {"find": [P("epilepsy", days=7, quals=["uncontrolled"])]},
    ),
    ("I have varicose veins on my legs", {"find": [P("varicose_veins", area="leg")]}),
    (
        "I had a chemical peel 5 days ago on my face",
        {"find": [P("facial_resurfacing", days=5, area="face", quals=["face"])]},
    ),
    ("Had filler in my lips last week", {"find": [P("facial_injectables", area="mouth", days=7)]}),
    ("I'm on Accutane", {"find": [P("facial_resurfacing", med={"accutane", "isotretinoin"})]}),
    ("I had a tooth pulled the day before yesterday", {"find": [P("dental_surgery", days=2)]}),
    ("my jaw locked this morning", {"find": [P("tmj_acute", days=0)]}),
    ("I have rosacea", {"find": [P("acne_rosacea")]}),
    (
        "found a lump in my neck 2 weeks ago",
        {"find": [P("unexplained_lump", area="neck", days=14)]},
    ),
    ("I'm a bit drunk tbh", {"find": [P("intoxicated")]}),
    ("I'm not sure if I have diabetes", {"find": [P("diabetes")], "pol": None}),
    ("I had surgery. It was 3 weeks ago.", {"find": [P("recent_surgery", days=21)]}),
    (
        "Botox 10 days ago, filler 2 weeks ago",
        {"find": [P("facial_injectables", days=10)], "durations": [10, 14]},
    ),
    (
        "Does deep tissue hurt? I bruise easily",
        {"find": [P("bleeding_disorder")], "types": ["deep_tissue"]},
    ),
    (
        "What's the difference between Swedish and deep tissue?",
        {"none": True, "types": ["swedish", "deep_tissue"]},
    ),
    (
        "can I have a sports massage on my shoulder",
        {"none": True, "types": ["sports"], "areas": ["shoulder"]},
    ),
    ("I\u2019m not pregnant", {"find": [N("pregnancy")], "pol": False}),
    (
        "pregnant? not anymore, had my baby 3 weeks ago",
        {"find": [N("pregnancy")], "not": ["pregnancy"]},
    ),
    ("Diabetes? I don't", {"find": [N("diabetes")], "not": ["diabetes"], "pol": False}),
    ("Clots - not that I know of", {"find": [N("dvt_history")], "not": ["dvt_history"]}),
    ("Diabetes? not sure", {"find": [P("diabetes")]}),
    ("I've never had cancer, my sister has though", {"find": [N("cancer")], "not": ["cancer"]}),
    (
        "no heart problems, but I had a stroke 2 years ago",
        {"find": [N("heart_bp"), P("heart_bp", days=730)]},
    ),
    (
        "I had a blood clot after my c-section in March",
        {"find": [P("dvt_history"), P("recent_surgery", days=236)]},
    ),
    ("Got Botox done on Monday", {"find": [P("facial_injectables", days=6)]}),
    ("I have a cold, can I come on Monday?", {"find": [P("fever_infection")], "durations": []}),
    (
        "I've had shingles on my back for a week",
        {"find": [P("contagious_skin", area="back", days=7)]},
    ),
    ("I've had a cold for the past week", {"find": [P("fever_infection", days=7)]}),
    ("Had covid last week but feel fine now", {"find": [P("fever_infection", days=7)]}),
    (
        "I am not diabetic. I do have epilepsy, well controlled, last seizure 3 years ago",
        {
            "find": [N("diabetes"), P("epilepsy", days=1095, quals=["controlled"])],
            "not": ["diabetes"],
        },
    ),
    ("I'm expecting twins, 30 weeks", {"find": [P("pregnancy", weeks=30)]}),
    ("I had my wisdom teeth removed last Friday", {"find": [P("dental_surgery", days=2)]}),
]


@pytest.mark.parametrize("text,exp", CASES, ids=[c[0][:60] for c in CASES])
def test_reader_cases(nlp, rules_source, text, exp):
    if rules_source == "real" and text in REAL_RULES_GAPS:
        pytest.xfail(REAL_RULES_GAPS[text])
    check(_read(nlp, text), exp)


POLARITY: list[tuple[str, bool | None]] = [
    ("yes", True),
    ("Yes.", True),
    ("yeah", True),
    ("Yep", True),
    ("yes please", True),
    ("I do", True),
    ("I have", True),
    ("I am", True),
    ("I do, but it's mild", True),
    ("yes, since March", True),
    ("correct", True),
    ("That's right", True),
    ("oh yes", True),
    ("no", False),
    ("No.", False),
    ("nope", False),
    ("nah", False),
    ("never", False),
    ("not that I know of", False),
    ("none", False),
    ("I don't think so", False),
    ("no, never had one", False),
    ("Nooo", False),
    ("Not really", False),
    ("nothing like that", False),
    ("I haven't", False),
    ("no I'm fine", False),
    ("not sure", None),
    ("maybe", None),
    ("I don't know", None),
    ("no idea", None),
    ("what do you mean?", None),
    ("can I book for Tuesday", None),
    ("hmm", None),
    ("", None),
    # no explicit word: a positive finding implies yes, only negated ones no
    ("I take Eliquis", True),
    ("high blood pressure", True),
    ("never had a clot", False),
]


@pytest.mark.parametrize("text,expected", POLARITY, ids=[p[0] or "<empty>" for p in POLARITY])
def test_polarity(nlp, text, expected):
    assert _read(nlp, text).polarity is expected


@pytest.mark.parametrize(
    "text,days",
    [
        ("3 days ago", 3),
        ("two weeks ago", 14),
        ("a month ago", 30),
        ("6 months", 180),
        ("last week", 7),
        ("yesterday", 1),
        ("a couple of weeks ago", 14),
        ("a few days ago", 3),
        ("48 hours ago", 2),
        ("twenty-one days ago", 21),
        ("3-4 days ago", 3),
        ("10 days back", 10),
        ("a year ago", 365),
        ("since March", 266),
        ("since last March", 266),
        ("since May", 205),
        ("since November", 21),
        ("since December", 356),
        ("in the last 2 weeks", 14),
        ("the other day", 2),
        ("last night", 1),
        ("since 2020", 2517),
        ("last Monday", 6),
        ("3days ago", 3),
    ],
)
def test_durations(nlp, text, days):
    r = _read(nlp, text)
    assert list(r.durations_days) == [days]


def test_since_month_is_relative_to_today(nlp):
    assert read(nlp, "since March", today=date(2027, 2, 10)).durations_days == (
        (date(2027, 2, 10) - date(2026, 3, 1)).days,
    )
    assert read(nlp, "since March", today=date(2027, 3, 15)).durations_days == (14,)


def test_default_today(nlp):
    assert read(nlp, "yesterday").durations_days == (1,)


def test_reading_lists_entities(nlp):
    r = _read(
        nlp,
        "swedish or deep tissue for my lower back and shoulders? my blood pressure is well controlled",
    )
    assert r.massage_types == ("swedish", "deep_tissue")
    assert {"lower_back", "shoulder"} <= set(r.body_areas)
    assert "controlled" in r.qualifiers


def test_findings_serialise(nlp):
    r = _read(nlp, "I take Eliquis and had a clot 3 weeks ago in my calf")
    for f in r.findings:
        assert Finding.from_dict(f.to_dict()) == f


def test_ent_ids_are_canonical(nlp):
    doc = nlp(
        "I'm 20 weeks pregnant, on Eliquis, sore knees and shoulders, deep tissue please, it's controlled"
    )
    assert doc.ents
    for ent in doc.ents:
        assert ent.ent_id_, ent.label_
    labels = {e.label_ for e in doc.ents}
    assert {"CONDITION", "MEDICATION", "BODY_AREA", "MASSAGE_TYPE", "QUALIFIER"} <= labels


def test_no_logging_of_text(nlp, caplog):
    caplog.set_level("DEBUG")
    _read(nlp, "secret-marker: I take warfarin")
    assert "secret-marker" not in caplog.text


def test_load_nlp_is_cached(nlp, nlp_path):
    assert load_nlp(nlp_path) is nlp
    assert load_nlp(str(nlp_path)) is nlp


def test_empty_and_long_text(nlp):
    assert _read(nlp, "") == Reading()
    r = _read(nlp, "I take warfarin. " * 500)
    assert r.findings and r.findings[0].condition == "anticoagulants"
