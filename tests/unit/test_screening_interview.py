"""The pre-screen form's state machine, driven by scripted conversations.

Each profile gives the booked service (or None: asked), messages read before
the form (prefill), and the Reading the client's reply produces for each
question id (anything not listed is a plain "no"); it asserts the outcome,
the reasons and which questions were (not) asked. Readings are hand-built:
no spaCy needed.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from clinic_core.screening.engine import UnknownConditionError
from clinic_core.screening.interview import (
    apply_answer,
    client_notes,
    consent_text,
    load_retention_days,
    new_state,
    next_question,
    outcome,
    prefill,
    reset_question,
    service_from_massage_types,
    stored_record,
    summary,
)
from clinic_core.screening.model import Finding, Reading
from clinic_core.screening.rules import load_rules

RULES = load_rules()
FACIAL_ONLY = {q.id for q in RULES.questions if q.services == ("facial",)}
NO = Reading(polarity=False)
YES = Reading(polarity=True)
UNCLEAR = Reading()


def F(condition, evidence="", **kw):
    kw["qualifiers"] = tuple(kw.get("qualifiers", ()))
    return Finding(condition=condition, evidence=evidence, **kw)


def R(*findings, polarity=None, **kw):
    return Reading(polarity=polarity, findings=tuple(findings), **kw)


def run(service=None, pre=(), answers=None, service_answer=None, max_turns=60):
    """Drive a whole screening. ``answers`` maps a Question.id to a Reading or
    a list of Readings (one per time it is asked). Returns (state, asked ids)."""
    answers = {k: (list(v) if isinstance(v, list) else [v]) for k, v in (answers or {}).items()}
    state = new_state(service)
    for reading in pre:
        state = prefill(state, reading, RULES)
    asked = []
    for _ in range(max_turns):
        q = next_question(RULES, state)
        if q is None:
            return state, asked
        asked.append(q.id)
        if q.id in answers and answers[q.id]:
            reading = answers[q.id].pop(0) if len(answers[q.id]) > 1 else answers[q.id][0]
        elif q.kind == "service":
            reading = Reading(massage_types=(service_answer,)) if service_answer else UNCLEAR
        else:
            reading = NO
        before = json.dumps(state, sort_keys=True)
        new = apply_answer(RULES, state, q.id, reading)
        assert json.dumps(state, sort_keys=True) == before, "apply_answer must not modify its input"
        state = json.loads(json.dumps(new))  # must survive a Rasa slot round trip
    raise AssertionError(f"screening did not finish: {asked}")


# (id, kwargs for run(), expected outcome, reasons, must be asked, must not be asked)
SESSIONS = [
    (
        "all_no_body",
        dict(service="body"),
        "ok",
        [],
        ["red_flags", "anything_else"],
        list(FACIAL_ONLY) + ["service"],
    ),
    ("all_no_facial", dict(service="facial"), "ok", [], list(FACIAL_ONLY), ["service"]),
    (
        "service_asked_then_facial_prefilled_pregnancy",
        dict(
            pre=[R(F("pregnancy", "pregnant", weeks_pregnant=20))],
            service_answer="facial_therapeutic",
        ),
        "modify",
        ["pregnancy"],
        # the weeks were said: the complications question confirms them
        ["service", "pregnancy_complications", "jaw_nerve"],
        ["pregnancy", "pregnancy:follow_up:pregnancy"],
    ),
    (
        "red_flag_first_question_ends_flow",
        dict(service="body", answers={"red_flags": YES}),
        "emergency",
        ["red_flag"],
        ["red_flags"],
        ["unwell"],
    ),
    (
        "red_flag_mid_form",
        dict(service="body", answers={"heart": R(F("red_flag", "chest pain"), polarity=False)}),
        "emergency",
        ["red_flag"],
        ["heart"],
        ["surgery_injury", "anything_else"],
    ),
    (
        "red_flag_in_free_text",
        dict(service="facial", answers={"anything_else": R(F("red_flag", "face drooping"))}),
        "emergency",
        ["red_flag"],
        ["anything_else"],
        [],
    ),
    (
        "thinner_for_recent_clot",
        dict(
            service="body",
            answers={
                "clots_bleeding": R(F("anticoagulants", "eliquis", medication="eliquis")),
                "clots_bleeding:follow_up:anticoagulants": R(F("dvt_history", "clot", days_ago=20)),
            },
        ),
        "clearance",
        ["anticoagulants", "dvt_history"],
        ["clots_bleeding:follow_up:anticoagulants"],
        ["clots_bleeding:follow_up"],
    ),
    (
        "thinner_for_af",
        dict(
            service="body",
            answers={
                "clots_bleeding": R(F("anticoagulants", "eliquis", medication="eliquis")),
                "clots_bleeding:follow_up:anticoagulants": UNCLEAR,
            },
        ),
        "modify",
        ["anticoagulants"],
        ["clots_bleeding:follow_up:anticoagulants"],
        [],
    ),
    (
        "surgery_yes_then_details",
        dict(
            service="body",
            answers={
                "surgery_injury": YES,
                "surgery_injury:follow_up": R(F("recent_surgery", "operation", days_ago=14)),
            },
        ),
        "clearance",
        ["recent_surgery"],
        ["surgery_injury:follow_up"],
        ["surgery_injury:follow_up:recent_surgery"],
    ),
    (
        "surgery_yes_never_specific_assumes_cautious",
        dict(service="body", answers={"surgery_injury": YES, "surgery_injury:follow_up": UNCLEAR}),
        "clearance",
        ["recent_surgery"],
        ["surgery_injury:follow_up"],
        [],
    ),
    (
        "surgery_yes_then_actually_no",
        dict(service="body", answers={"surgery_injury": YES, "surgery_injury:follow_up": NO}),
        "ok",
        [],
        ["surgery_injury:follow_up"],
        [],
    ),
    (
        "fracture_old",
        dict(
            service="body",
            answers={
                "surgery_injury": R(F("fracture", "broke my"), polarity=True),
                "surgery_injury:follow_up:fracture": Reading(durations_days=(200,)),
            },
        ),
        "ok",
        [],
        ["surgery_injury:follow_up:fracture"],
        [],
    ),
    (
        "fracture_not_healed_bare_no",
        dict(
            service="body",
            answers={
                "surgery_injury": R(F("fracture", "broken wrist")),
                "surgery_injury:follow_up:fracture": NO,
            },
        ),
        "clearance",
        ["fracture"],
        ["surgery_injury:follow_up:fracture"],
        [],
    ),
    # A date alone does not say whether it has healed: still asked.
    (
        "fracture_date_given_still_asked_healed",
        dict(
            service="body",
            answers={
                "surgery_injury": R(F("fracture", "broke my", days_ago=42, body_area="wrist")),
                "surgery_injury:follow_up:fracture": NO,
            },
        ),
        "clearance",
        ["fracture"],
        ["surgery_injury:follow_up:fracture"],
        [],
    ),
    (
        "fracture_date_and_healed_not_asked",
        dict(
            service="body",
            answers={
                "surgery_injury": R(F("fracture", "broke my", days_ago=400, qualifiers=["healed"]))
            },
        ),
        "ok",
        [],
        [],
        ["surgery_injury:follow_up:fracture"],
    ),
    (
        "surgery_over_6_weeks_wound_not_healed",
        dict(
            service="body",
            answers={
                "surgery_injury": R(F("recent_surgery", "operation")),
                "surgery_injury:follow_up:recent_surgery": Reading(
                    polarity=False, durations_days=(60,)
                ),
            },
        ),
        "clearance",
        ["recent_surgery"],
        [],
        [],
    ),
    (
        "pregnant_then_bleeding_mentioned_late",
        dict(
            service="facial",
            answers={"pregnancy": YES, "anything_else": R(F("pregnancy_complication", "bleeding"))},
        ),
        "emergency",
        ["pregnancy_complication", "pregnancy"],
        [],
        [],
    ),
    (
        "fracture_cast_in_follow_up",
        dict(
            service="body",
            answers={
                "surgery_injury": R(F("fracture", "broken arm")),
                "surgery_injury:follow_up:fracture": R(
                    F("fracture", "in a cast"), durations_days=(21,)
                ),
            },
        ),
        "clearance",
        ["fracture"],
        [],
        [],
    ),
    (
        "heart_yes_controlled_by_bare_no",
        dict(service="body", answers={"heart": YES, "heart:follow_up:heart_bp": NO}),
        "modify",
        ["heart_bp"],
        ["heart:follow_up:heart_bp"],
        ["heart:follow_up"],
    ),
    (
        "heart_yes_uncontrolled_by_bare_yes",
        dict(service="body", answers={"heart": YES, "heart:follow_up:heart_bp": YES}),
        "clearance",
        ["heart_bp"],
        [],
        [],
    ),
    (
        "heart_yes_follow_up_unclear_stays_cautious",
        dict(service="facial", answers={"heart": YES, "heart:follow_up:heart_bp": UNCLEAR}),
        "clearance",
        ["heart_bp"],
        [],
        [],
    ),
    (
        "heart_yes_controlled_in_same_message_no_follow_up",
        dict(
            service="body",
            answers={
                "heart": R(
                    F("heart_bp", "high blood pressure", qualifiers=["controlled"]), polarity=True
                )
            },
        ),
        "modify",
        ["heart_bp"],
        [],
        ["heart:follow_up:heart_bp"],
    ),
    (
        "diabetes_stable",
        dict(
            service="body",
            answers={"long_term": R(F("diabetes", "diabetes")), "long_term:follow_up:diabetes": NO},
        ),
        "modify",
        ["diabetes"],
        ["long_term:follow_up:diabetes"],
        [],
    ),
    (
        "osteoporosis_severe",
        dict(
            service="body",
            answers={
                "long_term": R(F("osteoporosis", "osteoporosis")),
                "long_term:follow_up:osteoporosis": YES,
            },
        ),
        "clearance",
        ["osteoporosis"],
        [],
        [],
    ),
    (
        "epilepsy_controlled",
        dict(
            service="facial",
            answers={"long_term": R(F("epilepsy", "epilepsy")), "long_term:follow_up:epilepsy": NO},
        ),
        "modify",
        ["epilepsy"],
        [],
        [],
    ),
    (
        "unclear_twice_assumes_cautious",
        dict(service="body", answers={"cancer": [UNCLEAR, UNCLEAR]}),
        "clearance",
        ["cancer"],
        [],
        [],
    ),
    (
        "unclear_once_then_no",
        dict(service="body", answers={"cancer": [UNCLEAR, NO]}),
        "ok",
        [],
        [],
        [],
    ),
    (
        "botox_with_date_no_follow_up",
        dict(
            service="facial",
            answers={"facial_treatments": R(F("facial_injectables", "botox", days_ago=5))},
        ),
        "postpone",
        ["facial_injectables"],
        [],
        ["facial_treatments:follow_up:facial_injectables"],
    ),
    (
        "botox_date_asked",
        dict(
            service="facial",
            answers={
                "facial_treatments": R(F("facial_injectables", "botox")),
                "facial_treatments:follow_up:facial_injectables": Reading(durations_days=(30,)),
            },
        ),
        "modify",
        ["facial_injectables"],
        ["facial_treatments:follow_up:facial_injectables"],
        [],
    ),
    (
        "botox_date_never_given",
        dict(
            service="facial",
            answers={
                "facial_treatments": R(F("facial_injectables", "fillers")),
                "facial_treatments:follow_up:facial_injectables": UNCLEAR,
            },
        ),
        "postpone",
        ["facial_injectables"],
        [],
        [],
    ),
    (
        "wisdom_teeth_healed",
        dict(
            service="facial",
            answers={
                "facial_surgery_dental": R(F("dental_surgery", "wisdom teeth")),
                "facial_surgery_dental:follow_up:dental_surgery": YES,
            },
        ),
        "ok",
        [],
        ["facial_surgery_dental:follow_up:dental_surgery"],
        [],
    ),
    (
        "bruxism_is_not_a_contraindication",
        dict(service="facial", answers={"jaw_nerve": YES, "jaw_nerve:follow_up": NO}),
        "ok",
        [],
        ["jaw_nerve:follow_up"],
        [],
    ),
    (
        "jaw_locked",
        dict(service="facial", answers={"jaw_nerve": R(F("tmj_acute", "jaw locked"))}),
        "clearance",
        ["tmj_acute"],
        [],
        [],
    ),
    (
        "correction_clears_earlier_yes",
        dict(
            service="body",
            answers={
                "unwell": R(F("fever_infection", "flu")),
                "unwell:follow_up:fever_infection": UNCLEAR,
                "anything_else": R(Finding("fever_infection", negated=True), polarity=False),
            },
        ),
        "ok",
        [],
        ["unwell:follow_up:fever_infection"],
        [],
    ),
    (
        "correction_not_pregnant_after_all",
        dict(
            service="body",
            pre=[R(F("pregnancy", "pregnant"))],
            answers={
                "pregnancy:follow_up:pregnancy": R(
                    Finding("pregnancy", negated=True), polarity=False
                )
            },
        ),
        "ok",
        [],
        ["pregnancy:follow_up:pregnancy", "pregnancy"],
        [],
    ),
    (
        "other_condition_kept_from_other_question",
        dict(
            service="body",
            answers={"cancer": R(F("varicose_veins", "varicose veins"), polarity=False)},
        ),
        "modify",
        ["varicose_veins"],
        [],
        [],
    ),
    (
        "service_unclear_twice_judges_both",
        dict(answers={"facial_treatments": R(F("facial_injectables", "botox", days_ago=3))}),
        "postpone",
        ["facial_injectables"],
        ["service", "facial_treatments"],
        [],
    ),
    (
        "service_from_first_message",
        dict(pre=[Reading(massage_types=("swedish",))]),
        "ok",
        [],
        ["red_flags"],
        ["service"] + list(FACIAL_ONLY),
    ),
    (
        "prefilled_red_flag_asks_nothing",
        dict(service="facial", pre=[R(F("red_flag", "chest pain"))]),
        "emergency",
        ["red_flag"],
        [],
        ["red_flags"],
    ),
    (
        "swollen_calf_and_breathless",
        dict(
            service="body",
            answers={
                "red_flags": R(F("suspected_dvt", "swollen calf")),
                "red_flags:follow_up:suspected_dvt": YES,
            },
        ),
        "emergency",
        ["suspected_dvt"],
        ["red_flags:follow_up:suspected_dvt"],
        ["pregnancy"],
    ),
    (
        "swollen_calf_not_breathless",
        dict(
            service="body",
            answers={
                "red_flags": R(F("suspected_dvt", "swollen calf")),
                "red_flags:follow_up:suspected_dvt": NO,
            },
        ),
        "clearance",
        ["suspected_dvt"],
        [],
        [],
    ),
    (
        "anything_else_yes_but_unreadable",
        dict(service="body", answers={"anything_else": YES, "anything_else:follow_up": UNCLEAR}),
        "clearance",
        ["other_condition"],
        ["anything_else:follow_up"],
        [],
    ),
    (
        "anything_else_drunk",
        dict(service="body", answers={"anything_else": R(F("intoxicated", "had a few drinks"))}),
        "postpone",
        ["intoxicated"],
        [],
        ["anything_else:follow_up"],
    ),
    (
        "surgery_mentioned_late_gets_its_follow_up",
        dict(
            service="body",
            answers={
                "anything_else": R(F("recent_surgery", "operation")),
                "surgery_injury:follow_up:recent_surgery": Reading(durations_days=(100,)),
            },
        ),
        # 100 days: outside screening.md's "last 6 weeks" (issue 11)
        "ok",
        [],
        ["surgery_injury:follow_up:recent_surgery"],
        [],
    ),
    (
        "botox_irrelevant_for_body",
        dict(service="body", pre=[R(F("facial_injectables", "botox"))]),
        "ok",
        [],
        [],
        ["extra:follow_up:facial_injectables", "facial_treatments"],
    ),
    (
        "pregnant_with_weeks_in_answer",
        dict(service="body", answers={"pregnancy": Reading(polarity=True, weeks_pregnant=12)}),
        "modify",
        ["pregnancy"],
        # the weeks were said: not asked again; the complications are confirmed
        ["pregnancy_complications"],
        ["pregnancy:follow_up:pregnancy"],
    ),
    (
        "pregnant_bleeding_in_follow_up",
        dict(
            service="body",
            answers={
                "pregnancy": YES,
                "pregnancy:follow_up:pregnancy": R(F("pregnancy_complication", "vaginal bleeding")),
            },
        ),
        "emergency",
        ["pregnancy_complication", "pregnancy"],
        [],
        ["cancer"],
    ),
    (
        "pregnant_complications_bare_yes",
        dict(
            service="facial",
            answers={
                "pregnancy": YES,
                "pregnancy:follow_up:pregnancy": Reading(weeks_pregnant=20),
                "pregnancy_complications": YES,
            },
        ),
        "clearance",
        ["pregnancy_complication", "pregnancy"],
        [],
        [],
    ),
    (
        "pregnancy_unclear_twice",
        dict(service="body", answers={"pregnancy": [UNCLEAR, UNCLEAR]}),
        "clearance",
        ["pregnancy_complication"],
        [],
        [],
    ),
    # skin_local's home question is skin_area, so its follow-up carries that id.
    (
        "sunburnt_nose_facial",
        dict(
            service="facial",
            answers={
                "facial_skin": R(F("skin_local", "sunburn")),
                "skin_area:follow_up:skin_local": Reading(body_areas=("nose",)),
            },
        ),
        "postpone",
        ["skin_local"],
        ["skin_area:follow_up:skin_local"],
        [],
    ),
    (
        "sunburnt_legs_facial",
        dict(
            service="facial",
            answers={
                "facial_skin": R(F("skin_local", "sunburnt")),
                "skin_area:follow_up:skin_local": Reading(body_areas=("legs",)),
            },
        ),
        "modify",
        ["skin_local"],
        ["skin_area:follow_up:skin_local"],
        [],
    ),
    (
        "sunburnt_back_body",
        dict(
            service="body",
            answers={
                "skin_area": R(F("skin_local", "sunburn")),
                "skin_area:follow_up:skin_local": Reading(body_areas=("back",)),
            },
        ),
        "modify",
        ["skin_local"],
        [],
        [],
    ),
    (
        "cold_sore_body_then_facial_questions_skipped",
        dict(service="body", answers={"unwell": R(F("contagious_skin", "cold sore"))}),
        "modify",
        ["contagious_skin"],
        [],
        list(FACIAL_ONLY),
    ),
    # "Yes, my neck" to "...was it from an accident?": the yes still counts.
    (
        "accident_neck_from_follow_up",
        dict(
            service="body",
            answers={
                "surgery_injury": R(F("acute_injury", "injury")),
                "surgery_injury:follow_up:acute_injury": Reading(
                    body_areas=("neck",), polarity=True
                ),
            },
        ),
        "clearance",
        ["acute_injury"],
        [],
        [],
    ),
    (
        "injury_knee_no_accident",
        dict(
            service="body",
            answers={
                "surgery_injury": R(F("acute_injury", "injury")),
                "surgery_injury:follow_up:acute_injury": Reading(
                    body_areas=("knee",), polarity=False, durations_days=(2,)
                ),
            },
        ),
        "modify",
        ["acute_injury"],
        [],
        [],
    ),
    # A lenient qualifier ("healed") needs a bare yes: "yes, 3 days ago" is not enough.
    (
        "dental_yes_with_date_is_not_healed",
        dict(
            service="facial",
            answers={
                "facial_surgery_dental": R(F("dental_surgery", "tooth extraction")),
                "facial_surgery_dental:follow_up:dental_surgery": Reading(
                    polarity=True, durations_days=(3,)
                ),
            },
        ),
        "postpone",
        ["dental_surgery"],
        [],
        [],
    ),
    (
        "pregnancy_yes_with_weeks_is_not_complications",
        dict(
            service="body",
            answers={
                "pregnancy": YES,
                "pregnancy:follow_up:pregnancy": Reading(polarity=True, weeks_pregnant=30),
            },
        ),
        # issue 11: "yes, 30 weeks" to the weeks question is not "yes,
        # complications"; the complications are their own question (a no here)
        "modify",
        ["pregnancy"],
        ["pregnancy_complications"],
        [],
    ),
    (
        "heart_no_but_recent_date_given",
        dict(
            service="body",
            answers={
                "heart": R(F("heart_bp", "stroke")),
                "heart:follow_up:heart_bp": Reading(polarity=False, durations_days=(30,)),
            },
        ),
        "clearance",
        ["heart_bp"],
        [],
        [],
    ),
    (
        "accident_bare_yes_area_unknown",
        dict(
            service="body",
            answers={
                "surgery_injury": R(F("acute_injury", "injury")),
                "surgery_injury:follow_up:acute_injury": YES,
            },
        ),
        "clearance",
        ["acute_injury"],
        [],
        [],
    ),
]


def test_session_table_ids_unique_and_big_enough():
    ids = [s[0] for s in SESSIONS]
    assert len(ids) == len(set(ids))
    assert len(SESSIONS) >= 40


@pytest.mark.parametrize(
    "case_id,kwargs,expected,reasons,asked,not_asked", SESSIONS, ids=[s[0] for s in SESSIONS]
)
def test_session_profile(case_id, kwargs, expected, reasons, asked, not_asked):
    state, got_asked = run(**kwargs)
    result = outcome(RULES, state)
    assert result.outcome == expected, (got_asked, state["findings"])
    assert list(result.reasons) == reasons
    for qid in asked:
        assert qid in got_asked, f"{qid} not asked: {got_asked}"
    for qid in not_asked:
        assert qid not in got_asked, f"{qid} asked: {got_asked}"
    if expected == "emergency":
        assert state["emergency"] is True
        assert next_question(RULES, state) is None


# ------------------------------------------------------------ individual rules


def test_question_order_follows_screening_md():
    _, asked = run(service=None, service_answer="facial")
    assert asked == [
        "red_flags",
        "unwell",
        "service",
        "clots_bleeding",
        "pregnancy",
        "cancer",
        "heart",
        "surgery_injury",
        "long_term",
        "skin_area",
        "facial_treatments",
        "facial_surgery_dental",
        "facial_skin",
        "jaw_nerve",
        "anything_else",
    ]


def test_unclear_answer_is_reasked_once_with_hint():
    state = new_state("body")
    q = next_question(RULES, state)
    assert q.kind == "main"
    state = apply_answer(RULES, state, q.id, UNCLEAR)
    retry = next_question(RULES, state)
    assert retry.id == q.id and retry.kind == "retry"
    assert retry.text.startswith(RULES.messages["retry_hint"])
    state = apply_answer(RULES, state, retry.id, UNCLEAR)
    # Unclear twice on the red-flag question: cautiously an emergency.
    assert state["emergency"] and outcome(RULES, state).outcome == "emergency"


def test_emergency_is_sticky():
    state = apply_answer(RULES, new_state("body"), "red_flags", YES)
    assert outcome(RULES, state).outcome == "emergency"
    later = apply_answer(
        RULES, state, "anything_else", R(Finding("red_flag", negated=True), polarity=False)
    )
    assert later == state
    assert outcome(RULES, later).outcome == "emergency"


def test_red_flag_in_prefill_without_rules_is_still_caught():
    state = prefill(new_state("body"), R(F("red_flag", "can't breathe")))
    assert next_question(RULES, state) is None
    assert outcome(RULES, state).outcome == "emergency"


def test_preface_mentions_what_is_already_known():
    state = prefill(
        new_state("body"), R(F("anticoagulants", "warfarin", medication="warfarin")), RULES
    )
    state = apply_answer(RULES, state, "red_flags", NO)
    state = apply_answer(RULES, state, "unwell", NO)
    q = next_question(RULES, state)
    assert q.id == "clots_bleeding:follow_up:anticoagulants"
    state = apply_answer(RULES, state, q.id, UNCLEAR)
    q = next_question(RULES, state)
    # Other clot / bleeding conditions are not answered by the warfarin: still asked.
    assert q.id == "clots_bleeding"
    assert "Blood thinners" in q.preface


def test_prefill_answers_question_only_when_complete():
    state = prefill(new_state("body"), R(F("heart_bp", "high blood pressure")), RULES)
    state = apply_answer(RULES, state, "red_flags", NO)
    state = apply_answer(RULES, state, "unwell", NO)
    state = apply_answer(RULES, state, "clots_bleeding", NO)
    state = apply_answer(RULES, state, "pregnancy", NO)
    state = apply_answer(RULES, state, "cancer", NO)
    q = next_question(RULES, state)
    assert q.id == "heart:follow_up:heart_bp"  # main heart question skipped, detail still asked
    state = apply_answer(RULES, state, q.id, NO)
    assert next_question(RULES, state).id == "surgery_injury"


def test_unknown_ids_raise():
    state = new_state("body")
    with pytest.raises(KeyError):
        apply_answer(RULES, state, "no_such_question", NO)
    with pytest.raises(KeyError):
        apply_answer(RULES, state, "heart:follow_up:gout", NO)
    with pytest.raises(UnknownConditionError):
        apply_answer(RULES, state, "heart", R(F("gout", "gout")))
    with pytest.raises(ValueError):
        new_state("feet")


def test_reset_question_asks_it_again_with_its_follow_ups():
    state, _ = run(service="body", answers={"heart": YES, "heart:follow_up:heart_bp": NO})
    assert outcome(RULES, state).outcome == "modify"
    state = reset_question(RULES, state, "heart")
    assert outcome(RULES, state).outcome == "ok"
    q = next_question(RULES, state)
    assert q.id == "heart"
    state = apply_answer(RULES, state, q.id, YES)
    assert next_question(RULES, state).id == "heart:follow_up:heart_bp"  # asked again
    state = apply_answer(RULES, state, "heart:follow_up:heart_bp", YES)
    assert next_question(RULES, state) is None
    assert outcome(RULES, state).outcome == "clearance"


def test_reset_never_forgets_an_emergency():
    state = apply_answer(RULES, new_state("body"), "red_flags", YES)
    state = reset_question(RULES, state, "red_flags")
    assert outcome(RULES, state).outcome == "emergency"
    assert next_question(RULES, state) is None


def test_service_mapping():
    assert service_from_massage_types(["facial_therapeutic"]) == "facial"
    assert service_from_massage_types(["deep_tissue"]) == "body"
    assert service_from_massage_types(["swedish", "cosmetic_facial"]) == "both"
    assert service_from_massage_types([]) is None


def test_summary_has_no_free_text():
    secret = "my ex-husband's warfarin story"
    state, _ = run(
        service="body",
        answers={
            "clots_bleeding": R(F("anticoagulants", secret, medication="warfarin")),
            "clots_bleeding:follow_up:anticoagulants": UNCLEAR,
            "surgery_injury": YES,
            "surgery_injury:follow_up": UNCLEAR,
        },
    )
    lines = summary(RULES, state)
    text = " ".join(lines)
    assert secret not in text and "warfarin" not in text
    assert "Service: body massage" in lines
    assert any(line.startswith("Blood thinners") for line in lines)
    assert any("noted it cautiously" in line for line in lines)


def test_summary_when_nothing_found():
    state, _ = run(service="facial")
    assert summary(RULES, state) == ["Service: facial massage", RULES.messages["summary_none"]]


def test_client_notes_for_lump():
    state, _ = run(service="body", answers={"skin_area": R(F("unexplained_lump", "lump"))})
    assert any("GP" in n for n in client_notes(RULES, state))


def test_stored_record_is_minimal():
    now = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    state, _ = run(
        service="body",
        answers={
            "clots_bleeding": R(
                F("anticoagulants", "I take Eliquis since my op", medication="eliquis")
            ),
            "clots_bleeding:follow_up:anticoagulants": UNCLEAR,
            "pregnancy": Reading(polarity=True, weeks_pregnant=24),
            "skin_area": R(F("skin_local", "eczema on my hands", body_area="hands")),
            "anything_else": R(
                F("facial_injectables", "botox last week", days_ago=7)
            ),  # ok for body: not stored
        },
    )
    record = stored_record(RULES, state, now)
    assert record["outcome"] == "modify"
    assert record["reasons"] == ["anticoagulants", "pregnancy", "skin_local"]
    assert record["retain_until"] == "2026-05-30T12:00:00+00:00"  # 90 days (clinic/profile.yml)
    ids = [c["id"] for c in record["conditions"]]
    assert ids == ["anticoagulants", "pregnancy", "skin_local"]
    anticoag = record["conditions"][0]
    assert anticoag == {"id": "anticoagulants", "medication_class": "anticoagulant"}
    assert {"id": "pregnancy", "weeks_pregnant": 24} in record["conditions"]
    blob = json.dumps(record)
    for forbidden in (
        "Eliquis",
        "eliquis",
        "eczema on my hands",
        "botox",
        "evidence",
        "since my op",
    ):
        assert forbidden not in blob
    assert record["answers"]["pregnancy"] == "yes" and record["answers"]["cancer"] == "no"


def test_stored_record_counts_prefilled_answers():
    now = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    state, asked = run(service="body", pre=[R(F("pregnancy", "pregnant", weeks_pregnant=20))])
    assert "pregnancy" not in asked
    record = stored_record(RULES, state, now, retention_days=30)
    assert record["answers"]["pregnancy"] == "yes"
    assert record["conditions"] == [{"id": "pregnancy", "weeks_pregnant": 20}]
    assert record["retain_until"] == "2026-03-31T12:00:00+00:00"


def test_retention_and_consent_text():
    assert load_retention_days() == 90
    text = consent_text(RULES)
    assert "90 days" in text and "{retention_days}" not in text


def test_retention_must_be_valid(tmp_path):
    bad = tmp_path / "profile.yml"
    bad.write_text("retention:\n  screening_days: 0\n")
    with pytest.raises(ValueError):
        load_retention_days(bad)


def test_state_is_json_and_inputs_untouched():
    state = new_state()
    snapshot = json.dumps(state, sort_keys=True)
    prefill(state, R(F("pregnancy", "pregnant", weeks_pregnant=30)), RULES)
    next_question(RULES, state)
    outcome(RULES, state)
    assert json.dumps(state, sort_keys=True) == snapshot
