"""Issue 11, the pre-screen side, in the interview itself (no spaCy, no
Rasa): one thing per question, a question never shown a third time,
cautious but by the table, and the functions the booking side calls for a
change of service (item 5) and health news (item 6)."""

from __future__ import annotations

from clinic_core.screening import interview as I
from clinic_core.screening.model import Finding, Reading
from clinic_core.screening.rules import load_rules

RULES = load_rules()
NO = Reading(polarity=False)
YES = Reading(polarity=True)
UNCLEAR = Reading()


def F(condition: str, evidence: str = "", **kw) -> Finding:
    kw["qualifiers"] = tuple(kw.get("qualifiers", ()))
    return Finding(condition=condition, evidence=evidence, **kw)


def R(*findings: Finding, polarity: bool | None = None, **kw) -> Reading:
    return Reading(polarity=polarity, findings=tuple(findings), **kw)


def drive(state: dict, answers: dict, limit: int = 40) -> tuple[dict, list[str], list[str]]:
    """Answers every question (a plain no unless listed); returns the state,
    the question ids and the texts asked."""
    answers = {k: list(v) if isinstance(v, list) else [v] for k, v in answers.items()}
    ids: list[str] = []
    texts: list[str] = []
    for _ in range(limit):
        q = I.next_question(RULES, state)
        if q is None:
            return state, ids, texts
        ids.append(q.id)
        texts.append(q.full_text)
        queue = answers.get(q.id) or [NO]
        reading = queue.pop(0) if len(queue) > 1 else queue[0]
        state = I.apply_answer(RULES, state, q.id, reading)
    raise AssertionError(f"did not finish: {ids}")


def test_the_calf_now_is_asked_with_the_red_flags_not_with_past_clots() -> None:
    red = RULES.question("red_flags")
    clots = RULES.question("clots_bleeding")
    assert "suspected_dvt" in red.conditions and "calf" in red.text
    assert "suspected_dvt" not in clots.conditions and "calf" not in clots.text


def test_complications_are_their_own_question_confirming_the_weeks() -> None:
    state, ids, texts = drive(
        I.new_state("body"), {"pregnancy": Reading(polarity=True, weeks_pregnant=20)}
    )
    assert "pregnancy:follow_up:pregnancy" not in ids  # the weeks were said
    at = ids.index("pregnancy_complications")
    assert texts[at].startswith("You mentioned you're 20 weeks pregnant.")
    assert I.outcome(RULES, state).outcome == "modify"


def test_complications_are_not_asked_of_someone_not_pregnant() -> None:
    _, ids, _ = drive(I.new_state("body"), {})
    assert "pregnancy_complications" not in ids


def test_yes_with_weeks_to_the_weeks_question_is_not_a_complication() -> None:
    state, _, _ = drive(
        I.new_state("body"),
        {
            "pregnancy": YES,
            "pregnancy:follow_up:pregnancy": Reading(polarity=True, weeks_pregnant=20),
        },
    )
    assert I.outcome(RULES, state).outcome == "modify"


def test_a_tooth_extraction_to_the_operation_question_is_not_also_an_operation() -> None:
    tooth = R(F("dental_surgery", "tooth extraction", days_ago=7), polarity=True)
    state, ids, _ = drive(I.new_state("facial"), {"surgery_injury": tooth})
    assert "surgery_injury:follow_up" not in ids
    result = I.outcome(RULES, state)
    assert result.outcome == "postpone" and "recent_surgery" not in result.reasons


def test_an_answer_naming_another_condition_still_gets_the_cautious_follow_up() -> None:
    # "I bruise easily" read only as a bruise on the skin: the clots question
    # still asks which it is, then takes the cautious default (never a pass)
    bruise = R(F("skin_local", "bruise"), polarity=True)
    state, ids, _ = drive(
        I.new_state("body"), {"clots_bleeding": bruise, "clots_bleeding:follow_up": UNCLEAR}
    )
    assert "clots_bleeding:follow_up" in ids
    assert I.outcome(RULES, state).outcome == "clearance"


def test_an_off_topic_answer_brings_the_question_back_once_then_it_is_taken_cautiously() -> None:
    state = I.new_state("body")
    state = I.apply_answer(RULES, state, "red_flags", NO)
    state = I.apply_answer(RULES, state, "unwell", NO)
    state = I.apply_answer(RULES, state, "clots_bleeding", NO)
    state = I.note_off_topic(RULES, state, "pregnancy")
    q = I.next_question(RULES, state)
    assert q.id == "pregnancy" and q.text.startswith(RULES.message("back_to_question"))
    state = I.note_off_topic(RULES, state, "pregnancy")  # a second detour
    assert I.next_question(RULES, state).id != "pregnancy"
    assert state["answers"]["pregnancy"] == "unclear"
    lines = I.summary(RULES, state)
    assert any("I wasn't sure about one answer" in line for line in lines)


def test_an_unreadable_answer_is_asked_once_more_then_noted_cautiously() -> None:
    state, ids, _ = drive(I.new_state("body"), {"heart": [UNCLEAR, UNCLEAR]})
    assert ids.count("heart") == 2
    assert I.outcome(RULES, state).outcome == "clearance"


def test_a_follow_up_is_asked_until_the_details_decide() -> None:
    # a stent four years ago: known, but not whether it is controlled now
    stent = R(F("heart_bp", "stent", days_ago=1460), polarity=True)
    state, ids, _ = drive(I.new_state("body"), {"heart": stent})
    assert "heart:follow_up:heart_bp" in ids


def test_naming_the_condition_again_is_not_a_yes_to_its_follow_up() -> None:
    again = R(
        F("osteoporosis", "osteoporosis"),
        F("fracture", "fractures", negated=True),
        polarity=True,
        polarity_from_words=False,
    )
    state, _, _ = drive(
        I.new_state("body"),
        {
            "long_term": R(F("osteoporosis", "osteoporosis")),
            "long_term:follow_up:osteoporosis": again,
        },
    )
    assert I.outcome(RULES, state).outcome == "modify"


def test_change_service_asks_only_the_questions_that_differ() -> None:
    state, _, _ = drive(I.new_state("body"), {})
    added = I.questions_added_by(RULES, state, "facial")
    assert added and all(RULES.question(q).services == ("facial",) for q in added)
    changed = I.change_service(RULES, state, "facial")
    _, ids, _ = drive(changed, {})
    assert ids == added + [] or set(ids) == set(added)
    assert I.questions_added_by(RULES, changed, "body") == []


def test_health_news_reopens_for_what_it_changes() -> None:
    state, _, _ = drive(I.new_state("body"), {})
    assert I.outcome(RULES, state).outcome == "ok"
    news = R(F("pregnancy", "30 weeks pregnant", weeks_pregnant=30), polarity=True)
    reopened = I.reopen(RULES, state, news)
    assert I.next_question(RULES, reopened).id == "pregnancy_complications"
    final, ids, _ = drive(reopened, {})
    assert ids == ["pregnancy_complications"]
    assert I.outcome(RULES, final).outcome == "modify"


def test_health_news_of_an_emergency_is_one_at_once() -> None:
    state, _, _ = drive(I.new_state("body"), {})
    news = R(F("red_flag", "chest pain"), polarity=True)
    reopened = I.reopen(RULES, state, news)
    assert I.next_question(RULES, reopened) is None
    assert I.outcome(RULES, reopened).outcome == "emergency"


def test_the_service_the_client_turns_to() -> None:
    assert (
        I.service_wanted("actually, can we make it a facial instead of a body massage?") == "facial"
    )
    assert I.service_wanted("I want a body massage, not a facial") == "body"
    assert I.service_wanted("body and facial") == "both"


def test_no_follow_up_when_nothing_could_change_the_outcome() -> None:
    # on antibiotics: postpone whenever the symptoms stopped
    antibiotics = R(F("fever_infection", "on antibiotics", qualifiers=("on_antibiotics",)))
    _, ids, _ = drive(I.new_state("body"), {"unwell": antibiotics})
    assert "unwell:follow_up:fever_infection" not in ids


def test_a_blood_thinner_with_its_reason_named_needs_no_follow_up() -> None:
    answer = R(F("anticoagulants", "apixaban", medication="apixaban"), F("heart_bp", "AF"))
    _, ids, _ = drive(I.new_state("body"), {"clots_bleeding": answer})
    assert "clots_bleeding:follow_up:anticoagulants" not in ids
    _, ids, _ = drive(
        I.new_state("body"),
        {"clots_bleeding": R(F("anticoagulants", "aspirin", medication="aspirin"))},
    )
    assert "clots_bleeding:follow_up:anticoagulants" in ids  # what for: still asked
