"""Reading dates as clients write them, at a fixed 'now' (Wed 9 Dec 2026 11:00, London)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from clinic_core.availability import free_slots
from clinic_core.dates import DateRequest, parse_date_request
from clinic_core.profile import load_profile

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 12, 9, 11, 0, tzinfo=LONDON)  # a Wednesday
PROFILE = load_profile()

D = dt.date
T = dt.time

# text, problem, first day, last day, clock time asked for, daily from, daily to
CASES = [
    # relative words and weekdays
    ("tomorrow at 3", None, D(2026, 12, 10), D(2026, 12, 10), T(15), None, None),
    ("tomorrow 3pm", None, D(2026, 12, 10), D(2026, 12, 10), T(15), None, None),
    ("Monday 10am", None, D(2026, 12, 14), D(2026, 12, 14), T(10), None, None),
    ("next monday", None, D(2026, 12, 14), D(2026, 12, 14), None, None, None),
    ("friday", None, D(2026, 12, 11), D(2026, 12, 11), None, None, None),
    ("this saturday morning", None, D(2026, 12, 12), D(2026, 12, 12), None, None, T(12)),
    ("Friday week", None, D(2026, 12, 18), D(2026, 12, 18), None, None, None),
    ("friday after next", None, D(2026, 12, 18), D(2026, 12, 18), None, None, None),
    ("Tuesday next week at 11", None, D(2026, 12, 15), D(2026, 12, 15), T(11), None, None),
    ("the day after tomorrow", None, D(2026, 12, 11), D(2026, 12, 11), None, None, None),
    ("today", None, D(2026, 12, 9), D(2026, 12, 9), None, None, None),
    ("this afternoon", None, D(2026, 12, 9), D(2026, 12, 9), None, T(12), T(17)),
    ("tonight", None, D(2026, 12, 9), D(2026, 12, 9), None, T(17), None),
    ("in two weeks", None, D(2026, 12, 23), D(2026, 12, 23), None, None, None),
    ("in a fortnight", None, D(2026, 12, 23), D(2026, 12, 23), None, None, None),
    ("in 3 days", None, D(2026, 12, 12), D(2026, 12, 12), None, None, None),
    # ranges and parts of the day
    ("any evening next week", None, D(2026, 12, 14), D(2026, 12, 20), None, T(17), None),
    ("next week", None, D(2026, 12, 14), D(2026, 12, 20), None, None, None),
    ("any day next week after 4pm", None, D(2026, 12, 14), D(2026, 12, 20), None, T(16), None),
    ("between 2 and 4pm tomorrow", None, D(2026, 12, 10), D(2026, 12, 10), None, T(14), T(16)),
    ("thursday late afternoon", None, D(2026, 12, 10), D(2026, 12, 10), None, T(15), T(17)),
    ("half two tomorrow", None, D(2026, 12, 10), D(2026, 12, 10), T(14, 30), None, None),
    ("quarter past 2 on friday", None, D(2026, 12, 11), D(2026, 12, 11), T(14, 15), None, None),
    ("3 in the afternoon", None, D(2026, 12, 9), D(2027, 2, 7), T(15), T(12), T(17)),
    ("asap", None, D(2026, 12, 9), D(2027, 2, 7), None, None, None),
    ("Monday or Tuesday", None, D(2026, 12, 14), D(2026, 12, 15), None, None, None),
    ("tomorrow or friday", None, D(2026, 12, 10), D(2026, 12, 11), None, None, None),
    ("in January", None, D(2027, 1, 1), D(2027, 1, 31), None, None, None),
    ("mid january", None, D(2027, 1, 11), D(2027, 1, 20), None, None, None),
    # day numbers and month names (British and American)
    ("the 14th", None, D(2026, 12, 14), D(2026, 12, 14), None, None, None),
    ("the 3rd", None, D(2027, 1, 3), D(2027, 1, 3), None, None, None),
    ("14 Dec", None, D(2026, 12, 14), D(2026, 12, 14), None, None, None),
    ("14th of December at 10:30am", None, D(2026, 12, 14), D(2026, 12, 14), T(10, 30), None, None),
    ("Dec 14th 2pm", None, D(2026, 12, 14), D(2026, 12, 14), T(14), None, None),
    (
        "December 14, 2026 at 2:30 p.m.",
        None,
        D(2026, 12, 14),
        D(2026, 12, 14),
        T(14, 30),
        None,
        None,
    ),
    ("twelfth of december", None, D(2026, 12, 12), D(2026, 12, 12), None, None, None),
    ("Jan 2nd", None, D(2027, 1, 2), D(2027, 1, 2), None, None, None),
    ("14/12", None, D(2026, 12, 14), D(2026, 12, 14), None, None, None),  # British
    ("12/14", None, D(2026, 12, 14), D(2026, 12, 14), None, None, None),  # American
    ("12/14 at 2:30pm", None, D(2026, 12, 14), D(2026, 12, 14), T(14, 30), None, None),
    ("14.12.", None, D(2026, 12, 14), D(2026, 12, 14), None, None, None),
    ("10/12", None, D(2026, 12, 10), D(2026, 12, 10), None, None, None),  # not 12 Oct next year
    (
        "12/11",
        None,
        D(2026, 12, 11),
        D(2026, 12, 11),
        None,
        None,
        None,
    ),  # 11 Dec (12 Nov has passed)
    ("2026-12-14 15:00", None, D(2026, 12, 14), D(2026, 12, 14), T(15), None, None),
    (
        "Can I come in on Saturday around 12?",
        None,
        D(2026, 12, 12),
        D(2026, 12, 12),
        T(12),
        None,
        None,
    ),
    # closed days are read faithfully; availability explains that we're closed
    ("Sunday afternoon", None, D(2026, 12, 13), D(2026, 12, 13), None, T(12), T(17)),
    ("25 Dec", None, D(2026, 12, 25), D(2026, 12, 25), None, None, None),
    # past
    ("yesterday", "past", None, None, None, None, None),
    ("today at 9am", "past", None, None, None, None, None),
    ("last friday", "past", None, None, None, None, None),
    ("14 Nov", "past", None, None, None, None, None),
    ("14/12/2025", "past", None, None, None, None, None),
    ("this morning at 10", "past", None, None, None, None, None),
    # ambiguous
    ("03/04", "ambiguous", None, None, None, None, None),
    ("02/03", "ambiguous", None, None, None, None, None),
    ("next Friday afternoon", "ambiguous", None, None, None, None, None),
    ("Monday 15th", "ambiguous", None, None, None, None, None),
    # unreadable
    ("blah blah", "unreadable", None, None, None, None, None),
    ("", "unreadable", None, None, None, None, None),
    ("31/31", "unreadable", None, None, None, None, None),
    ("may I come in?", "unreadable", None, None, None, None, None),
]


@pytest.mark.parametrize(
    "text, problem, first, last, clock, time_from, time_to",
    CASES,
    ids=[c[0] or "<empty>" for c in CASES],
)
def test_phrasings(text, problem, first, last, clock, time_from, time_to):
    request = parse_date_request(text, NOW, PROFILE)
    assert request.problem == problem, (request.problem, request.question, request.describe())
    if problem is not None:
        assert request.question
        return
    assert request.question is None
    assert request.days[0] == first
    assert request.days[-1] == last
    assert request.time_of_day == clock
    assert request.time_from == time_from
    assert request.time_to == time_to
    assert request.earliest.tzinfo is not None and request.earliest >= NOW
    if clock is not None:
        assert request.preferred == dt.datetime.combine(first, clock, LONDON)


def test_table_is_big_enough():
    assert len(CASES) >= 30


def test_ambiguous_day_month_keeps_both_readings_profile_order_first():
    request = parse_date_request("03/04", NOW, PROFILE)
    assert request.problem == "ambiguous"
    days = [r.days[0] for r in request.readings]
    assert days == [D(2027, 4, 3), D(2027, 3, 4)]  # profile date_order DMY first
    assert "3 April" in request.question and "4 March" in request.question
    assert all(r.problem is None for r in request.readings)


def test_ambiguous_even_without_profile():
    request = parse_date_request("05/06", NOW)
    assert request.problem == "ambiguous"
    assert {r.days[0] for r in request.readings} == {D(2027, 6, 5), D(2027, 5, 6)}


def test_same_reading_both_ways_is_not_ambiguous():
    request = parse_date_request("5/5", NOW, PROFILE)
    assert request.problem is None and request.days == [D(2027, 5, 5)]


def test_next_weekday_is_ambiguous_midweek_but_not_at_weekend():
    midweek = parse_date_request("next Friday afternoon", NOW, PROFILE)
    assert [r.days[0] for r in midweek.readings] == [D(2026, 12, 11), D(2026, 12, 18)]
    assert all(r.time_from == T(12) and r.time_to == T(17) for r in midweek.readings)
    saturday = dt.datetime(2026, 12, 12, 10, 0, tzinfo=LONDON)
    weekend = parse_date_request("next Friday afternoon", saturday, PROFILE)
    assert weekend.problem is None and weekend.days == [D(2026, 12, 18)]
    assert weekend.earliest == dt.datetime(2026, 12, 18, 12, tzinfo=LONDON)
    assert weekend.latest == dt.datetime(2026, 12, 18, 17, tzinfo=LONDON)


def test_weekday_mismatch_offers_both():
    request = parse_date_request("Monday 15th", NOW, PROFILE)
    assert [r.days[0] for r in request.readings] == [D(2026, 12, 15), D(2026, 12, 14)]
    assert "Tuesday" in request.question


def test_bare_hour_follows_opening_hours():
    assert parse_date_request("tomorrow at 3", NOW, PROFILE).time_of_day == T(15)
    assert parse_date_request("tomorrow at 11", NOW, PROFILE).time_of_day == T(11)
    assert parse_date_request("tomorrow at 9 in the morning", NOW, PROFILE).time_of_day == T(9)


def test_time_without_date_means_soonest_day():
    late = dt.datetime(2026, 12, 9, 16, 0, tzinfo=LONDON)
    request = parse_date_request("3pm", late, PROFILE)
    assert request.problem is None
    assert request.preferred == dt.datetime(2026, 12, 10, 15, tzinfo=LONDON)


def test_summer_time_offsets():
    june = dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.timezone.utc)  # 10:00 BST
    request = parse_date_request("tomorrow at 3", june, PROFILE)
    assert request.preferred.utcoffset() == dt.timedelta(hours=1)
    assert request.preferred.astimezone(dt.timezone.utc).hour == 14


def test_now_must_be_aware():
    with pytest.raises(ValueError):
        parse_date_request("tomorrow", dt.datetime(2026, 12, 9, 11), PROFILE)


def test_round_trip_through_a_slot():
    request = parse_date_request("next Friday afternoon", NOW, PROFILE)
    again = DateRequest.from_dict(request.to_dict())
    assert again == request


def test_closed_days_are_explained_by_availability():
    for text, expected in (("Sunday", "Sundays"), ("25 Dec", "holiday")):
        request = parse_date_request(text, NOW, PROFILE)
        slots = free_slots(PROFILE, None, "body_massage", 60, request, NOW)
        assert not slots.in_window and slots.reason_code == "closed"
        assert expected in slots.reason
        assert slots, "nearest open alternatives are offered"


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("first thing tomorrow", dt.date(2026, 12, 9)),
        ("tomorrow evening", dt.date(2026, 12, 9)),
        ("wednesday afternoon", dt.date(2026, 12, 9)),
        ("thursday", dt.date(2026, 12, 10)),
        ("today", dt.date(2026, 12, 9)),
    ],
)
def test_in_the_small_hours_tomorrow_and_weekdays_count_from_the_day_before(text, day):
    """At 00:05 on a Wednesday, "tomorrow" and "Wednesday afternoon" are
    the Wednesday that is starting (issue 11, round two: the same clients
    were booked a day or a week late just after midnight)."""
    just_after_midnight = dt.datetime(2026, 12, 9, 0, 5, tzinfo=LONDON)
    request = parse_date_request(text, just_after_midnight, PROFILE)
    assert request.problem is None and request.days[0] == day


def test_after_the_small_hours_tomorrow_is_the_next_day():
    at_five = dt.datetime(2026, 12, 9, 5, 0, tzinfo=LONDON)
    assert parse_date_request("tomorrow", at_five, PROFILE).days[0] == dt.date(2026, 12, 10)
    assert parse_date_request("wednesday", at_five, PROFILE).days[0] == dt.date(2026, 12, 16)
