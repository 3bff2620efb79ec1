""" "Can I have a massage if ...?" from the rules file, and what a condition
rules out for a recommendation (issue 10, items 4 and 5). The real files are
tested, not only the code: a clinic edit that breaks an answer is a bug too."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from clinic_core.health_answers import MAX_ANSWERS, health_answer, unknown_avoid_types
from clinic_core.massage_types import load_massage_types, recommend
from clinic_core.nlp.reader import load_nlp, read
from clinic_core.screening.rules import RulesError, default_rules_path, load_rules

RAW = yaml.safe_load(default_rules_path().read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def nlp():
    return load_nlp()


@pytest.fixture(scope="module")
def rules():
    return load_rules()


@pytest.fixture(scope="module")
def types():
    return load_massage_types()


def _answer(nlp, rules, text: str):
    return health_answer(rules, read(nlp, text))


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "screening_rules.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


# ------------------------------------------------------------------ the file


def test_every_condition_but_the_red_flags_has_a_client_answer(rules):
    for cid, cond in rules.conditions.items():
        if cid == "red_flag":
            continue
        assert cond.client_answer and len(cond.client_answer) < 320, cid


def test_a_missing_client_answer_is_refused(tmp_path):
    data = copy.deepcopy(RAW)
    next(c for c in data["conditions"] if c["id"] == "diabetes").pop("client_answer")
    with pytest.raises(RulesError, match=r"conditions\[diabetes\]\.client_answer: is required"):
        load_rules(_write(tmp_path, data))


def test_avoid_types_must_be_type_ids(tmp_path):
    data = copy.deepcopy(RAW)
    next(c for c in data["conditions"] if c["id"] == "cancer")["avoid_types"] = ["Deep Tissue"]
    with pytest.raises(RulesError, match=r"conditions\[cancer\]\.avoid_types.*must be"):
        load_rules(_write(tmp_path, data))


def test_avoid_types_name_types_of_the_types_file(rules, types, tmp_path):
    assert unknown_avoid_types(rules, types) == []
    data = copy.deepcopy(RAW)
    next(c for c in data["conditions"] if c["id"] == "cancer")["avoid_types"] = ["deep_tisue"]
    assert unknown_avoid_types(load_rules(_write(tmp_path, data)), types) == ["cancer: deep_tisue"]


def test_blood_thinners_rule_out_deep_work_in_machine_readable_form(rules):
    """The adaptation says "no deep tissue, trigger point or vigorous work":
    the recommender reads avoid_types, never that prose."""
    anticoagulants = rules.conditions["anticoagulants"]
    assert {"deep_tissue", "trigger_point", "sports"} <= set(anticoagulants.avoid_types)
    assert "no deep tissue" in anticoagulants.adaptation.lower()


# ---------------------------------------------------------------- the answer


@pytest.mark.parametrize(
    "text,condition,words",
    [
        ("I take blood thinners, can I have a massage?", "anticoagulants", "lighter pressure"),
        ("I had a blood clot last year, can I get a massage", "dvt_history", "doctor's OK"),
        ("I have high blood pressure, is a massage safe", "heart_bp", "well controlled"),
        ("Can I Get a Massage 24 Hours After Botox?", "facial_injectables", "wait 2 weeks"),
        ("Can You Get a Massage After Surgery?", "recent_surgery", "6 weeks"),
        ("Diabetes and Massage: Can Massage Help?", "diabetes", "unstable"),
        ("I had a tooth extraction, can I have a facial", "dental_surgery", "wait a week"),
        ("I'm 20 weeks pregnant, can I have a massage?", "pregnancy", "on your side"),
        ("Is massage contraindicated for osteoporosis?", "osteoporosis", "gentle pressure"),
    ],
)
def test_a_named_condition_gets_the_rules_file_answer(nlp, rules, text, condition, words):
    answer = _answer(nlp, rules, text)
    assert answer is not None and condition in answer.conditions, (text, answer)
    assert rules.conditions[condition].client_answer in answer.answers
    reply = answer.text(rules)
    assert words in reply
    assert reply.startswith(rules.message("health_answer_intro"))
    assert reply.endswith(rules.message("health_answer_offer"))
    assert not answer.emergency


@pytest.mark.parametrize(
    "text",
    [
        "can I have a massage?",
        "no clots, never had one",
        "my mum had cancer years ago, is massage good for stress?",
        "/start_screening",
    ],
)
def test_nothing_of_the_clients_own_gets_no_answer(nlp, rules, text):
    assert _answer(nlp, rules, text) is None


def test_blood_thinners_for_a_clot_count_as_a_clot(nlp, rules):
    answer = _answer(nlp, rules, "I'm on warfarin because of a clot, can I have a massage?")
    assert answer.conditions[:2] == ("dvt_history", "anticoagulants")


def test_an_emergency_is_flagged_not_answered(nlp, rules):
    assert _answer(nlp, rules, "I'm 30 weeks pregnant and bleeding, can I have a massage").emergency


def test_long_lists_are_cut_for_a_phone(nlp, rules):
    answer = _answer(
        nlp,
        rules,
        "I have diabetes, osteoporosis, epilepsy, varicose veins and "
        "high blood pressure, can I have a massage?",
    )
    assert len(answer.conditions) > MAX_ANSWERS and len(answer.answers) == MAX_ANSWERS


def test_the_answer_follows_the_file(nlp, tmp_path):
    data = copy.deepcopy(RAW)
    next(c for c in data["conditions"] if c["id"] == "anticoagulants")["client_answer"] = (
        "EDITED ANSWER"
    )
    edited = load_rules(_write(tmp_path, data))
    answer = _answer(nlp, edited, "I take blood thinners, can I have a massage?")
    assert answer.answers == ("EDITED ANSWER",)


# ------------------------------------------------------- recommend + exclude


def test_a_stiff_neck_on_warfarin_is_never_sent_to_deep_work(nlp, rules, types):
    text = "I have a stiff neck from my desk job and I take warfarin, what massage would help?"
    avoid = _answer(nlp, rules, text).avoid_types
    rec = recommend(text, types, exclude=avoid)
    assert rec.type_id is not None and rec.type_id not in avoid
    assert not set(rec.alternatives) & avoid
    assert "deep_tissue" not in (rec.type_id, *rec.alternatives)


def test_firm_pressure_on_blood_thinners_is_not_recommended(nlp, rules, types):
    text = "I like really firm pressure but I'm on blood thinners"
    avoid = _answer(nlp, rules, text).avoid_types
    rec = recommend(text, types, exclude=avoid)
    assert rec.type_id is None and rec.ruled_out == ("deep_tissue",)
    assert "isn't one I can suggest" in rec.reason
    assert recommend(text, types).type_id == "deep_tissue"  # without the condition it would be


@pytest.mark.parametrize(
    "text,expected",
    [
        ("I have whiplash, which massage would help?", {"therapeutic"}),
        ("Can Massage Help My Plantar Fasciitis", {"therapeutic"}),
        ("I have knots in my shoulders", {"trigger_point"}),
        ("I have fibromyalgia, what massage", {"therapeutic"}),
        ("Does Massage Help Shin Splints?", {"sports"}),
        ("I think I have a pinched nerve in my neck", {"therapeutic"}),
        ("I have a stiff neck from my desk job", {"therapeutic", "trigger_point"}),
        ("I'm so stressed, what should I get", {"swedish"}),
        ("I like firm pressure", {"deep_tissue"}),
    ],
)
def test_symptoms_clients_name_lead_to_a_type(types, text, expected):
    rec = recommend(text, types)
    assert rec.type_id in expected, (text, rec)
    assert types[rec.type_id].name in rec.reason


# ------------------------------------------------ general questions, routed by what they name
