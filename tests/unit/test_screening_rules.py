"""The clinic's rules file: it loads, it is faithful to screening.md, and every
kind of mistake stops the assistant from starting with a clear message."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from clinic_core.screening.model import OUTCOME_ORDER, SERVICES
from clinic_core.screening.rules import RulesError, default_rules_path, load_rules

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO.parent / "shared" / "spec" / "screening.md"
RULES = load_rules()
RAW = yaml.safe_load(default_rules_path().read_text(encoding="utf-8"))


def test_default_path_is_the_clinic_file():
    assert default_rules_path() == REPO / "clinic" / "screening_rules.yml"
    assert RULES.path == str(default_rules_path())


def _spec_rows():
    text = SPEC.read_text(encoding="utf-8")
    table = text.split("## Conditions", 1)[1].split("## ", 1)[0]
    return [m.group(1) for m in re.finditer(r"^\| ([a-z_]+) \|", table, re.M) if m.group(1) != "id"]


@pytest.mark.skipif(not SPEC.exists(), reason="../shared/spec/screening.md not beside the project")
def test_every_screening_md_row_is_a_condition():
    rows = _spec_rows()
    assert len(rows) == 28
    assert set(rows) <= set(RULES.conditions)
    # The only addition: unlisted matters from the free-text question.
    assert set(RULES.conditions) - set(rows) == {"other_condition"}


def test_outcome_order_and_services():
    assert RULES.outcome_order == OUTCOME_ORDER
    for cond in RULES.conditions.values():
        assert set(cond.outcome) == set(SERVICES)
        assert cond.source and cond.reason and cond.terms
        for rule in cond.refine:
            assert rule.reason


@pytest.mark.parametrize(
    "cid,body,facial",
    [
        ("red_flag", "emergency", "emergency"),
        ("dvt_history", "clearance", "clearance"),
        ("anticoagulants", "modify", "modify"),
        ("bleeding_disorder", "clearance", "clearance"),
        ("fever_infection", "postpone", "postpone"),
        ("cancer", "clearance", "clearance"),
        ("varicose_veins", "modify", "ok"),
        ("facial_injectables", "ok", "postpone"),
        ("facial_surgery", "ok", "clearance"),
        ("dental_surgery", "ok", "postpone"),
        ("tmj_acute", "ok", "clearance"),
        ("trigeminal_neuralgia", "ok", "modify"),
        ("acne_rosacea", "ok", "modify"),
        ("unexplained_lump", "modify", "modify"),
        ("intoxicated", "postpone", "postpone"),
        ("pregnancy", "modify", "modify"),
        ("pregnancy_complication", "clearance", "clearance"),
        ("recent_surgery", "clearance", "clearance"),  # date unknown: cautious
    ],
)
def test_base_outcomes_match_screening_md(cid, body, facial):
    assert dict(RULES.conditions[cid].outcome) == {"body": body, "facial": facial}


def test_first_trimester_is_a_flagged_clinic_policy():
    rules = [
        r for r in RULES.conditions["pregnancy"].refine if r.policy == "first_trimester_new_client"
    ]
    assert len(rules) == 1 and rules[0].when.weeks_pregnant_max == 13
    assert dict(rules[0].outcome) == {"body": "modify", "facial": "modify"}


def test_bruxism_and_tmj_are_not_contraindications():
    for phrase in (
        "bruxism",
        "teeth grinding",
        "grinding my teeth",
        "tmj",
        "jaw tension",
        "tension headache",
    ):
        assert phrase not in RULES.phrase_index
        assert phrase in RULES.not_contraindications


def test_new_facial_droop_and_bells_palsy_are_red_flags():
    for phrase in (
        "face drooping",
        "facial droop",
        "bell's palsy",
        "bells palsy",
        "slurred speech",
        "chest pain",
        "coughing up blood",
        "fainted",
        "worst headache",
    ):
        assert RULES.phrase_index[phrase] == "red_flag"


@pytest.mark.parametrize(
    "phrase,cid",
    [
        ("haemophilia", "bleeding_disorder"),
        ("hemophilia", "bleeding_disorder"),
        ("diarrhoea", "fever_infection"),
        ("diarrhea", "fever_infection"),
        ("covid", "fever_infection"),
        ("lymphoedema", "cancer"),
        ("lymphedema", "cancer"),
        ("tumour", "cancer"),
        ("tumor", "cancer"),
        ("caesarean", "recent_surgery"),
        ("cesarean", "recent_surgery"),
        ("c-section", "recent_surgery"),
        ("placenta previa", "pregnancy_complication"),
        ("placenta praevia", "pregnancy_complication"),
        ("pre-eclampsia", "pregnancy_complication"),
        ("preeclampsia", "pregnancy_complication"),
        ("eliquis", "anticoagulants"),
        ("apixaban", "anticoagulants"),
        ("coumadin", "anticoagulants"),
        ("xarelto", "anticoagulants"),
        ("pradaxa", "anticoagulants"),
        ("lovenox", "anticoagulants"),
        ("plavix", "anticoagulants"),
        ("daily aspirin", "anticoagulants"),
        ("accutane", "facial_resurfacing"),
        ("roaccutane", "facial_resurfacing"),
        ("tretinoin", "facial_resurfacing"),
        ("botox", "facial_injectables"),
        ("dysport", "facial_injectables"),
        ("fillers", "facial_injectables"),
        ("pink eye", "contagious_skin"),
        ("cold sore", "contagious_skin"),
        ("sunburnt", "skin_local"),
        ("whiplash", "acute_injury"),
        ("jaw locked", "tmj_acute"),
        ("dvt", "dvt_history"),
        ("pe", "dvt_history"),
        ("swollen calf", "suspected_dvt"),
        ("osteopenia", "osteoporosis"),
        ("tia", "heart_bp"),
        ("insulin", "diabetes"),
        ("seizures", "epilepsy"),
        ("wisdom teeth", "dental_surgery"),
        ("drunk", "intoxicated"),
        ("lump", "unexplained_lump"),
        ("rosacea", "acne_rosacea"),
    ],
)
def test_recognised_phrases(phrase, cid):
    assert RULES.phrase_index[phrase] == cid


def test_messages_wording():
    m = RULES.messages
    assert "emergency" not in m  # the domain's utter_emergency (tests/unit/test_emergency.py)
    assert "check with your doctor, midwife or specialist" in m["clearance"]
    assert "therapist can call" in m["clearance"]
    assert "not a clinician" in m["opening"]
    consent = RULES.message("consent", retention_days=90)
    assert "90 days" in consent and "delete" in consent and "not the words you type" in consent


def test_questions_follow_screening_md():
    ids = [q.id for q in RULES.questions]
    assert ids[0] == "red_flags" and ids[-1] == "anything_else" and ids.index("service") == 2
    facial_only = [q.id for q in RULES.questions if q.services == ("facial",)]
    assert facial_only == ["facial_treatments", "facial_surgery_dental", "facial_skin", "jaw_nerve"]
    asked_about = {c for q in RULES.questions for c in q.conditions}
    # Every condition but intoxication (caught whenever mentioned) and the free-text catch-all has a question.
    assert set(RULES.conditions) - asked_about == {"other_condition"} or set(
        RULES.conditions
    ) - asked_about <= {"other_condition", "intoxicated"}
    for q in RULES.questions:
        if q.kind == "conditions":
            assert q.default_if_unclear in q.conditions


# ------------------------------------------------------------------ broken files


def _cond(data, cid):
    return next(c for c in data["conditions"] if c["id"] == cid)


def _quest(data, qid):
    return next(q for q in data["questions"] if q["id"] == qid)


def _m(fn):
    def mutate(data):
        fn(data)
        return data

    return mutate


BROKEN = [
    (
        "unknown_outcome",
        _m(lambda d: _cond(d, "pregnancy")["outcome"].update(body="maybe")),
        ["conditions[pregnancy].outcome.body", "unknown outcome 'maybe'"],
    ),
    (
        "unknown_outcome_in_refine",
        _m(lambda d: _cond(d, "fracture")["refine"][0]["outcome"].update(facial="later")),
        ["conditions[fracture].refine[0].outcome.facial", "unknown outcome 'later'"],
    ),
    (
        "unknown_service_in_outcome",
        _m(lambda d: _cond(d, "cancer")["outcome"].update(feet="ok")),
        ["conditions[cancer].outcome", "unknown service 'feet'"],
    ),
    (
        "missing_service_in_outcome",
        _m(lambda d: _cond(d, "cancer")["outcome"].pop("facial")),
        ["conditions[cancer].outcome", "no outcome for service 'facial'"],
    ),
    (
        "unknown_service_in_question",
        _m(lambda d: _quest(d, "unwell").update(services=["body", "feet"])),
        ["questions[unwell].services", "unknown service 'feet'"],
    ),
    (
        "unknown_when_key",
        _m(lambda d: _cond(d, "fracture")["refine"][1].update(when={"days_ago_maximum": 3})),
        ["conditions[fracture].refine[1].when", "unknown key 'days_ago_maximum'"],
    ),
    (
        "bad_when_value",
        _m(lambda d: _cond(d, "fracture")["refine"][1].update(when={"days_ago_min": "three"})),
        ["conditions[fracture].refine[1].when.days_ago_min", "whole number"],
    ),
    (
        "min_above_max",
        _m(
            lambda d: _cond(d, "fracture")["refine"][1].update(
                when={"days_ago_min": 9, "days_ago_max": 3}
            )
        ),
        ["conditions[fracture].refine[1].when", "can never apply"],
    ),
    (
        "duplicate_condition",
        _m(lambda d: d["conditions"].append(copy.deepcopy(_cond(d, "cancer")))),
        ["conditions[cancer]", "duplicate condition id"],
    ),
    (
        "duplicate_question",
        _m(lambda d: d["questions"].insert(3, copy.deepcopy(_quest(d, "cancer")))),
        ["questions[cancer]", "duplicate question id"],
    ),
    (
        "question_unknown_condition",
        _m(lambda d: _quest(d, "heart").update(conditions=["heart_bp", "gout"])),
        ["questions[heart].conditions", "unknown condition 'gout'"],
    ),
    (
        "default_not_in_question",
        _m(lambda d: _quest(d, "heart").update(default_if_unclear="cancer")),
        ["questions[heart].default_if_unclear", "not one of this question's conditions"],
    ),
    (
        "empty_terms",
        _m(lambda d: _cond(d, "cancer")["recognise"].update(terms=[])),
        ["conditions[cancer].recognise.terms", "must not be empty"],
    ),
    (
        "missing_terms",
        _m(lambda d: _cond(d, "cancer")["recognise"].pop("terms")),
        ["conditions[cancer].recognise.terms", "is missing"],
    ),
    (
        "term_claimed_twice",
        _m(lambda d: _cond(d, "heart_bp")["recognise"]["terms"].append("chemo")),
        ["conditions[", "'chemo' is also claimed by condition"],
    ),
    (
        "medication_claimed_twice",
        _m(
            lambda d: _cond(d, "heart_bp")["recognise"].update(
                medications=["warfarin"],
            )
        ),
        ["'warfarin' is also claimed by condition"],
    ),
    (
        "upper_case_term",
        _m(lambda d: _cond(d, "cancer")["recognise"]["terms"].append("Chemo Therapy")),
        ["conditions[cancer].recognise.terms", "must be lower-case"],
    ),
    (
        "bruxism_as_contraindication",
        _m(lambda d: _cond(d, "tmj_acute")["recognise"]["terms"].append("bruxism")),
        ["conditions[tmj_acute].recognise", "'bruxism' is listed under not_contraindications"],
    ),
    (
        "missing_message",
        _m(lambda d: d["messages"].pop("opening")),
        ["messages.opening", "is missing"],
    ),
    (
        "emergency_wording_belongs_to_the_domain",
        _m(lambda d: d["messages"].update(emergency="Call 999 now.")),
        ["messages.emergency", "utter_emergency"],
    ),
    (
        "clearance_wording",
        _m(lambda d: d["messages"].update(clearance="Get permission from your doctor.")),
        ["messages.clearance", "check with"],
    ),
    (
        "consent_without_retention",
        _m(lambda d: d["messages"].update(consent="We keep it for a while. OK?")),
        ["messages.consent", "{retention_days}"],
    ),
    (
        "unknown_placeholder",
        _m(lambda d: d["messages"].update(ok="Thanks {name}!")),
        ["messages.ok", "unknown placeholder {name}"],
    ),
    (
        "unknown_message",
        _m(lambda d: d["messages"].update(goodbye="Bye")),
        ["messages", "unknown message 'goodbye'"],
    ),
    (
        "missing_red_flag",
        _m(lambda d: d.update(conditions=[c for c in d["conditions"] if c["id"] != "red_flag"])),
        ["no 'red_flag' condition"],
    ),
    (
        "red_flag_not_emergency",
        _m(lambda d: _cond(d, "red_flag")["outcome"].update(facial="clearance")),
        ["conditions[red_flag].outcome", "must be emergency"],
    ),
    (
        "red_flag_refined",
        _m(
            lambda d: _cond(d, "red_flag").update(
                refine=[
                    {
                        "when": {"days_ago_min": 30},
                        "outcome": {"body": "clearance", "facial": "clearance"},
                        "reason": "old",
                    }
                ]
            )
        ),
        ["conditions[red_flag].refine", "cannot be refined"],
    ),
    (
        "combination_more_lenient",
        _m(
            lambda d: _cond(d, "osteoporosis")["refine"][1].update(
                outcome={"body": "modify", "facial": "modify"}
            )
        ),
        ["conditions[osteoporosis].refine[1].outcome.body", "may only make the outcome stricter"],
    ),
    (
        "combination_unknown_condition",
        _m(
            lambda d: _cond(d, "osteoporosis")["refine"][1].update(
                when={"with_condition_any": ["broken_bone"]}
            )
        ),
        [
            "conditions[osteoporosis].refine[1].when.with_condition_any",
            "unknown condition 'broken_bone'",
        ],
    ),
    (
        "counts_as_unknown",
        _m(lambda d: _cond(d, "anticoagulants")["refine"][0].update(counts_as="clot")),
        ["conditions[anticoagulants].refine[0].counts_as", "unknown condition 'clot'"],
    ),
    (
        "outcome_order_changed",
        _m(
            lambda d: d.update(outcome_order=["emergency", "postpone", "clearance", "modify", "ok"])
        ),
        ["outcome_order", "must be exactly"],
    ),
    (
        "missing_adaptation",
        _m(lambda d: _cond(d, "varicose_veins").pop("adaptation")),
        ["conditions[varicose_veins].adaptation", "is required"],
    ),
    (
        "missing_medication_class",
        _m(lambda d: _cond(d, "anticoagulants").pop("medication_class")),
        ["conditions[anticoagulants].medication_class", "is required"],
    ),
    (
        "yes_adds_unused",
        _m(lambda d: _cond(d, "diabetes")["follow_up"].update(yes_adds=["wobbly"])),
        ["conditions[diabetes].follow_up", "'wobbly'"],
    ),
    (
        "follow_up_unknown_need",
        _m(lambda d: _cond(d, "diabetes")["follow_up"].update(needs=["mood"])),
        ["conditions[diabetes].follow_up.needs", "unknown detail 'mood'"],
    ),
    (
        "first_question_not_red_flags",
        _m(lambda d: d["questions"].insert(0, d["questions"].pop(1))),
        ["questions", "first question must ask about red flags"],
    ),
    (
        "free_text_not_last",
        _m(lambda d: d["questions"].insert(3, d["questions"].pop())),
        ["questions", "must be the last one"],
    ),
    (
        "no_service_question",
        _m(lambda d: d.update(questions=[q for q in d["questions"] if q.get("kind") != "service"])),
        ["questions", "exactly one question of kind 'service'"],
    ),
    (
        "question_without_follow_up",
        _m(lambda d: _quest(d, "long_term").pop("follow_up")),
        ["questions[long_term].follow_up", "needs a follow-up"],
    ),
    (
        "question_without_default",
        _m(lambda d: _quest(d, "long_term").pop("default_if_unclear")),
        ["questions[long_term].default_if_unclear", "is missing"],
    ),
    (
        "unknown_question_kind",
        _m(lambda d: _quest(d, "long_term").update(kind="slider")),
        ["questions[long_term].kind", "unknown kind 'slider'"],
    ),
    (
        "unknown_top_level_key",
        _m(lambda d: d.update(extras=1)),
        ["top level", "unknown key 'extras'"],
    ),
    (
        "typo_in_condition_key",
        _m(lambda d: _cond(d, "cancer").update(outcomes={"body": "ok", "facial": "ok"})),
        ["conditions[cancer]", "unknown key 'outcomes'"],
    ),
    (
        "missing_source",
        _m(lambda d: _cond(d, "cancer").pop("source")),
        ["conditions[cancer].source", "is missing"],
    ),
    ("bad_version", _m(lambda d: d.update(version="one")), ["version", "positive whole number"]),
]


@pytest.mark.parametrize("name,mutate,expected", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_file_is_refused(tmp_path, name, mutate, expected):
    path = tmp_path / "screening_rules.yml"
    path.write_text(
        # libyaml's dumper: the same document, a tenth of the time (59 cases)
        yaml.dump(
            mutate(copy.deepcopy(RAW)),
            Dumper=yaml.CSafeDumper,
            sort_keys=False,
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    with pytest.raises(RulesError) as info:
        load_rules(path)
    message = str(info.value)
    assert str(path) in message
    for part in expected:
        assert part in message, message


def test_all_problems_are_listed_together(tmp_path):
    data = copy.deepcopy(RAW)
    _cond(data, "pregnancy")["outcome"]["body"] = "maybe"
    data["messages"].pop("postpone")
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(RulesError) as info:
        load_rules(path)
    assert len(info.value.errors) == 2


def test_the_unchanged_file_round_trips(tmp_path):
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump(copy.deepcopy(RAW), allow_unicode=True), encoding="utf-8")
    assert load_rules(path).conditions.keys() == RULES.conditions.keys()


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(RulesError, match="cannot read"):
        load_rules(tmp_path / "missing.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("conditions: [\n", encoding="utf-8")
    with pytest.raises(RulesError, match="not valid YAML"):
        load_rules(bad)
    listy = tmp_path / "list.yml"
    listy.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(RulesError, match="mapping"):
        load_rules(listy)
