"""Facebook Messenger: recorded webhook events, signed with the app secret
(X-Hub-Signature-256); the Send API calls are captured by the fake."""

from __future__ import annotations

import json
import random
import urllib.parse

from tests.channels.harness import (
    FB_PAGE_TOKEN,
    FB_VERIFY,
    PAYLOADS,
    Call,
    Edge,
    messenger_signature,
)

HOOK = "/webhooks/facebook/webhook"


def event(name: str, psid: str) -> bytes:
    body = json.loads((PAYLOADS / name).read_text())
    for entry in body["entry"]:
        for item in entry["messaging"]:
            if item.get("message", {}).get("is_echo"):
                item["recipient"]["id"] = psid
            else:
                item["sender"]["id"] = psid
    return json.dumps(body).encode()


def post(edge: Edge, body: bytes, signature: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return edge.post(HOOK, body, headers)[0]


def to(psid: str, kind: str = "message"):
    def match(call: Call) -> bool:
        body = call.json if call.path.endswith("/me/messages") else None
        return bool(body) and body["recipient"]["id"] == psid and kind in body

    return match


def test_webhook_verification(edge: Edge) -> None:
    query = urllib.parse.urlencode(
        {"hub.mode": "subscribe", "hub.verify_token": FB_VERIFY, "hub.challenge": "1158201444"}
    )
    status, body, _ = edge.get(f"{HOOK}?{query}")
    assert status == 200 and body == b"1158201444"
    query = urllib.parse.urlencode(
        {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}
    )
    assert edge.get(f"{HOOK}?{query}")[0] == 403


def test_unsigned_or_forged_events_are_refused(edge: Edge) -> None:
    psid = str(random.randrange(10**15, 10**16))
    body = event("messenger_text.json", psid)
    assert post(edge, body, None) == 403
    assert post(edge, body, "sha256=" + "0" * 64) == 403
    assert post(edge, body, messenger_signature(body, secret="not-the-app-secret")) == 403
    assert not edge.fake.wait_for(to(psid), timeout=1)


def test_text_is_answered_with_quick_replies(edge: Edge) -> None:
    psid = str(random.randrange(10**15, 10**16))
    body = event("messenger_text.json", psid)
    assert post(edge, body, messenger_signature(body)) == 200
    calls = edge.fake.wait_for(to(psid))
    assert calls
    message = calls[-1].json["message"]
    assert "soft tissues" in message["text"]
    assert [q["title"] for q in message["quick_replies"]] == [
        "How it differs",
        "Benefits",
        "Book a session",
    ]
    assert calls[-1].query["access_token"] == [FB_PAGE_TOKEN]
    actions = [c.json["sender_action"] for c in edge.fake.take(to(psid, "sender_action"))]
    assert actions == ["typing_on", "typing_off"]


def test_quick_reply_press_is_answered(edge: Edge) -> None:
    psid = str(random.randrange(10**15, 10**16))
    body = event("messenger_quick_reply.json", psid)
    assert post(edge, body, messenger_signature(body)) == 200
    calls = edge.fake.wait_for(to(psid))
    assert calls and "endorphins" in calls[-1].json["message"]["text"]


def test_echoes_are_ignored_and_postbacks_answered(edge: Edge) -> None:
    psid = str(random.randrange(10**15, 10**16))
    body = event("messenger_postback_and_echo.json", psid)
    assert post(edge, body, messenger_signature(body)) == 200
    calls = edge.fake.wait_for(to(psid))
    assert len(calls) == 1 and "automated assistant" in calls[0].json["message"]["text"]


def test_a_comparison_is_one_bold_block_per_type(edge: Edge) -> None:
    """Issue 10: Messenger's *bold* names, each type's lines under its name
    (a paragraph is a message of its own there, so one bubble per type);
    never "firm | light-medium" columns."""
    psid = str(random.randrange(10**15, 10**16))
    body = event("messenger_compare.json", psid)
    assert post(edge, body, messenger_signature(body)) == 200

    def compared(call: Call) -> bool:
        return to(psid)(call) and "Sessions:" in call.json["message"].get("text", "")

    calls = edge.fake.wait_for(compared, count=2)
    texts = [c.json["message"]["text"] for c in calls]
    assert texts[0].startswith("*Deep tissue massage*\n") and "Pressure: firm" in texts[0]
    assert texts[1].startswith("*Swedish massage*\n") and "Pressure: light-medium" in texts[1]
    assert not any(" | " in t or "**" in t for t in texts)
