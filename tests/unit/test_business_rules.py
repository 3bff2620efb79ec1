"""Each business rule has one home in clinic_core, and the actions, the
booking store and the staff console ask it (docs/architecture.md, "Where
each rule lives")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from clinic_core.massage_types import load_service_words, screening_services_of
from clinic_core.profile import load_profile
from clinic_core.screening.interview import service_from_text
from clinic_core.screening.model import OUTCOME_ORDER, may_book, offers_call_back

PROFILE = load_profile()
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone.utc)


def test_only_ok_and_modify_book_and_only_clearance_and_postpone_get_a_call() -> None:
    assert [o for o in OUTCOME_ORDER if may_book(o)] == ["modify", "ok"]
    assert [o for o in OUTCOME_ORDER if offers_call_back(o)] == ["clearance", "postpone"]
    assert not may_book(None) and not offers_call_back(None)


def test_the_console_books_callers_by_the_same_rule() -> None:
    from staff_console.service import PHONE_BOOKING_OUTCOMES

    assert [o for o in OUTCOME_ORDER if o in PHONE_BOOKING_OUTCOMES] == ["modify", "ok"]


def test_a_change_inside_the_notice_period_is_late() -> None:
    hours = PROFILE.policies.cancellation_notice_hours
    assert PROFILE.policies.is_late_change(NOW + dt.timedelta(hours=hours - 1), NOW)
    assert not PROFILE.policies.is_late_change(NOW + dt.timedelta(hours=hours + 1), NOW)


def test_the_types_file_names_each_types_service_and_the_words_for_each_service() -> None:
    assert screening_services_of(["deep_tissue"]) == {"body"}
    assert screening_services_of(["facial_therapeutic", "swedish"]) == {"body", "facial"}
    assert screening_services_of(["no_such_type"]) == set()
    words = load_service_words()
    assert set(words) == {"body", "facial"}
    assert "face" in words["facial"].words and "jaw" in words["facial"].booking_words
    assert service_from_text("the face one please") == "facial"
    assert service_from_text("jaw") is None  # a booking word, not an answer to "body or facial?"


def test_a_types_file_without_the_service_words_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "massage_types.yml"
    bad.write_text("screening_services:\n  body:\n    words: []\n  facial:\n    words: [face]\n")
    with pytest.raises(ValueError, match="words"):
        load_service_words(bad)
