"""Issue 11, round two: two kinds of misreading the booking clients showed,
fixed by kind (not by adding the clients' words to the rules file).

* Misspelled condition words ("temprature", b93) are read as the word meant,
  and nothing else is: a fuzzy hit on an everyday word ("cancel" /
  "cancer") would ask a healthy client for a doctor's note
  (clinic_core/nlp/spelling.py).
* A habit or a condition ("I bruise a bit after sport", b77) of a condition
  that counts only when there now is no finding unless the question asks
  about it; a plain "no" to "where on your body is it?" takes it back
  (clinic_core/screening/interview.py, the rules file's `current_only` and
  `no_withdraws`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clinic_core.nlp.reader import load_nlp, read
from clinic_core.nlp.spelling import edit_distance, speller
from clinic_core.screening import interview as I
from clinic_core.screening.model import HABITUAL, Finding, Reading
from clinic_core.screening.rules import load_rules

RULES = load_rules()


@pytest.fixture(scope="module")
def nlp():
    return load_nlp()


def conditions(nlp, text: str) -> list[str]:
    return sorted(f.condition for f in read(nlp, text).positive())


# --------------------------------------------------------------- spelling


@pytest.mark.parametrize(
    "said, condition",
    [
        ("ive got a temprature today", "fever_infection"),
        ("I have diabetis", "diabetes"),
        ("I'm pregant", "pregnancy"),
        ("Im on warfrin", "anticoagulants"),
        ("I had surgury last month", "recent_surgery"),
        ("my blood presure is high", "heart_bp"),
        ("I had a thrombossis years ago", "dvt_history"),
        ("sprained my ankel", "acute_injury"),
    ],
)
def test_a_misspelled_condition_word_is_read(nlp, said: str, condition: str) -> None:
    assert condition in conditions(nlp, said)


@pytest.mark.parametrize(
    "said",
    [
        "I need to cancel",  # cancer
        "we're going on a cruise",  # bruise: another first letter
        "fewer sessions please",  # fever: too short to guess
        "just back from spain",  # sprain
        "heres my question",  # herpes
        "ok laters",  # lasers: one letter changed in a six-letter word
        "a temperate climate",  # temperature: two edits in a nine-letter word
        "a chesty cough",  # chests
        "an electrical fault",
    ],
)
def test_an_everyday_word_is_not_read_as_a_condition(nlp, said: str) -> None:
    assert conditions(nlp, said) == []


def test_two_equally_close_words_are_no_guess_unless_they_mean_the_same(nlp) -> None:
    fix = speller(nlp)
    # "warfarin" and the rules file's "warferin" are both one edit from
    # "warfrin", and both are the same blood thinner
    assert fix.correct("warfrin") in ("warfarin", "warferin")
    assert fix.correct("cancel") is None  # an English word is never a slip


def test_the_edit_distance_counts_a_swap_as_one() -> None:
    assert edit_distance("temprature", "temperature", 2) == 1
    assert edit_distance("brusie", "bruise", 1) == 1
    assert edit_distance("abcdef", "uvwxyz", 2) == 3  # stops above the limit


# --------------------------------------------------------------- habits


@pytest.mark.parametrize(
    "said",
    [
        "will it hurt? I bruise a bit after sport",
        "I get a rash when I use cheap cream",
        "whenever I fly I feel unwell",
        "if I have a temperature can I still come?",
    ],
)
def test_a_habit_or_a_condition_is_marked(nlp, said: str) -> None:
    found = read(nlp, said).positive()
    assert found and all(HABITUAL in f.qualifiers for f in found)


@pytest.mark.parametrize(
    "said",
    [
        "I have a bruise after a fall",
        "I cut my hand when cooking yesterday",
        "I've got a rash today after the gym",
        "I have a rash on my arm",
        "I have a cold",
    ],
)
def test_a_finding_there_now_is_not_a_habit(nlp, said: str) -> None:
    found = read(nlp, said).positive()
    assert found and not any(HABITUAL in f.qualifiers for f in found)


def habit(condition: str) -> Reading:
    return Reading(
        polarity=True,
        polarity_from_words=False,
        findings=(Finding(condition=condition, evidence="x", qualifiers=(HABITUAL,)),),
    )


def finished_ok() -> dict:
    state = I.new_state("body")
    while (q := I.next_question(RULES, state)) is not None:
        state = I.apply_answer(RULES, state, q.id, Reading(polarity=False))
    assert I.outcome(RULES, state).outcome == "ok"
    return state


def test_a_habit_of_a_current_only_condition_is_no_health_news() -> None:
    state = finished_ok()
    assert I.new_findings(state, habit("skin_local"), RULES) == []
    assert I.outcome(RULES, I.reopen(RULES, state, habit("skin_local"))).outcome == "ok"
    # without the rules nothing is dropped (cautious)
    assert I.new_findings(state, habit("skin_local")) == ["skin_local"]


def test_a_habit_of_any_other_condition_is_still_a_finding() -> None:
    """ "I get seizures when stressed" is epilepsy whatever the grammar."""
    state = finished_ok()
    assert RULES.condition("epilepsy").current_only is False
    assert I.new_findings(state, habit("epilepsy"), RULES) == ["epilepsy"]
    reopened = I.reopen(RULES, state, habit("epilepsy"))
    kept = [d for d in reopened["findings"] if d["condition"] == "epilepsy"]
    assert kept and HABITUAL not in kept[0]["qualifiers"]


def test_a_habit_is_a_finding_when_the_question_asks_about_it() -> None:
    state = I.new_state("body")
    while (q := I.next_question(RULES, state)) is not None and q.id != "skin_area":
        state = I.apply_answer(RULES, state, q.id, Reading(polarity=False))
    assert q is not None
    state = I.apply_answer(RULES, state, q.id, habit("skin_local"))
    assert [d["condition"] for d in state["findings"]] == ["skin_local"]
    # at another question it is not
    other = I.apply_answer(RULES, I.new_state("body"), "unwell", habit("skin_local"))
    assert other["findings"] == []


def test_no_to_where_on_the_body_takes_a_skin_finding_back() -> None:
    state = finished_ok()
    news = Reading(polarity=True, findings=(Finding(condition="skin_local", evidence="bruise"),))
    reopened = I.reopen(RULES, state, news)
    q = I.next_question(RULES, reopened)
    assert q is not None and q.text == "Where on your body is it?"
    after = I.apply_answer(RULES, reopened, q.id, Reading(polarity=False, polarity_from_words=True))
    assert after["findings"] == [] and I.next_question(RULES, after) is None
    assert I.outcome(RULES, after).outcome == "ok"


def test_no_to_a_follow_up_with_a_yes_no_part_is_an_answer_not_a_retraction() -> None:
    """ "Is it severe, or have you had a fracture?" -> no: osteoporosis stays."""
    assert RULES.condition("osteoporosis").follow_up.no_withdraws is False
    state = finished_ok()
    news = Reading(polarity=True, findings=(Finding(condition="osteoporosis", evidence="x"),))
    reopened = I.reopen(RULES, state, news)
    q = I.next_question(RULES, reopened)
    assert q is not None
    after = I.apply_answer(RULES, reopened, q.id, Reading(polarity=False, polarity_from_words=True))
    assert [d["condition"] for d in after["findings"]] == ["osteoporosis"]


def test_the_rules_file_refuses_a_withdrawing_no_that_also_adds(tmp_path) -> None:
    import yaml

    from clinic_core.screening.rules import RulesError

    data = yaml.safe_load(Path(RULES.path).read_text())
    for c in data["conditions"]:
        if c["id"] == "osteoporosis":
            c["follow_up"]["no_withdraws"] = True
        if c["id"] == "skin_local":
            c["current_only"] = "yes"
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(RulesError) as error:
        load_rules(path)
    assert "no_withdraws" in str(error.value) and "current_only" in str(error.value)
