"""Pieces of the staff console that need no server: the client-facing lines
read from the domain, the analytics aggregates, the SVG charts, and the
Rasa-side rule for a paused conversation."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from clinic_core import analytics, responses
from clinic_core.availability import Slot
from clinic_core.booking_store import BookingStore
from clinic_core.profile import load_profile
from rasa_ext.handover import should_handle, turn_was_paused
from staff_console.charts import bar_chart, column_chart
from staff_console.rasa_api import transcript

PROFILE = load_profile()
LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 12, 9, 12, 0, tzinfo=LONDON)

#: every line the console or the hand-over sends, with the values its sender passes
LINES = {
    "utter_handover_waiting": {},
    "utter_callback_offer": {"callback_by": "11am tomorrow"},
    "utter_handover_taken": {"staff_name": "Rita"},
    "utter_handover_returned": {"staff_name": "Rita"},
    "utter_booking_moved_by_clinic": {
        "reference": "AB23CD",
        "when": "Fri 11 Dec at 2pm",
        "therapist": "Anna",
    },
    "utter_booking_cancelled_by_clinic": {"reference": "AB23CD", "when": "Fri 11 Dec at 2pm"},
    "utter_review_callback_offer": {},
    "utter_handover_nobody": {"callback_by": "11am tomorrow"},
    "utter_booking_approved": {
        "reference": "AB23CD",
        "service": "Body massage",
        "minutes": 60,
        "when": "Fri 11 Dec at 2pm",
    },
    "utter_booking_declined": {"reference": "AB23CD", "when": "Fri 11 Dec at 2pm"},
}


@pytest.mark.parametrize("name, values", LINES.items())
def test_every_line_is_in_the_domain_and_fully_filled(name: str, values: dict) -> None:
    line = responses.render(name, PROFILE, **values)
    assert line["text"] and "{" not in line["text"], line["text"]
    assert PROFILE.name in line["text"] or PROFILE.phone in line["text"] or values


@pytest.mark.parametrize("name", ["utter_handover_waiting", "utter_handover_nobody"])
def test_a_client_who_asks_for_a_person_always_gets_the_number(name: str) -> None:
    """A client asking "what is your phone number?" (human_handoff): whether someone is
    signed in to the console (waiting) or not (nobody), the client reads the
    clinic's phone and email, which the widget and channels turn into links."""
    text = responses.render(name, PROFILE, **LINES[name])["text"]
    assert PROFILE.phone in text and PROFILE.email in text, text


def test_buttons_read_escaped_braces_as_rasa_does() -> None:
    """A payload with entities is written {{...}} in the domain (Rasa formats
    it); sent as written, the widget would post '/human_handoff{{...}}' and
    Rasa would drop the entity."""
    line = responses.render(
        "utter_booking_declined", PROFILE, reference="AB23CD", when="Fri 11 Dec at 2pm"
    )
    assert line["buttons"][0]["payload"] == '/human_handoff{"callback": "yes"}'
    assert json.loads(line["buttons"][0]["payload"][len("/human_handoff") :]) == {"callback": "yes"}
    assert "{{" not in line["text"]


def test_a_missing_response_is_an_error() -> None:
    with pytest.raises(responses.MissingResponse):
        responses.render("utter_no_such_thing", PROFILE)


def _tracker(path, rows) -> str:
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), type_name VARCHAR(255), "
        "timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)"
    )
    conn.executemany(
        "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.commit()
    conn.close()
    return f"sqlite:///{path}"


def _user(
    sender: str,
    when: dt.datetime,
    intent: str,
    topic: str | None = None,
    text: str = "secret words",
):
    parse = {"text": text, "intent": {"name": intent}}
    if topic:
        parse["response_selector"] = {"faq": {"response": {"intent_response_key": f"faq/{topic}"}}}
    return (
        sender,
        "user",
        when.timestamp(),
        intent,
        None,
        json.dumps({"text": text, "parse_data": parse}),
    )


def test_analytics_counts_without_message_text(tmp_path) -> None:
    yesterday = NOW - dt.timedelta(days=1)
    url = _tracker(
        tmp_path / "tracker.db",
        [
            _user("a", NOW, "faq", "prices", "I'm pregnant, how much is it?"),
            _user("a", NOW, "faq", "prices"),
            _user("b", NOW, "faq", "opening_hours"),
            _user("b", NOW, "nlu_fallback"),
            _user("c", yesterday, "out_of_scope"),
            _user("c", yesterday, "greet"),
            _user("old", NOW - dt.timedelta(days=40), "faq", "parking"),
            ("a", "action", NOW.timestamp(), None, "booking_form", "{}"),
            ("a", "action", NOW.timestamp(), None, "booking_form", "{}"),
        ],
    )
    store = BookingStore(f"sqlite:///{tmp_path / 'clinic.db'}", profile=PROFILE)
    store.save_screening("a", "ok", now=NOW)
    store.save_screening("b", "clearance", ["pregnancy"], now=NOW)
    start = dt.datetime(2026, 12, 10, 10, 0, tzinfo=LONDON)
    store.book(
        Slot(start, start + dt.timedelta(hours=1), "anna", "body_massage", 60),
        name="A",
        phone="07911 123456",
        sender_id="a",
        now=NOW,
    )
    s = analytics.summary(store, PROFILE, days=14, tracker_url=url, now=NOW)
    assert s.conversations[-1] == 2 and s.conversations[-2] == 1 and sum(s.conversations) == 3
    assert s.faq_topics == [("prices", 2), ("opening_hours", 1)]
    assert (s.messages, s.unanswered) == (6, 2) and round(s.unanswered_share, 3) == 0.333
    assert s.outcomes["ok"] == 1 and s.outcomes["clearance"] == 1 and s.outcomes["postpone"] == 0
    assert (s.bookings_started, s.bookings_completed, s.bookings_by_staff) == (1, 1, 0)
    dumped = json.dumps(s.to_dict())
    assert "pregnant" not in dumped and "secret words" not in dumped and '"a"' not in dumped


def test_analytics_without_a_tracker_database(tmp_path) -> None:
    store = BookingStore(f"sqlite:///{tmp_path / 'clinic.db'}", profile=PROFILE)
    s = analytics.summary(store, PROFILE, tracker_url=f"sqlite:///{tmp_path / 'none.db'}", now=NOW)
    assert s.tracker.startswith("skipped") and s.messages == 0 and len(s.days) == 14


def test_charts_escape_labels_and_carry_a_text_alternative() -> None:
    svg = str(bar_chart("Topics", [("<script>alert(1)</script>", 3), ("prices", 1)]))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "<title" in svg and 'role="img"' in svg and "style=" not in svg
    columns = str(column_chart("Per day", [("01/12", 0), ("02/12", 4)]))
    assert columns.count("<rect") == 2 and "02/12: 4" in columns


def test_transcript_marks_who_said_what() -> None:
    tracker = {
        "paused": True,
        "latest_input_channel": "socketio",
        "events": [
            {"event": "user", "text": "hi", "timestamp": 1, "input_channel": "socketio"},
            {"event": "bot", "text": "Hello!", "timestamp": 2, "metadata": {}},
            {"event": "bot", "text": "Rita here", "timestamp": 3, "metadata": {"staff": "Rita"}},
            {"event": "user", "text": "/affirm", "timestamp": 4},
            {"event": "slot", "name": "x", "value": 1, "timestamp": 5},
        ],
    }
    view = transcript(tracker)
    assert view["paused"] and view["channel"] == "socketio"
    assert [(m["from"], m["text"]) for m in view["messages"]] == [
        ("client", "hi"),
        ("assistant", "Hello!"),
        ("staff", "Rita here"),
        ("client", "(pressed a button)"),
    ]


def _tracker_state(paused: bool, intent: str | None):
    latest = SimpleNamespace(intent={"name": intent}) if intent else None
    return SimpleNamespace(is_paused=lambda: paused, latest_message=latest)


def test_paused_conversations_answer_only_emergencies_and_restart() -> None:
    assert should_handle(_tracker_state(False, "greet"))
    assert not should_handle(_tracker_state(True, "greet"))
    assert not should_handle(_tracker_state(True, None))
    assert should_handle(_tracker_state(True, "emergency"))
    assert should_handle(_tracker_state(True, "restart"))
    assert not turn_was_paused(object()) and turn_was_paused(SimpleNamespace(clinic_paused=True))
