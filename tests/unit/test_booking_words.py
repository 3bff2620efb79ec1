"""Issue 11 (booking side): reading booking steps in the client's words.

Misspelled days, "the end of the week", "30 weeks pregnant" (never a date),
a closed time said plainly, a change of service, a booking wish the
classifier misses, and the pre-screen reopened for a change of service or
health news. Plain clinic_core, at a fixed 'now' (Wed 9 Dec 2026 11:00).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from clinic_core.availability import outside_hours
from clinic_core.dates import parse_date_request
from clinic_core.profile import load_profile
from clinic_core.screening.interview import (
    apply_answer,
    change_service,
    new_findings,
    new_state,
    next_question,
    outcome,
    reopen,
    service_wanted,
)
from clinic_core.screening.model import Finding, Reading
from clinic_core.screening.rules import load_rules
from clinic_core.text_readers import booking_wish, booking_with_therapist, changes_mind

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 12, 9, 11, 0, tzinfo=LONDON)  # a Wednesday
PROFILE = load_profile()
RULES = load_rules()


def read(text: str):
    return parse_date_request(text, NOW, PROFILE)


@pytest.mark.parametrize(
    ("said", "weekday"),
    [("tusday evening", 1), ("wensday lunchtime", 2), ("wenesday", 2), ("thurday", 3)],
)
def test_a_misspelled_day_is_that_day(said: str, weekday: int) -> None:
    request = read(said)
    assert request.problem is None
    assert {d.weekday() for d in request.days} == {weekday}


def test_words_near_a_day_name_are_left_alone() -> None:
    assert read("money").problem == "unreadable"
    assert read("today at 3").days == [NOW.date()]
    assert read("fridge").problem == "unreadable"


def test_the_end_of_the_week_is_thursday_to_saturday() -> None:
    request = read("towards the end of the week")
    assert request.problem is None
    assert request.days[0] == dt.date(2026, 12, 10)
    assert request.days[-1] == dt.date(2026, 12, 12)


def test_early_next_week_is_monday_to_wednesday() -> None:
    request = read("early next week")
    assert [d.weekday() for d in request.days] == [0, 1, 2]


@pytest.mark.parametrize(
    "said", ["I'm 30 weeks pregnant", "oh, I should have said - I'm 30 weeks pregnant"]
)
def test_weeks_pregnant_is_never_a_date(said: str) -> None:
    assert read(said).problem == "unreadable"


def test_after_closing_is_said_with_the_closing_time() -> None:
    hours = outside_hours(PROFILE, read("friday at 6pm"), 60)
    assert hours is not None and hours.after_closing
    assert hours.closes == dt.time(17) and hours.last_start == dt.time(16)
    assert outside_hours(PROFILE, read("friday at 2pm"), 60) is None
    assert outside_hours(PROFILE, read("friday afternoon"), 60) is None
    assert outside_hours(PROFILE, read("saturday after 4"), 45).after_closing


@pytest.mark.parametrize(
    ("said", "service"),
    [
        ("actually, could I have a facial instead?", "facial"),
        ("actually body massage not facial", "body"),
        ("sorry actualy i want a body masage not a facial", "body"),
        ("oh wait, can we switch it to a facial massage?", "facial"),
        ("a body massage please", None),  # an answer, not a change
        ("actually make it 90 minutes", None),
        ("I had knee surgery last week btw", None),
    ],
)
def test_a_change_of_service(said: str, service: str | None) -> None:
    """The booking form's reading: a change of mind, and the service wanted."""
    changed = service_wanted(said) if changes_mind(said) else None
    assert (changed if changed in ("body", "facial") else None) == service


@pytest.mark.parametrize(
    ("said", "wish"),
    [
        ("facial fri afternoon?", True),
        ("deep tissue wed 2pm", True),
        ("any chance of a sports massage on monday after 5?", True),
        ("do you have anything late afternoon on thursday?", True),
        ("what time do you close on friday?", False),
        ("do you open on sundays?", False),
        ("how much is a massage on saturday?", False),
        ("can I have a massage?", False),  # no time: the pre-screen's question
        # questions about massage from the real clients' sets, with a time in them
        ("would massage help me get a better night's sleep", False),
        ("I need to be back at work by 2, roughly how long does an appointment take?", False),
        ("Hello, I'd love a therapeutic facial on Monday morning - it helps with puffiness", True),
        ("massage on wednesday at 7.30pm please", True),
        # a story with a question (a real client's, round five): someone else's "I need"
        (
            "A massage therapist (she used to work with a chiropractor) recently told me that "
            "I need three to four massages a month so that she can work out the knots in my "
            "back. I know this sounds expensive but does it sound reasonable?",
            False,
        ),
        (
            "We're visiting London for a long weekend with my sister and her husband and the "
            "kids are with their grandparents, so I'd like to book two massages on saturday "
            "afternoon if you can",
            True,
        ),
    ],
)
def test_a_booking_wish(said: str, wish: bool) -> None:
    assert booking_wish(said, read(said).problem != "unreadable") is wish


THERAPISTS = {"anna": "Anna", "tom": "Tom"}


@pytest.mark.parametrize(
    ("said", "wish"),
    [
        ("can I book a facial with Tom?", True),
        ("can I book a massage with Anna?", True),
        ("book me in with Anna", True),
        ("I'd like to book a deep tissue with Tom", True),
        ("I want a massage with anna please", True),
        # no wish to book, or not one of the clinic's therapists
        ("does Tom do facials?", False),
        ("is Anna qualified?", False),
        ("can I book a facial with Maria?", False),
        ("I'm Anna and I'd like to book a facial", False),  # the client's own name
        ("what massage does Tom recommend for back pain", False),
    ],
)
def test_a_booking_wish_naming_a_therapist(said: str, wish: bool) -> None:
    """The clinic's therapists are in its profile, never in the training
    data: a plain wish to book naming one is a booking request."""
    assert booking_with_therapist(said, THERAPISTS) is wish


def _all_no(service: str) -> dict:
    state = new_state(service)
    while (q := next_question(RULES, state)) is not None:
        state = apply_answer(RULES, state, q.id, Reading(polarity=False))
    return state


def test_a_change_of_service_asks_only_the_questions_that_differ() -> None:
    body = _all_no("body")
    asked_body = set(body["answers"])
    facial = change_service(RULES, body, "facial")
    asked = []
    while (q := next_question(RULES, facial)) is not None:
        asked.append(q.question_id)
        facial = apply_answer(RULES, facial, q.id, Reading(polarity=False))
    assert asked, "the facial's own questions are asked"
    assert not set(asked) & asked_body, "nothing asked twice"
    assert outcome(RULES, facial).outcome == "ok"


def test_health_news_reopens_the_pre_screen_and_changes_the_outcome() -> None:
    state = _all_no("body")
    news = Reading(findings=(Finding(condition="recent_surgery", days_ago=7),))
    assert new_findings(state, news) == ["recent_surgery"]
    state = reopen(RULES, state, news)
    assert outcome(RULES, state).outcome == "clearance"
    assert new_findings(state, news) == [], "said again, it is no news"
