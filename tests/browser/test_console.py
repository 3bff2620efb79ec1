"""The staff console in a real browser (Debian's headless Chromium driven by
playwright-core), beside a client in the website widget, against the running
assistant with every channel on (tests/channels/harness.py): see
console_flow.mjs for the steps. axe-core checks every page.

The live hand-over needs the clinic open: for this module the assistant's
profile copy opens every day around the clock (restored afterwards).
Screenshots land in the test's temporary folder; with
UPDATE_CONSOLE_SCREENSHOTS=1 they are copied to docs/console/ for the docs."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from clinic_core.availability import Slot
from clinic_core.booking_store import BookingStore
from clinic_core.profile import load_profile
from clinic_core.staff import AuditEntry
from tests.browser.test_widget import SITE_PAGE, need
from tests.channels.harness import Edge
from tests.console.harness import PASSWORDS, start_console

ROOT = Path(__file__).resolve().parents[2]
FLOW = Path(__file__).resolve().parent / "console_flow.mjs"
DOCS = ROOT / "docs" / "console"
PAGES = [
    "login",
    "reviews",
    "reviews-held",
    "bookings",
    "callbacks",
    "inbox",
    "conversation",
    "analytics",
    "audit",
    "accounts",
]
#: the client of the held booking: an earlier clearance in another chat, bound to this phone
HELD_CLIENT = {"name": "Hedda Held", "phone": "07911 123457"}


@pytest.fixture(scope="module")
def open_all_day(edge: Edge) -> Iterator[Path]:
    path = edge.assistant.profile_path
    original = path.read_text()
    data = yaml.safe_load(original)
    data["opening_hours"] = {day: ["00:00", "23:59"] for day in data["opening_hours"]}
    data["holidays"] = []
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    try:
        yield path
    finally:
        path.write_text(original)


@pytest.fixture(scope="module")
def flow(
    edge: Edge, open_all_day: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    node = need("node")
    need("chromium")
    if not (ROOT / "node_modules" / "axe-core").is_dir():
        pytest.fail("axe-core not installed: run scripts/install_test_deps.sh")
    workdir = edge.assistant.workdir
    db_url = f"sqlite:///{workdir / 'clinic.db'}"
    profile = load_profile(open_all_day)
    store = BookingStore(db_url, profile=profile)
    screening = store.save_screening(
        "browser-review", "clearance", ["pregnancy"], {"pregnancy": "yes"}
    )
    callback = store.request_callback(
        "Jo Bloggs", "020 7946 0999", "afternoons", reason="asked to talk to a person"
    )
    day = dt.datetime.now(profile.tz).date() + dt.timedelta(days=3)
    start = dt.datetime.combine(day, dt.time(10), tzinfo=profile.tz)
    booking = store.book(
        Slot(start, start + dt.timedelta(minutes=60), "anna", "body_massage", 60),
        name="Wendy Widget",
        phone="07911 123000",
        screening_outcome="ok",
    )
    # the held client's earlier clearance, in another chat: their call-back request ties it to their phone
    earlier = store.save_screening(
        "held-client-earlier-chat", "clearance", ["pregnancy"], {"pregnancy": "yes"}
    )
    store.request_callback(
        HELD_CLIENT["name"], HELD_CLIENT["phone"], "mornings", sender_id="held-client-earlier-chat"
    )
    store.close()

    env = {"CLINIC_PROFILE": str(open_all_day)}
    console = start_console(
        tmp_path_factory.mktemp("console"),
        rasa_url=edge.url,
        rasa_token=edge.assistant.token,
        db_url=db_url,
        tracker_url=f"sqlite:///{workdir / 'tracker.db'}",
        extra_env=env,
    )
    out = tmp_path_factory.mktemp("console-browser")
    (workdir.parent / "site" / "console-site.html").write_text(
        SITE_PAGE % {"server": edge.url, "site": edge.site.url, "primary": "#2f6f5e"}
    )
    spec = {
        "passwords": PASSWORDS,
        "booking": {
            "reference": booking.reference,
            "therapist": "anna",
            "date": day.isoformat(),
            "new_time": "11:00",
        },
        "held": HELD_CLIENT,
    }
    try:
        done = subprocess.run(
            [node, str(FLOW), console.url, edge.site.url + "/console-site.html", str(out)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "CONSOLE_FLOW": json.dumps(spec)},
        )
        try:
            seen = json.loads(done.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            pytest.fail(
                f"the console flow printed no result:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
            )
        (out / "seen.json").write_text(json.dumps(seen, indent=1))
        seen["by_name"] = {s["name"]: s for s in seen["steps"]}
        seen.update(
            out=out,
            console=console,
            screening=screening,
            callback=callback.id,
            booking=booking.reference,
            earlier=earlier,
        )
        if os.environ.get("UPDATE_CONSOLE_SCREENSHOTS") == "1":
            DOCS.mkdir(parents=True, exist_ok=True)
            for name in PAGES + ["widget-handover", "widget-approved"]:
                if (out / f"{name}.png").exists():
                    shutil.copy(out / f"{name}.png", DOCS / f"{name}.png")
        yield seen
    finally:
        console.stop()


def steps(flow: dict[str, Any], name: str) -> dict[str, Any]:
    errors = [s for s in flow["steps"] if s["name"] == "error"]
    assert name in flow["by_name"], f"the flow did not reach '{name}': {errors}"
    return flow["by_name"][name]


def test_no_script_errors_csp_violations_or_outside_requests(flow: dict[str, Any]) -> None:
    steps(flow, "sam_landed")
    assert not flow["problems"], flow["problems"]
    outside = [u for u in flow["requests"] if not u.startswith(("http://127.0.0.1", "data:"))]
    assert not outside, outside


def test_every_page_is_axe_clean_and_photographed(flow: dict[str, Any]) -> None:
    steps(flow, "sam_landed")
    assert sorted(flow["axe"]) == sorted(PAGES)
    dirty = {page: v for page, v in flow["axe"].items() if v}
    assert not dirty, json.dumps(dirty, indent=1)
    for page in PAGES:
        assert (flow["out"] / f"{page}.png").stat().st_size > 5000


def test_therapist_works_the_review_queue(flow: dict[str, Any]) -> None:
    assert steps(flow, "landed")["url"].endswith("/inbox")
    seen = steps(flow, "review_seen")
    assert "clearance" in seen["title"] and "Pregnancy" in seen["text"]
    assert "GP letter needed" in steps(flow, "review_note")["notes"]
    assert "Marked as reviewed" in steps(flow, "review_done")["notice"]
    store = flow["console"].store()
    queue = store.review_queue(include_reviewed=True)
    reviewed = [i for i in queue if i["id"] == flow["screening"]][0]
    assert reviewed["reviewed_by"] == "anna"
    with store.session() as s:
        rows = s.execute(
            select(AuditEntry.username, AuditEntry.action, AuditEntry.record_id).where(
                AuditEntry.record_type == "screening"
            )
        ).all()
    assert ("anna", "view", str(flow["screening"])) in rows and (
        "anna",
        "reviewed",
        str(flow["screening"]),
    ) in rows


def test_reception_moves_a_booking_and_marks_a_call_back(flow: dict[str, Any]) -> None:
    assert "Wendy Widget" in steps(flow, "booking_seen")["text"]
    moved = steps(flow, "booking_moved")
    assert f"Moved {flow['booking']}" in moved["notice"] and "11:00" in moved["text"]
    assert "Called" not in steps(flow, "callback_seen")["text"]
    assert "Marked as called" in steps(flow, "callback_called")["notice"]
    store = flow["console"].store()
    assert store.get(flow["booking"]).start.hour == 11
    assert store.get_callback(flow["callback"]).called_by == "rita"
    assert [n.text for n in _notes(store, "callback", flow["callback"])] == ["Left a voicemail"]


def _notes(store: BookingStore, kind: str, subject: Any) -> list[Any]:
    from clinic_core.staff import StaffDirectory

    return StaffDirectory(store).notes(kind, [subject]).get(str(subject), [])


def test_live_hand_over_both_ways_and_back(flow: dict[str, Any]) -> None:
    assert "asked the team" in steps(flow, "client_waiting")["last"]
    assert "can I talk to a person" in steps(flow, "conversation_open")["transcript"]
    assert "assistant is paused" in steps(flow, "taken")["state"]
    exchanged = steps(flow, "exchanged")
    client = "\n".join(exchanged["clientSaw"])
    assert "now chatting with Rita" in client and "this is Rita at the clinic" in client
    assert "Sorry, something went wrong" not in client  # no apology while paused
    assert "Hello, this is Rita" in exchanged["clientSaw"][-1]  # the assistant stayed silent
    assert "Can I bring my own massage oil?" in exchanged["staffSaw"]
    back = steps(flow, "handed_back")
    assert "Handed back" in back["notice"] and "soft tissues" in back["last"]


def test_the_client_sees_who_from_the_clinic_is_writing(flow: dict[str, Any]) -> None:
    """Rita's own messages carry her first name above the bubble; the assistant's
    lines (also the hand-over line in its voice) carry none."""
    labels = steps(flow, "exchanged")["labels"]
    rita = [m for m in labels if "this is Rita at the clinic" in m["text"]]
    assert rita and all(m["label"] == "Rita" for m in rita), labels
    others = [m for m in labels if m not in rita]
    assert others and all(m["label"] is None for m in others), others


def test_a_booking_held_by_an_earlier_clearance_is_approved_and_the_widget_confirms(
    flow: dict[str, Any],
) -> None:
    """Issue 12 + 14: a new chat, a fresh pre-screen with "no" to everything (ok),
    the same phone as an earlier clearance: the booking is held, the therapist
    sees it with the client's history and approves it, and the client reads the
    confirmation in the widget; the store and the webhook outbox agree."""
    assert "nothing you've told me stops us booking you" in steps(flow, "held_prescreen")["outcome"]
    held = steps(flow, "held_in_widget")
    reference = held["reference"]
    assert reference and "NOT confirmed" in held["text"], held
    seen = steps(flow, "held_seen")["text"]
    assert "clearance" in seen and "Pregnancy" in seen and "holds this booking" in seen, seen
    assert HELD_CLIENT["name"] in seen
    approved = steps(flow, "held_approved")
    assert f"Approved {reference}" in approved["notice"] and approved["left"] == 0
    assert "confirmed it" in steps(flow, "approved_in_widget")["last"]
    store = flow["console"].store()
    assert store.get(reference).status == "booked"
    events = [e for e in store.outbox() if e.payload.get("reference") == reference]
    assert [e.event_type for e in events] == ["booking.held", "booking.confirmed"]
    assert (
        events[0].payload["held_by"] == [flow["earlier"]]
        and events[1].payload["confirmed_by"] == "anna"
    )
    with store.session() as s:
        rows = s.execute(
            select(AuditEntry.username, AuditEntry.action, AuditEntry.record_type).where(
                AuditEntry.record_id == reference
            )
        ).all()
    assert ("anna", "view", "held_booking") in rows and ("anna", "approve", "booking") in rows


def test_admin_sees_charts_and_the_audit_trail(flow: dict[str, Any]) -> None:
    assert steps(flow, "analytics")["charts"] == 5
    rows = "\n".join(steps(flow, "audit")["rows"])
    for expected in ("take_over", "hand_back", "reviewed", "move", "called", "approve"):
        assert expected in rows
