"""The conversation simulator (issue 11, item 9): its targets, and the driver.

The target tests drive the scripted clients against the running assistant
and assert the issue's targets, strictly, in every `make test`: the
pre-screen's with the 162 pre-screen clients at one clinic clock, the
booking's with the 73 booking clients at three (BOOKING_CLOCKS; about 3-4
minutes a run):

    .venv/bin/python -m pytest tests/simulator -q
    make simulate            # every client, report only (results/simulator.md)

Everything else here runs without a server, in every `make test`: the
client files say what the issue asks of them, clients answer by topic,
dead ends are detected, bookings are judged, the report adds up.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
import yaml

from tests.simulator import topics as T
from tests.simulator.clients import Client, Seen, load_clients, load_styles
from tests.simulator.simulator import (
    BOOKING_FILE,
    DEFAULT_NOW,
    ROOT,
    SCREENING_FILE,
    TARGETS,
    DeadEnds,
    Record,
    Transport,
    Turn,
    Wording,
    failure_kinds,
    is_unsafe,
    outcome_kind,
    run,
    run_client,
    summarise,
)
from tests.simulator.wishes import judge_booking, parse_slot_title

SCREENING_MD = ROOT.parent / "shared" / "spec" / "screening.md"
STYLES = load_styles()


@pytest.fixture(scope="module")
def screening_clients() -> list[Client]:
    return load_clients(SCREENING_FILE, "screening", STYLES)


@pytest.fixture(scope="module")
def booking_clients() -> list[Client]:
    return load_clients(BOOKING_FILE, "booking", STYLES)


def client(**data: Any) -> Client:
    kind = "booking" if "booking" in data else "screening"
    base = {"id": "t", "service": "body", "style": "rambling", "expect": {"outcome": "ok"}}
    if kind == "booking":
        base["expect"] = {"booked": True}
    return Client({**base, **data}, STYLES, kind)


def asked(question: str, buttons: list[dict[str, str]] | None = None, text: str = "?") -> Seen:
    """What a client sees when the pre-screen asks `question` (an id)."""
    return Seen(
        texts=[text],
        buttons=buttons if buttons is not None else YES_NO,
        form="screening_form",
        requested="screening_answer",
        question=question,
    )


YES_NO = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]


# --------------------------------------------------------------------------- #
# the targets, on the running assistant (every make test)
# --------------------------------------------------------------------------- #


#: the pre-screen's targets (issue 11, items 1-4): the 162 pre-screen clients
SCREENING_TARGETS = (
    "unsafe_passes",
    "screening_dead_ends",
    "exact_outcomes_pct",
    "median_turns_body",
)
#: the booking side's targets (issue 11, items 5-8): the 73 booking clients
BOOKING_TARGETS = (
    "booked_as_wished_pct",
    "wrong_bookings",
    "booking_dead_ends",
    "median_turns_to_reference",
)


def test_every_target_runs_in_make_test() -> None:
    assert sorted(SCREENING_TARGETS + BOOKING_TARGETS) == sorted(TARGETS)


#: The clinic's clocks the targets are asserted at. The figures must not be
#: the luck of one day (the wishes are "tomorrow evening", "end of the
#: week"...), so the booking clients run at three: a Monday morning (the
#: default clock, also the pre-screen's), just after midnight on a Wednesday
#: (the small hours: "tomorrow" is the day starting) and a Friday afternoon
#: half an hour before closing (the end of the week, Saturday's short day).
#: Each was measured with the other clocks of README's table (the simulator
#: section), all at the targets.
SCREENING_CLOCK = DEFAULT_NOW
BOOKING_CLOCKS = (DEFAULT_NOW, "2026-12-09T00:05:00+00:00", "2026-12-11T16:30:00+00:00")


@pytest.fixture(scope="module")
def simulated_screening(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    _, figures = run(
        kind="screening", quiet=True, out=tmp_path_factory.mktemp("simulator"), now=SCREENING_CLOCK
    )
    yield figures


@pytest.fixture(scope="module", params=BOOKING_CLOCKS)
def simulated_booking(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """The booking clients only, at one clinic clock; the report goes to a
    temporary directory (`make simulate` writes results/)."""
    _, figures = run(
        kind="booking", quiet=True, out=tmp_path_factory.mktemp("simulator"), now=request.param
    )
    yield {**figures, "clock": request.param}


@pytest.mark.parametrize("name", SCREENING_TARGETS)
def test_screening_target(simulated_screening: dict[str, Any], name: str) -> None:
    op, limit = TARGETS[name]
    assert simulated_screening["targets"][name], (
        f"{name} = {simulated_screening.get(name)} (target {op} {limit}) at {SCREENING_CLOCK}; "
        f"run `make simulate NOW={SCREENING_CLOCK} SIMULATE_ARGS='--kind screening'` for the report"
    )


#: A floor besides the targets: no booking client may reach a dead end.
BOOKING_FLOORS = {"booking_dead_ends": ("<=", 0)}


@pytest.mark.parametrize("name", BOOKING_TARGETS)
def test_booking_target(simulated_booking: dict[str, Any], name: str) -> None:
    op, limit = TARGETS[name]
    clock = simulated_booking["clock"]
    assert simulated_booking["targets"][name], (
        f"{name} = {simulated_booking.get(name)} (target {op} {limit}) at {clock}; "
        f"run `make simulate NOW={clock} SIMULATE_ARGS='--kind booking'` for the report"
    )


@pytest.mark.parametrize("name", sorted(BOOKING_FLOORS))
def test_booking_floor(simulated_booking: dict[str, Any], name: str) -> None:
    op, limit = BOOKING_FLOORS[name]
    value = simulated_booking.get(name)
    assert value is not None and (value <= limit if op == "<=" else value >= limit), (
        f"{name} = {value} at {simulated_booking['clock']}, not {op} {limit}; "
        "run `make simulate SIMULATE_ARGS='--kind booking'` for the report"
    )


# --------------------------------------------------------------------------- #
# the client files
# --------------------------------------------------------------------------- #


def test_enough_clients_of_both_services(
    screening_clients: list[Client], booking_clients: list[Client]
) -> None:
    assert len(screening_clients) >= 140
    assert len(booking_clients) >= 70
    for clients in (screening_clients, booking_clients):
        assert {c.service for c in clients} == {"body", "facial"}


def test_every_condition_at_least_twice(screening_clients: list[Client]) -> None:
    counts = {cid: 0 for cid in T.CONDITION_TOPICS}
    for c in screening_clients:
        for cid in c.expect.reasons:
            counts[cid] += 1
    assert not [cid for cid, n in counts.items() if n < 2], counts


def test_about_a_quarter_healthy_and_every_outcome(screening_clients: list[Client]) -> None:
    healthy = sum(1 for c in screening_clients if c.expect.outcome == "ok" and not c.expect.reasons)
    assert 0.2 <= healthy / len(screening_clients) <= 0.3
    assert {c.expect.outcome for c in screening_clients} == {
        "ok",
        "modify",
        "clearance",
        "postpone",
        "emergency",
    }


def test_the_emergencies_the_brief_names(screening_clients: list[Client]) -> None:
    emergencies = [c for c in screening_clients if c.expect.outcome == "emergency"]
    reasons = {r for c in emergencies for r in c.expect.reasons}
    assert {"red_flag", "pregnancy_complication", "suspected_dvt"} <= reasons


def test_styles_are_spread(screening_clients: list[Client], booking_clients: list[Client]) -> None:
    styles = [s for s in STYLES if not s.startswith("_")]
    for clients, least in ((screening_clients, 15), (booking_clients, 6)):
        for style in styles:
            assert sum(1 for c in clients if c.style == style) >= least, style
    assert sum(1 for c in screening_clients if c.at_summary) >= 15
    assert sum(1 for c in screening_clients if c.interruptions) >= 15


def test_outcomes_follow_the_strictest_reason(screening_clients: list[Client]) -> None:
    """A client whose reasons are all conditions that can only be stricter
    than ok never expects ok; a healthy client lists no reason."""
    for c in screening_clients:
        if c.expect.outcome == "ok":
            assert not c.expect.reasons, c.id
        else:
            assert c.expect.reasons, c.id


def test_condition_ids_are_screening_md_s() -> None:
    if not SCREENING_MD.exists():
        pytest.skip(f"{SCREENING_MD} is not beside the repository")
    table = re.findall(r"^\| ([a-z_]+) \|", SCREENING_MD.read_text(), re.M)
    assert set(table) - {"id"} == set(T.CONDITION_TOPICS)


def test_every_question_of_the_rules_file_has_topics() -> None:
    """When a question is added or split, topics.py must say what it asks."""
    questions = yaml.safe_load((ROOT / "clinic" / "screening_rules.yml").read_text())["questions"]
    assert {q["id"] for q in questions} == set(T.QUESTION_TOPICS)


def test_booking_clients_cover_the_briefs_cases(booking_clients: list[Client]) -> None:
    day_and_time = re.compile(
        r"\b(mon|tue|wed|thu|fri|sat|sun)\w*\b.*\b(morning|afternoon|evening|lunchtime|\d)", re.I
    )
    plans = [c.plan for c in booking_clients if c.plan]
    assert sum(1 for c in booking_clients if day_and_time.search(c.first_message or "")) >= 10
    assert sum(1 for c in booking_clients if c.plan and c.plan.book_yes) >= 10
    assert sum(1 for c in booking_clients if c.expect.mentions) >= 5  # after closing
    assert sum(1 for p in plans if p.change) >= 5
    assert sum(1 for p in plans if p.health_news) >= 5
    assert sum(1 for c in booking_clients if c.expect.booked is False) >= 5
    assert (
        sum(
            1
            for c in booking_clients
            if any(k in ("when", "time", "name", "length") for k in c.interruptions)
        )
        >= 5
    )
    assert sum(1 for c in booking_clients if c.expect.wish and c.expect.wish.first_free) >= 2


def test_booking_phones_are_real_numbers(booking_clients: list[Client]) -> None:
    """The last number a client types is a valid one (phonenumbers), and
    the expected E.164 is what it is."""
    for c in booking_clients:
        assert c.plan is not None
        typed = re.search(r"[+(\d][\d\s()+-]{6,}\d", c.plan.phone[-1])
        number = phonenumbers.parse(typed.group(0), "GB")
        assert phonenumbers.is_valid_number(number), c.id
        if c.expect.phone:
            assert (
                phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                == c.expect.phone
            ), c.id


def test_a_bad_client_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "clients:\n- {id: x, service: body, style: terse, expect: {outcome: ok}, answer: {}}\n"
    )
    with pytest.raises(ValueError, match="unknown keys"):
        load_clients(bad, "screening", STYLES)
    bad.write_text(
        "clients:\n- {id: x, service: body, style: terse, expect: {outcome: ok, reasons: [flu]}}\n"
    )
    with pytest.raises(ValueError, match="unknown condition"):
        load_clients(bad, "screening", STYLES)
    bad.write_text(
        "clients:\n- {id: x, service: body, style: terse, expect: {outcome: ok}, answers: {flu: yes}}\n"
    )
    with pytest.raises(ValueError, match="unknown topic"):
        load_clients(bad, "screening", STYLES)


# --------------------------------------------------------------------------- #
# answering by topic
# --------------------------------------------------------------------------- #


def test_topics_of_today_s_question_ids() -> None:
    assert T.topics_of("pregnancy") == (("pregnancy",), "main")
    # issue 11, item 3: the calf now is asked with the red flags, the past
    # and the medicines on their own; complications after the weeks
    assert T.topics_of("red_flags")[0] == ("red_flags", "swollen_calf")
    assert T.topics_of("clots_bleeding")[0] == ("clots", "blood_thinners", "bleeding")
    assert T.topics_of("pregnancy_complications") == (("pregnancy_complications",), "main")
    assert T.topics_of("surgery_injury:follow_up") == (
        ("surgery", "fracture", "injury"),
        "follow_up",
    )
    topics, kind = T.topics_of("pregnancy:follow_up:pregnancy")
    assert kind == "condition" and topics[:1] == ("pregnancy_weeks",)
    assert T.topics_of("confirm") == ((), "summary")
    assert T.topics_of("something_new") == ((), "unknown")


def test_a_client_answers_the_topic_asked() -> None:
    c = client(
        answers={
            "pregnancy": "yes, 24 weeks",
            "pregnancy_weeks": "24 weeks",
            "pregnancy_complications": "no problems so far",
        }
    )
    c.started = True
    assert c.reply(asked("pregnancy")).text == "yes, 24 weeks"
    assert c.reply(asked("pregnancy:follow_up:pregnancy")).text == "24 weeks"
    assert c.reply(asked("pregnancy_complications")).text == "no problems so far"


def test_topics_not_listed_get_the_style_s_no() -> None:
    c = client(style="rambling")
    c.started = True
    said = c.reply(asked("cancer")).text
    assert said in STYLES["rambling"]["no"]
    assert not c.reply(asked("heart")).button


def test_a_two_part_question_gets_every_answer_the_client_has() -> None:
    c = client(answers={"blood_thinners": "I take apixaban", "bleeding": "and I bruise easily"})
    c.started = True
    assert c.reply(asked("clots_bleeding")).text == "I take apixaban. and I bruise easily"


def test_follow_ups_get_details() -> None:
    c = client(
        answers={"surgery": {"say": "had my gallbladder out", "details": "3 weeks ago, keyhole"}}
    )
    c.started = True
    # the question's own follow-up ("what, where, how long ago?") gets both
    assert (
        c.reply(asked("surgery_injury:follow_up")).text
        == "had my gallbladder out, 3 weeks ago, keyhole"
    )
    # a follow-up about the condition it already knows gets the details
    assert c.reply(asked("surgery_injury:follow_up:recent_surgery")).text == "3 weeks ago, keyhole"
    # a follow-up about a condition the client never had
    assert "no" in c.reply(asked("heart:follow_up:heart_bp")).text


def test_asked_again_a_client_says_it_plainly_or_presses_the_button() -> None:
    typer = client(style="oversharing")  # never taps
    typer.started = True
    first = typer.reply(asked("cancer")).text
    assert first != "no" and typer.reply(asked("cancer")).text == "no"
    tapper = client(style="rambling")  # taps when asked again
    tapper.started = True
    assert not tapper.reply(asked("cancer")).button
    again = tapper.reply(asked("cancer"))
    assert again.button and again.text == "/deny"
    sick = client(style="rambling", answers={"unwell": "I've got the flu"})
    sick.started = True
    sick.reply(asked("unwell"))
    assert sick.reply(asked("unwell")).text == "/affirm"


def test_terse_clients_tap_the_service_and_plain_no() -> None:
    c = client(style="terse", service="facial")
    c.started = True
    services = [
        {"title": "Body massage", "payload": "body massage"},
        {"title": "Facial massage", "payload": "facial massage"},
    ]
    assert c.reply(asked("service", services)).text == "facial massage"
    assert c.reply(asked("heart")).text == "/deny"


def test_a_detour_is_said_once_instead_of_the_answer() -> None:
    c = client(interruptions={"heart": "how much is an hour?"})
    c.started = True
    assert c.reply(asked("heart")).text == "how much is an hour?"
    assert c.reply(asked("heart")).text != "how much is an hour?"


def test_a_correction_at_the_summary_then_yes() -> None:
    c = client(
        style="changes_mind",
        forgot=["cancer"],
        answers={"cancer": "bowel cancer, in remission"},
        at_summary="oh, I forgot: I had bowel cancer",
    )
    c.started = True
    assert c.reply(asked("cancer")).text in STYLES["changes_mind"]["no"]  # forgotten
    summary = asked("confirm", [{"title": "Yes, that's right", "payload": "/affirm"}])
    assert c.reply(summary).text == "oh, I forgot: I had bowel cancer"
    assert c.reply(asked("cancer:follow_up:cancer")).text == "bowel cancer, in remission"
    assert c.reply(summary).text in STYLES["changes_mind"]["summary_yes"]


def test_a_correction_not_taken_is_said_again_in_other_words() -> None:
    c = client(
        style="changes_mind",
        forgot=["cancer"],
        answers={"cancer": "bowel cancer, in remission"},
        at_summary="oh, I forgot: I had bowel cancer",
    )
    c.started = True
    summary = asked(
        "confirm", [{"title": "Yes, that's right", "payload": "/affirm"}], "Noted:\n• Nothing"
    )
    c.reply(summary)
    assert c.reply(summary).text == "bowel cancer, in remission", (
        "the summary did not change: said again"
    )
    changed = client(
        style="changes_mind",
        forgot=["cancer"],
        answers={"cancer": "bowel cancer"},
        at_summary="oh, I forgot: I had bowel cancer",
    )
    changed.started = True
    changed.reply(summary)
    now = asked(
        "confirm", [{"title": "Yes, that's right", "payload": "/affirm"}], "Noted:\n• Cancer"
    )
    assert changed.reply(now).text in STYLES["changes_mind"]["summary_yes"]


def test_booking_steps_and_health_news() -> None:
    c = client(
        booking={
            "when": "thursday evening",
            "name": "Sarah Jones",
            "phone": "07911 123456",
            "minutes": 60,
            "health_news": {"at": "name", "say": "I'm 30 weeks pregnant", "forgot": ["pregnancy"]},
        },
        answers={"pregnancy": "yes, 30 weeks"},
    )
    c.started = True
    form = dict(form="booking_form")
    assert c.reply(Seen(requested="booking_when", **form)).text == "thursday evening"
    assert not c.has("pregnancy")
    # the name step was skipped: the news comes at the next step asked
    assert c.reply(Seen(requested="booking_phone", **form)).text == "I'm 30 weeks pregnant"
    assert c.has("pregnancy")
    assert c.reply(Seen(requested="booking_phone", **form)).text == "07911 123456"


def test_picking_an_offered_time() -> None:
    today = dt.date(2026, 12, 1)  # a Tuesday
    offers = [
        {"title": t, "payload": p}
        for t, p in (
            ("Thu 3 Dec at 3pm with Anna", "a"),
            ("Thu 3 Dec at 5:30pm with Tom", "b"),
            ("Thu 3 Dec at 7pm with Anna", "c"),
            ("Another day", "x"),
        )
    ]
    seen = Seen(
        form="booking_form",
        requested="booking_slot",
        buttons=offers,
        today=today,
        texts=["Here are"],
    )
    first = client(
        booking={"when": "thursday evening", "name": "n", "phone": "1"},
        expect={"booked": True, "weekdays": ["thu"], "time": ["17:00", "20:00"]},
    )
    first.started = True
    assert first.reply(seen).text == "b"
    latest = client(
        booking={"when": "thursday evening", "name": "n", "phone": "1", "pick": "latest"},
        expect={"booked": True, "weekdays": ["thu"], "time": ["17:00", "20:00"]},
    )
    latest.started = True
    assert latest.reply(seen).text == "c"
    never = client(
        style="oversharing",
        booking={"when": "friday", "name": "n", "phone": "1"},
        expect={"booked": True, "weekdays": ["fri"]},
    )
    never.started = True
    assert never.reply(seen).note == "none fits"
    gives_up = never.reply(seen)
    assert gives_up.end, (
        "offered only other days, not told nothing is free: the client does not book"
    )
    closed = Seen(
        form="booking_form",
        requested="booking_slot",
        buttons=offers,
        today=today,
        texts=["We're closed then. The nearest free times are:"],
    )
    never.no_fit_count = 1
    assert never.reply(closed).text == "Thursday 3rd at 3pm please"


# --------------------------------------------------------------------------- #
# dead ends, judging and the report
# --------------------------------------------------------------------------- #


def test_the_same_question_a_third_time_is_a_dead_end() -> None:
    dead = DeadEnds()
    assert dead.observe("screening:heart", False) is None
    assert dead.observe("screening:cancer", False) is None
    assert dead.observe("screening:heart", False) is None
    assert dead.observe("screening:heart", False) == "asked heart 3 times"


def test_a_booking_step_is_a_dead_end_only_when_nothing_moves() -> None:
    dead = DeadEnds()
    for offers in ("Thu 5pm", "Fri 5pm", "Sat 11am", "Mon 9am"):
        assert dead.observe("booking_form:booking_slot", False, offers) is None
    same = DeadEnds()
    same.observe("booking_form:booking_phone", False, "that number doesn't look right")
    same.observe("booking_form:booking_phone", False, "that number doesn't look right")
    assert same.observe("booking_form:booking_phone", False, "that number doesn't look right")


def test_say_it_another_way_twice_in_a_row_is_a_dead_end() -> None:
    dead = DeadEnds()
    assert dead.observe(None, True) is None
    assert dead.observe("screening:heart", False) is None
    assert dead.observe(None, True) is None
    assert "in a row" in dead.observe(None, True)


def test_wording_is_read_from_the_project_s_files() -> None:
    wording = Wording.load()
    emergency = "What you describe may need urgent medical help. Please call 112 (EU), 999 (UK) or 911 (US) now"
    assert wording.outcome_said("Some text.\n" + emergency) == "emergency"
    clearance = yaml.safe_load((ROOT / "clinic" / "screening_rules.yml").read_text())["messages"][
        "clearance"
    ]
    assert wording.outcome_said(clearance) == "clearance"
    assert wording.outcome_said("Is that right?") is None
    assert wording.is_rephrase(
        "Sorry, I didn't quite understand that. Could you say it another way? "
        "(I can only chat in English for now.)"
    )


def test_slot_titles_are_read_as_the_client_reads_them() -> None:
    today = dt.date(2026, 12, 30)
    assert parse_slot_title("Thu 31 Dec at 5:30pm with Anna", today) == dt.datetime(
        2026, 12, 31, 17, 30
    )
    assert parse_slot_title("Mon 4 Jan at 9am", today) == dt.datetime(2027, 1, 4, 9, 0)
    assert parse_slot_title("Another day", today) is None
    assert parse_slot_title("Tue 5 Jan afternoon", today, need_time=False) == dt.datetime(
        2027, 1, 5
    )


def _expect(**kw: Any) -> Any:
    return client(
        booking={"when": "x", "name": "n", "phone": "1"}, expect={"booked": True, **kw}
    ).expect


def test_judging_a_stored_booking() -> None:
    today = dt.date(2026, 12, 1)
    thu_6pm = {
        "service_id": "body_massage",
        "minutes": 60,
        "start": dt.datetime(2026, 12, 3, 18, 0),
        "screening_outcome": "ok",
        "screening_reasons": [],
        "phone": "+447911123456",
        "name": "Sarah Jones",
    }
    wish = dict(
        service="body_massage",
        minutes=60,
        weekdays=["thu"],
        time=["17:00", "20:00"],
        within_days=7,
        outcome="ok",
        phone="+447911123456",
        name="sarah jones",
    )
    assert judge_booking(thu_6pm, _expect(**wish), today) == []
    assert judge_booking(None, _expect(**wish), today) == ["not booked"]
    friday = {**thu_6pm, "start": dt.datetime(2026, 12, 4, 10, 0)}
    assert (
        "outside the wish"
        in judge_booking(friday, _expect(**wish), today, [dt.datetime(2026, 12, 3, 17)])[0]
    )
    assert judge_booking(friday, _expect(**wish), today, []) == [], (
        "nothing fitting was free: a fair alternative"
    )
    assert (
        "service"
        in judge_booking({**thu_6pm, "service_id": "facial_massage"}, _expect(**wish), today)[0]
    )
    first = _expect(service="body_massage", weekdays=["thu"], first_free=True)
    assert "was free" in judge_booking(thu_6pm, first, today, [dt.datetime(2026, 12, 3, 10)])[0]
    never = client(
        booking={"when": "x", "name": "n", "phone": "1"}, expect={"booked": False}
    ).expect
    assert judge_booking(None, never, today) == []
    assert "should not be" in judge_booking(thu_6pm, never, today)[0]


def test_failures_are_grouped_by_kind() -> None:
    looping = Record("s1", "screening", "body", "terse", "ok", [], dead_end="asked service 3 times")
    wrong = Record(
        "b1",
        "booking",
        "body",
        "terse",
        "ok",
        [],
        booking={"x": 1},
        booking_problems=["service facial_massage instead of body_massage"],
        told_problems=["never told about 'clos'"],
    )
    assert failure_kinds(looping) == ["dead end: asked service 3 times"]
    assert failure_kinds(wrong) == ["wrong service", "not told the clinic is closed then"]
    f = summarise([looping, wrong])
    assert f["failures_by_kind"]["booking: wrong service"] == ["b1"]
    assert f["wrong_bookings"] == 1 and f["booked_as_wished_pct"] == 0.0


def test_unsafe_and_outcome_kinds() -> None:
    assert is_unsafe("clearance", "modify") and is_unsafe("postpone", "ok")
    assert is_unsafe("emergency", "clearance") and is_unsafe("emergency", None)
    assert not is_unsafe("modify", "ok") and not is_unsafe("clearance", None)
    assert outcome_kind("modify", "clearance", None) == "stricter than expected"
    assert outcome_kind("modify", "ok", None) == "softer than expected"
    assert outcome_kind("ok", None, "asked heart 3 times") == "no outcome (dead end)"


def test_the_summary_judges_the_targets() -> None:
    def rec(
        i: int, expected: str, outcome: str, turns: int, service: str = "body", **kw: Any
    ) -> Record:
        return Record(
            f"s{i}",
            "screening",
            service,
            "terse",
            expected,
            [],
            outcome=outcome,
            turns_to_outcome=turns,
            **kw,
        )

    records = [rec(i, "ok", "ok", 12) for i in range(98)] + [
        rec(98, "clearance", "modify", 14),
        rec(99, "ok", None, 0, dead_end="asked heart 3 times"),
    ]
    records += [
        Record(
            "b1",
            "booking",
            "body",
            "terse",
            "ok",
            [],
            reference="ABC234",
            turns_to_reference=18,
            transcript=[
                Turn(1, "massage on friday?", False, "first message", [], [], None),
                Turn(
                    2,
                    "yes please",
                    False,
                    "yes to the booking offered",
                    [],
                    [],
                    "booking_form:booking_when",
                ),
            ],
        )
    ]
    f = summarise(records)
    assert f["exact_outcomes_pct"] == 98.0 and f["targets"]["exact_outcomes_pct"]
    assert f["unsafe_passes"] == 1 and not f["targets"]["unsafe_passes"]
    assert f["screening_dead_ends"] == 1 and not f["targets"]["screening_dead_ends"]
    assert f["median_turns_body"] == 12.0 and f["targets"]["median_turns_body"]
    assert f["booked_as_wished_pct"] == 100.0 and f["median_turns_to_reference"] == 18.0
    assert (f["yes_to_offer"], f["yes_to_offer_opened_booking"]) == (1, 1)
    assert (f["first_messages"], f["first_message_started_a_form"]) == (1, 0)


# --------------------------------------------------------------------------- #
# the driver, against a scripted stand-in for the assistant
# --------------------------------------------------------------------------- #


class FakeAssistant(Transport):
    """Asks consent, then the given question ids in turn (the same one
    again while `stuck` says so), then the summary and the outcome."""

    def __init__(self, questions: list[str], stuck: str | None = None) -> None:
        super().__init__("http://fake", "token")
        self.questions, self.stuck = questions, stuck
        self.state: dict[str, Any] = {}
        self.step = -1
        self.outcome: str | None = None
        self.said: list[str] = []

    def send(self, sender: str, text: str) -> list[dict[str, Any]]:
        self.said.append(text)
        messages = yaml.safe_load((ROOT / "clinic" / "screening_rules.yml").read_text())["messages"]
        if self.step == -1:
            self.step = 0
            self.state = {"form": "screening_form", "requested": "screening_consent", "asked": None}
            return [{"text": "Do you agree?", "buttons": YES_NO}]
        current = self.state.get("asked")
        if current is not None and current != self.stuck:
            self.step += 1
        if current == "confirm":
            self.outcome, self.state = "ok", {}
            return [{"text": messages["ok"]}]
        asked_now = self.questions[self.step] if self.step < len(self.questions) else "confirm"
        self.state = {"form": "screening_form", "requested": "screening_answer", "asked": asked_now}
        return [{"text": f"question {asked_now}?", "buttons": YES_NO}]

    def tracker(self, sender: str) -> dict[str, Any]:
        return {
            "active_loop": {"name": self.state.get("form")},
            "slots": {
                "requested_slot": self.state.get("requested"),
                "screening_outcome": self.outcome,
                "screening_state": {"ui": {"asked": self.state.get("asked")}},
            },
        }


def test_the_driver_counts_turns_to_the_outcome() -> None:
    fake = FakeAssistant(["red_flags", "unwell", "cancer"])
    record = run_client(
        client(style="terse", taps="never"), fake, Wording.load(), dt.date(2026, 12, 1)
    )
    assert record.outcome == "ok" and record.dead_end is None and record.error is None
    # first message, consent, three answers, the summary
    assert record.turns_to_outcome == 6
    assert record.asked["screening:cancer"] == 1
    assert fake.said[2:5] == ["no", "nope", "nah"] or all(
        s in STYLES["terse"]["no"] for s in fake.said[2:5]
    )


def test_the_driver_stops_at_a_dead_end() -> None:
    fake = FakeAssistant(["red_flags", "unwell"], stuck="unwell")
    record = run_client(client(style="terse"), fake, Wording.load(), dt.date(2026, 12, 1))
    assert record.outcome is None
    assert record.dead_end == "asked unwell 3 times"
    assert record.turns == 5  # first message, consent, red flags, unwell twice more
