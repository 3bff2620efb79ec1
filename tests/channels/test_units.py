"""The channels' pure parts, without a running assistant."""

from __future__ import annotations

import asyncio
import json

from channels.common import OptionMemory, RateLimiter, cap, markdown_to_plain, numbered_options
from channels.facebook import signature_ok
from channels.rest import MAX_MESSAGE_CHARS
from channels.telegram import set_webhook, to_telegram_html
from channels.twilio import chunks
from channels.website import SESSION_ID
from clinic_core.logs import JsonFormatter
from tests.channels.harness import TELEGRAM_TOKEN, FakeApi, messenger_signature


def test_rate_limiter_burst_then_refill() -> None:
    limiter = RateLimiter(burst=3, per_second=1000)
    assert all(limiter.allow("a") for _ in range(3))
    slow = RateLimiter.from_spec("2/3600")
    assert slow.allow("b") and slow.allow("b") and not slow.allow("b")
    assert slow.allow("c")  # per key
    assert RateLimiter.from_spec("0/60").allow("d")  # 0 = off


def test_rate_limiter_is_bounded() -> None:
    limiter = RateLimiter(burst=1, per_second=0.001, max_keys=10)
    for i in range(100):
        limiter.allow(str(i))
    assert len(limiter._buckets) == 10


def test_option_memory_maps_numbers_and_titles_to_payloads() -> None:
    memory = OptionMemory()
    buttons = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
    memory.remember("+447700900123", buttons)
    assert memory.resolve("+447700900123", "2") == "/deny"
    assert memory.resolve("+447700900123", " 1. ") == "/affirm"
    assert memory.resolve("+447700900123", "option 2") == "/deny"
    assert memory.resolve("+447700900123", "yes") == "/affirm"
    assert memory.resolve("+447700900123", "3") == "3"
    assert memory.resolve("someone else", "1") == "1"
    assert numbered_options(buttons) == "1. Yes\n2. No\n(Reply with a number.)"


def test_text_is_capped() -> None:
    assert len(cap("x" * 10_000)) == MAX_MESSAGE_CHARS
    assert cap(None) == "" and cap(5) == ""


def test_markdown_for_plain_channels_and_telegram_html() -> None:
    assert (
        markdown_to_plain("**Prices** at [our site](https://a.example/p)", bold="*")
        == "*Prices* at our site (https://a.example/p)"
    )
    html = to_telegram_html('<b>x</b> & **bold** [link](https://a.example/?a=1&b="2")')
    assert html.startswith("&lt;b&gt;x&lt;/b&gt; &amp; <b>bold</b>")
    assert '<a href="https://a.example/?a=1&amp;b=&quot;2&quot;">link</a>' in html


def test_phone_and_email_links_on_channels_without_links() -> None:
    """The clinic's number and address as themselves (the apps make them
    tappable), never Telegram-escaped markdown or "(tel:...)" clutter; a
    link whose text is not the address keeps the address after it."""
    said = (
        "call us on [+44 20 7946 0321](tel:+442079460321) or email "
        "[hello@clinic.example](mailto:hello@clinic.example); [ring us](tel:+442079460321)"
    )
    plain = "call us on +44 20 7946 0321 or email hello@clinic.example; ring us (tel:+442079460321)"
    assert markdown_to_plain(said, bold="*") == plain
    assert to_telegram_html(said) == plain
    local = "[020 7946 0321](tel:+442079460321)"
    assert markdown_to_plain(local) == "020 7946 0321"


def test_twilio_bodies_fit_the_limit() -> None:
    parts = chunks("word " * 1000)
    assert len(parts) == 4 and all(len(p) <= 1600 for p in parts)
    assert chunks("short") == ["short"]


def test_messenger_signature() -> None:
    body = b'{"object":"page"}'
    assert signature_ok("5e" * 16, body, messenger_signature(body))
    assert not signature_ok("5e" * 16, body + b" ", messenger_signature(body))
    assert not signature_ok("5e" * 16, body, "sha1=abc")


def test_session_ids_must_be_random_hex() -> None:
    assert SESSION_ID.match("0123456789abcdef0123456789abcdef")
    for bad in ("default", "0123", "../../x", "0123456789ABCDEF0123456789ABCDEF"):
        assert not SESSION_ID.match(bad)


def test_json_logs_drop_exception_text_rasa_locals_and_url_tokens() -> None:
    import logging

    formatter = JsonFormatter()

    def render(msg: str, exc: bool = False) -> dict:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, msg, None, None)
        if exc:
            try:
                raise ValueError("I have a heart condition")
            except ValueError:
                import sys

                record.exc_info = sys.exc_info()
        return json.loads(formatter.format(record))

    entry = render("turn failed", exc=True)
    assert entry["exc_type"] == "ValueError" and "heart" not in json.dumps(entry)
    structlog = json.dumps(
        {
            "event": "interpolator.interpolate.text",
            "event_info": "slot missing",
            "exception": [{"exc_type": "KeyError", "frames": [{"locals": {"values": "pregnant"}}]}],
        }
    )
    entry = render(structlog)
    assert entry["event"] == "interpolator.interpolate.text" and "pregnant" not in json.dumps(entry)
    assert "s3cret" not in render("GET /conversations/x/tracker?token=s3cret&a=1")["msg"]


def test_set_webhook_sends_the_secret_token() -> None:
    fake = FakeApi()
    try:
        asyncio.run(
            set_webhook(
                TELEGRAM_TOKEN,
                "https://chat.example/webhooks/telegram/webhook",
                "the-secret",
                api_url=fake.url,
            )
        )
        [call] = fake.take(lambda c: c.path.endswith("/setWebhook"))
        assert call.form["secret_token"] == "the-secret"
        assert call.form["url"] == "https://chat.example/webhooks/telegram/webhook"
        assert json.loads(call.form["allowed_updates"]) == [
            "message",
            "edited_message",
            "callback_query",
        ]
    finally:
        fake.stop()
