"""Telegram: recorded updates posted to the webhook on localhost; the Bot
API calls they cause are captured by the fake (TELEGRAM_API_URL)."""

from __future__ import annotations

import json
import random
import time
from typing import Any

from tests.channels.harness import PAYLOADS, TELEGRAM_SECRET, TELEGRAM_TOKEN, Call, Edge

HOOK = "/webhooks/telegram/webhook"


def update(name: str, chat_id: int) -> dict[str, Any]:
    body = json.loads((PAYLOADS / name).read_text())
    body["update_id"] = random.randrange(10**8, 10**9)
    message = body.get("message") or body["callback_query"]["message"]
    message["chat"]["id"] = chat_id
    return body


def post(edge: Edge, body: dict[str, Any], secret: str | None = TELEGRAM_SECRET) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    status, _ = edge.post(HOOK, json.dumps(body).encode(), headers)
    return status


def sent_to(chat_id: int):
    def match(call: Call) -> bool:
        return call.path == f"/bot{TELEGRAM_TOKEN}/sendMessage" and call.form.get("chat_id") == str(
            chat_id
        )

    return match


def test_started_with_telegram_on_and_no_call_to_telegram(edge: Edge) -> None:
    status, body, _ = edge.get("/webhooks/telegram/")
    assert status == 200 and json.loads(body)["status"] == "ok"
    assert not edge.fake.take(lambda c: c.path.endswith(("/setWebhook", "/getMe")))


def test_update_without_the_secret_token_is_refused(edge: Edge) -> None:
    chat = random.randrange(10**9, 10**10)
    assert post(edge, update("telegram_text.json", chat), secret=None) == 403
    assert post(edge, update("telegram_text.json", chat), secret="wrong-secret") == 403
    status, _ = edge.post(HOOK, b"[]", {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})
    assert status == 400
    assert not edge.fake.wait_for(sent_to(chat), timeout=1)


def test_text_question_is_answered_with_inline_buttons(edge: Edge) -> None:
    chat = random.randrange(10**9, 10**10)
    assert post(edge, update("telegram_text.json", chat)) == 200
    calls = edge.fake.wait_for(sent_to(chat))
    assert calls, "no sendMessage"
    form = calls[-1].form
    assert "soft tissues" in form["text"]
    assert form["parse_mode"] == "HTML"
    keyboard = json.loads(form["reply_markup"])["inline_keyboard"]
    assert [row[0]["text"] for row in keyboard] == ["How it differs", "Benefits", "Book a session"]
    assert keyboard[1][0]["callback_data"] == '/faq{"faq_topic": "benefits"}'
    time.sleep(0.5)  # an apology would follow the answer at once
    assert not any(
        "went wrong" in c.form.get("text", "") for c in edge.fake.calls if sent_to(chat)(c)
    )


def test_button_press_is_answered_and_acknowledged(edge: Edge) -> None:
    chat = random.randrange(10**9, 10**10)
    body = update("telegram_button.json", chat)
    assert post(edge, body) == 200
    calls = edge.fake.wait_for(sent_to(chat))
    assert calls and "endorphins" in calls[-1].form["text"], [c.form.get("text") for c in calls]
    acks = edge.fake.take(
        lambda c: (
            c.path.endswith("/answerCallbackQuery")
            and c.form.get("callback_query_id") == body["callback_query"]["id"]
        )
    )
    assert acks, "the button press was not acknowledged (the client's button keeps spinning)"


def test_redelivered_update_is_answered_once(edge: Edge) -> None:
    chat = random.randrange(10**9, 10**10)
    body = update("telegram_start.json", chat)
    assert post(edge, body) == 200
    assert post(edge, body) == 200
    calls = edge.fake.wait_for(sent_to(chat))
    assert len(calls) == 1 and "automated assistant" in calls[0].form["text"]


def test_a_comparison_is_one_bold_block_per_type(edge: Edge) -> None:
    """Issue 10: the names in bold (Telegram HTML), each type's lines under
    its name (a paragraph is a message of its own, so one bubble per type);
    never "firm | light-medium" columns."""
    chat = random.randrange(10**9, 10**10)
    assert post(edge, update("telegram_compare.json", chat)) == 200
    calls = edge.fake.wait_for(
        lambda c: sent_to(chat)(c) and "Sessions:" in c.form.get("text", ""), count=2
    )
    texts = [c.form["text"] for c in calls]
    assert all(c.form["parse_mode"] == "HTML" for c in calls)
    assert texts[0].startswith("<b>Deep tissue massage</b>\n") and "Pressure: firm" in texts[0]
    assert texts[1].startswith("<b>Swedish massage</b>\n") and "Pressure: light-medium" in texts[1]
    assert not any(" | " in t or "**" in t for t in texts)
