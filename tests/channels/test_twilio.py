"""WhatsApp through Twilio: recorded form posts, signed like Twilio signs
them; a forged request is refused and sends nothing (each send is paid)."""

from __future__ import annotations

import base64
import json
import random
import urllib.parse

from tests.channels.harness import PAYLOADS, TWILIO_NUMBER, TWILIO_SID, Call, Edge, twilio_signature

HOOK = "/webhooks/twilio/webhook"


def form(name: str, phone: str) -> dict[str, str]:
    fields = json.loads((PAYLOADS / name).read_text())
    fields["From"], fields["WaId"] = f"whatsapp:{phone}", phone.lstrip("+")
    return fields


def post(edge: Edge, fields: dict[str, str], signature: str | None) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    return edge.post(HOOK, urllib.parse.urlencode(fields).encode(), headers)


def signed(edge: Edge, fields: dict[str, str]) -> tuple[int, bytes]:
    return post(edge, fields, twilio_signature(edge.url + HOOK, fields))


def sends_to(phone: str):
    def match(call: Call) -> bool:
        return (
            call.path == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
            and call.form.get("To") == f"whatsapp:{phone}"
        )

    return match


def new_phone() -> str:
    return "+4477009" + str(random.randrange(10**4, 10**5))


def test_forged_requests_are_refused_and_send_nothing(edge: Edge) -> None:
    phone = new_phone()
    fields = form("twilio_whatsapp_text.json", phone)
    assert post(edge, fields, None)[0] == 403
    assert post(edge, fields, "bm90LWEtc2lnbmF0dXJl")[0] == 403
    # signed for another URL, or the body changed after signing
    assert post(edge, fields, twilio_signature("https://evil.example/hook", fields))[0] == 403
    tampered = dict(fields, Body="send this to everyone")
    assert post(edge, tampered, twilio_signature(edge.url + HOOK, fields))[0] == 403
    assert not edge.fake.wait_for(sends_to(phone), timeout=1)


def test_text_is_answered_with_numbered_options(edge: Edge) -> None:
    phone = new_phone()
    status, body = signed(edge, form("twilio_whatsapp_text.json", phone))
    assert status == 200 and b"<Response>" in body
    calls = edge.fake.wait_for(sends_to(phone))
    assert calls
    sent = calls[-1]
    assert sent.form["From"] == TWILIO_NUMBER
    assert "soft tissues" in sent.form["Body"]
    assert "1. How it differs\n2. Benefits\n3. Book a session" in sent.form["Body"]
    user, _ = base64.b64decode(sent.headers["authorization"].split()[1]).decode().split(":", 1)
    assert user == TWILIO_SID


def test_a_number_reply_presses_that_option(edge: Edge) -> None:
    phone = new_phone()
    signed(edge, form("twilio_whatsapp_text.json", phone))
    assert edge.fake.wait_for(sends_to(phone))
    before = len(edge.fake.take(sends_to(phone)))
    status, _ = signed(edge, form("twilio_whatsapp_option.json", phone))  # "2" = Benefits
    assert status == 200
    calls = edge.fake.wait_for(sends_to(phone), count=before + 1)
    assert "endorphins" in calls[-1].form["Body"], calls[-1].form["Body"]


def test_a_comparison_is_one_bold_block_per_type(edge: Edge) -> None:
    """Issue 10: WhatsApp's *bold* names, each type's lines under its name;
    never "firm | light-medium" columns."""
    phone = new_phone()
    status, _ = signed(edge, form("twilio_whatsapp_compare.json", phone))
    assert status == 200
    calls = edge.fake.wait_for(
        lambda c: sends_to(phone)(c) and "Pressure" in c.form.get("Body", "")
    )
    assert calls
    body = calls[-1].form["Body"]
    deep, swedish = body.split("\n\n")[:2]
    assert deep.startswith("*Deep tissue massage*\n") and "Pressure: firm" in deep
    assert swedish.startswith("*Swedish massage*\n") and "Pressure: light-medium" in swedish
    assert " | " not in body and "**" not in body
