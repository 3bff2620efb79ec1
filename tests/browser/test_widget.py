"""The website widget in a real browser: Debian's headless Chromium, driven
by playwright-core (node), on a page of the clinic's site (another origin)
that embeds the widget as the README says: a config object, the assistant's
config.js (the profile's privacy notice) and the widget's script.

Needs scripts/install_test_deps.sh (chromium, chromium-driver, npm ci)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.channels.harness import Edge

ROOT = Path(__file__).resolve().parents[2]
FLOW = Path(__file__).resolve().parent / "widget_flow.mjs"
PRIMARY = "#6b2f5e"

SITE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Harmony Massage Therapy</title><link rel="icon" href="data:,"></head>
<body><main><h1>Harmony Massage Therapy</h1><p>Welcome to the clinic.</p></main>
<script>
  window.ClinicChatConfig = {
    server: "%(server)s",
    clinicName: "Harmony Massage Therapy",
    colors: { primary: "%(primary)s", primaryText: "#ffffff" },
    privacyUrl: "%(site)s/privacy.html"
  };
</script>
<script src="%(server)s/widget/config.js"></script>
<script src="%(server)s/widget/clinic-chat.js" defer></script>
</body></html>
"""


def need(tool: str) -> str:
    found = shutil.which(tool)
    if not found:
        pytest.fail(f"{tool} not found: run scripts/install_test_deps.sh")
    return found


@pytest.fixture(scope="module")
def flow(edge: Edge, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    node = need("node")
    need("chromium")
    if not (ROOT / "node_modules" / "playwright-core").is_dir():
        pytest.fail("playwright-core not installed: run scripts/install_test_deps.sh")
    out = tmp_path_factory.mktemp("browser")
    page = SITE_PAGE % {"server": edge.url, "site": edge.site.url, "primary": PRIMARY}
    (edge.assistant.workdir.parent / "site" / "index.html").write_text(page)
    done = subprocess.run(
        [node, str(FLOW), edge.site.url + "/index.html", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=480,
    )
    try:
        seen = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        pytest.fail(
            f"the browser flow printed no result:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        )
    seen["by_name"] = {s["name"]: s for s in seen["steps"]}
    seen["out"] = out
    return seen


def steps(flow: dict[str, Any], name: str) -> dict[str, Any]:
    errors = [s for s in flow["steps"] if s["name"] in ("error", "pageerror", "dialog")]
    assert name in flow["by_name"], f"the flow did not reach '{name}': {errors}"
    return flow["by_name"][name]


def test_no_errors_and_nothing_from_outside(flow: dict[str, Any], edge: Edge) -> None:
    errors = [
        s for s in flow["steps"] if s["name"] in ("error", "pageerror", "dialog", "console_error")
    ]
    assert not errors, errors
    outside = [u for u in flow["requests"] if not u.startswith(("http://127.0.0.1", "data:"))]
    assert not outside, outside  # no CDN: every file comes from the assistant or the site


def test_opens_with_the_clinic_name_colours_and_privacy_notice(flow: dict[str, Any]) -> None:
    launcher, opened = steps(flow, "launcher"), steps(flow, "opened")
    assert launcher["expanded"] == "false" and launcher["controls"]
    assert opened["expanded"] == "true" and opened["role"] == "dialog"
    assert "Harmony" in opened["title"]  # the profile's assistant name (config.js)
    assert opened["headerColour"] == "rgb(107, 47, 94)"  # PRIMARY
    assert opened["privacyVisible"] and "not a clinician" in opened["privacy"]
    # the README's snippet loads config.js: the profile's retention is said
    assert re.search(r"deleted after \d+ days", opened["privacy"]), opened["privacy"]
    assert opened["privacyLink"].endswith("/privacy.html")
    assert opened["logRole"] == "log" and opened["logLive"] == "polite"
    assert opened["inputLabel"] and opened["focusedIsInput"] == "TEXTAREA"
    assert "automated assistant" in opened["greeting"]


def test_faq_question_and_quick_reply(flow: dict[str, Any]) -> None:
    faq, pressed = steps(flow, "faq"), steps(flow, "quick_reply")
    assert "soft tissues" in faq["answer"]
    assert faq["replies"] == ["How it differs", "Benefits", "Book a session"]
    assert faq["repliesGroupLabel"] == "Suggested replies"
    assert faq["sawTyping"], "no typing indicator while the assistant answered"
    assert pressed["user"].endswith("Benefits")  # the title, not the payload
    assert "endorphins" in pressed["answer"]


def test_reload_shows_the_history_and_keeps_only_the_id(flow: dict[str, Any]) -> None:
    reloaded = steps(flow, "reloaded")
    assert set(reloaded["storage"]) <= {"clinicChat.sessionId", "clinicChat.open"}
    assert len(reloaded["storage"]["clinicChat.sessionId"]) == 32
    users = [u.replace("You said: ", "") for u in reloaded["users"]]
    assert users == ["what is therapeutic massage?", "Benefits"]
    bots = "\n".join(reloaded["bots"])
    assert "automated assistant" in bots and "soft tissues" in bots and "endorphins" in bots
    assert reloaded["replies"], "the last answer's quick replies are offered again"


def test_prescreen_consent_then_red_flag_gives_the_emergency_message(flow: dict[str, Any]) -> None:
    pre = steps(flow, "prescreen")
    assert any(r.startswith("Yes") for r in pre["consentReplies"])
    assert "chest pain" in pre["redFlagQuestion"]
    assert "999" in pre["emergency"]


def test_keyboard_escape_and_mobile_layout(flow: dict[str, Any]) -> None:
    escape, mobile = steps(flow, "escape"), steps(flow, "mobile")
    assert escape["expanded"] == "false" and "launcher" in escape["focused"]
    box = mobile["box"]
    assert box["x"] == 0 and box["width"] == 375 and box["height"] == 667


def test_markdown_is_rendered_safely(flow: dict[str, Any]) -> None:
    md = steps(flow, "markdown")
    assert "<strong>Bold</strong>" in md["html"] and "<em>it</em>" in md["html"]
    assert "<img" not in md["html"] and "&lt;img src=x onerror=alert(1)&gt;" in md["html"]
    assert "<li>one</li>" in md["html"]
    assert [link["href"] for link in md["links"]] == ["https://harmony.example/a?b=1&c=2"]
    assert md["links"][0]["rel"] == "noopener noreferrer nofollow"


def test_a_comparison_shows_one_block_per_type(flow: dict[str, Any]) -> None:
    """Issue 10: each type's name in bold with its lines under it, never
    "firm | light-medium" columns that a narrow widget cannot show."""
    compared = steps(flow, "compare")
    assert "<strong>Deep tissue massage</strong>" in compared["html"]
    assert "<strong>Swedish massage</strong>" in compared["html"]
    assert " | " not in compared["text"] and "**" not in compared["text"]


def test_focus_stays_in_the_chat_after_a_quick_reply(flow: dict[str, Any]) -> None:
    assert steps(flow, "quick_reply")["focusedAfter"] == "TEXTAREA"


def test_the_open_widget_is_axe_clean(flow: dict[str, Any]) -> None:
    """Issue 11, item 8: no axe-core violation with the widget open (the New
    chat button's name holds its text, one banner landmark on the page)."""
    assert steps(flow, "axe")["violations"] == []


def test_the_clinic_s_phone_and_email_are_links(flow: dict[str, Any]) -> None:
    hrefs = steps(flow, "contact_links")["hrefs"]
    assert any(h.startswith("tel:+44") for h in hrefs), steps(flow, "contact_links")["text"]
    assert any(h.startswith("mailto:") for h in hrefs), hrefs


def test_a_change_of_service_during_booking(flow: dict[str, Any]) -> None:
    """Issue 11, item 5: "actually a body massage instead" at a booking step
    changes the service and asks only what differs; never "that length isn't
    on offer"."""
    changed = steps(flow, "changed_service")
    assert "How long" in changed["bookingAsked"] or "When" in changed["bookingAsked"], changed
    assert "body massage instead" in changed["after"], changed
    assert "isn't on offer" not in changed["after"]


def test_the_times_come_with_a_therapist_choice(flow: dict[str, Any]) -> None:
    """Issue 11, item 8: a body massage (two therapists) shows a button per
    therapist beside the free times; "Only with Tom" shows only Tom's times
    and the way back; axe stays clean with those buttons showing."""
    chosen = steps(flow, "therapist_choice")
    assert "Only with Anna" in chosen["offered"] and "Only with Tom" in chosen["offered"], chosen
    times = [t for t in chosen["replies"] if " at " in t]
    assert times and all(t.endswith("with Tom") for t in times), chosen
    assert "Any therapist" in chosen["replies"] and "Only with Anna" in chosen["replies"], chosen
    assert chosen["violations"] == []
