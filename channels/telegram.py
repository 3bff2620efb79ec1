"""Telegram, hardened. Enabled when TELEGRAM_ACCESS_TOKEN is set (or
`access_token` under this channel in credentials.yml).

Rasa 3.6's TelegramInput
* calls Telegram's setWebhook while the server starts (in
  get_output_channel, with asyncio.run): without internet, or with Telegram
  down, the whole assistant fails to start. Here start-up makes no outgoing
  call; the webhook is registered once, by the clinic, with
  `python -m channels.telegram set-webhook` (it sends the secret token too);
* serves an unauthenticated GET /set_webhook anyone can call: removed;
* "verifies" each update by calling getMe and comparing the bot's username,
  an outgoing call per message that proves nothing about the sender: here
  the update must carry X-Telegram-Bot-Api-Secret-Token equal to the secret
  given to setWebhook (compared in constant time), else 403;
* never answers a button press (the client's button spins) and sends
  markdown as raw asterisks: here callback queries are answered and the
  assistant's light markdown is sent as Telegram HTML, escaped.

Settings (credentials.yml key / environment variable):
  access_token  / TELEGRAM_ACCESS_TOKEN   the bot's token from @BotFather
  secret_token  / TELEGRAM_SECRET_TOKEN   1-256 of A-Z a-z 0-9 _ - (required)
  webhook_url   / TELEGRAM_WEBHOOK_URL    https://PUBLIC/webhooks/telegram/webhook (for set-webhook)
  api_url       / TELEGRAM_API_URL        default https://api.telegram.org (tests: a local fake)
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import html
import json
import logging
import re
import sys
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.common import (
    OptionMemory,
    RateLimits,
    answer_or_apologise,
    cap,
    contact_links_as_text,
    env,
)

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.telegram.org"
SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
MAX_CALLBACK_BYTES = 64
MAX_TELEGRAM_CHARS = 4096
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")


def to_telegram_html(text: str) -> str:
    """The assistant's light markdown as Telegram HTML: everything escaped,
    then **bold**, _italic_ and [links](https://...) as tags; a tel: or
    mailto: link is its number or address as text, which Telegram makes
    tappable itself (its HTML takes http(s) links only)."""
    out = html.escape(contact_links_as_text(text), quote=False)
    out = _LINK.sub(
        lambda m: (
            f'<a href="{html.escape(html.unescape(m.group(2)), quote=True)}">{m.group(1)}</a>'
        ),
        out,
    )
    out = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out)
    out = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"<i>\1</i>", out)
    out = re.sub(r"(?<!\w)_([^_\n]+)_(?!\w)", r"<i>\1</i>", out)
    return out


class ClinicTelegramOutput(TelegramOutput):
    """Sends through the Bot API at `api_url`; no call at construction."""

    def __init__(
        self, access_token: str, api_url: str = DEFAULT_API_URL, options: OptionMemory | None = None
    ) -> None:
        Bot.__init__(self, access_token, server=TelegramAPIServer.from_base(api_url))
        self.options = options or OptionMemory()

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in text.strip().split("\n\n"):
            if part.strip():
                await self.send_message(
                    recipient_id, to_telegram_html(part)[:MAX_TELEGRAM_CHARS], parse_mode="HTML"
                )

    async def send_text_with_buttons(
        self,
        recipient_id: str,
        text: str,
        buttons: list[dict[str, Any]],
        button_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        """One button per row (the titles are sentences). callback_data holds
        the payload when it fits Telegram's 64 bytes, else the option's number."""
        self.options.remember(str(recipient_id), buttons)
        markup = InlineKeyboardMarkup()
        for number, button in enumerate(buttons, 1):
            payload = str(button.get("payload") or button.get("title") or "")
            data = payload if len(payload.encode()) <= MAX_CALLBACK_BYTES else str(number)
            markup.row(
                InlineKeyboardButton(str(button.get("title") or payload)[:64], callback_data=data)
            )
        parts = [p for p in text.strip().split("\n\n") if p.strip()] or [" "]
        for part in parts[:-1]:
            await self.send_message(
                recipient_id, to_telegram_html(part)[:MAX_TELEGRAM_CHARS], parse_mode="HTML"
            )
        await self.send_message(
            recipient_id,
            to_telegram_html(parts[-1])[:MAX_TELEGRAM_CHARS],
            parse_mode="HTML",
            reply_markup=markup,
        )

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        if isinstance(json_message.get("text"), str):
            await self.send_text_message(recipient_id, json_message["text"])


class ClinicTelegramInput(TelegramInput):
    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        token = env("TELEGRAM_ACCESS_TOKEN", credentials, "access_token")
        secret = env("TELEGRAM_SECRET_TOKEN", credentials, "secret_token")
        if token and not (secret and SECRET_TOKEN.match(secret)):
            raise ValueError(
                "Telegram is enabled (TELEGRAM_ACCESS_TOKEN) but TELEGRAM_SECRET_TOKEN is missing or not "
                "1-256 characters of A-Z, a-z, 0-9, _ and -: every update must be authenticated"
            )
        return cls(
            token,
            credentials.get("verify"),
            env("TELEGRAM_WEBHOOK_URL", credentials, "webhook_url"),
            secret_token=secret,
            api_url=env("TELEGRAM_API_URL", credentials, "api_url", DEFAULT_API_URL),
        )

    def __init__(
        self,
        access_token: str | None,
        verify: str | None,
        webhook_url: str | None,
        debug_mode: bool = False,
        secret_token: str | None = None,
        api_url: str = DEFAULT_API_URL,
    ) -> None:
        super().__init__(access_token, verify, webhook_url, debug_mode=debug_mode)
        self.secret_token = secret_token
        self.api_url = api_url
        self.options = OptionMemory()
        self._output: ClinicTelegramOutput | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.access_token and self.secret_token)

    def get_output_channel(self) -> ClinicTelegramOutput | None:  # type: ignore[override]
        """No setWebhook here: start-up must not depend on Telegram."""
        if not self.enabled:
            return None
        if self._output is None:
            self._output = ClinicTelegramOutput(self.access_token, self.api_url, self.options)
        return self._output

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("clinic_telegram_webhook", __name__)
        limits = RateLimits()
        seen_updates: OrderedDict[int, None] = OrderedDict()

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.enabled else "disabled"})

        @bp.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.enabled:
                return response.json({"error": "channel disabled"}, status=404)
            given = request.headers.get("X-Telegram-Bot-Api-Secret-Token") or ""
            if not hmac.compare_digest(given.encode(), str(self.secret_token).encode()):
                logger.warning("telegram update refused: wrong or missing secret token")
                return response.json({"error": "forbidden"}, status=403)
            try:
                update = json.loads(request.body or b"null")
            except ValueError:
                update = None
            if not isinstance(update, dict):
                return response.json({"error": "the body must be a JSON object"}, status=400)

            update_id = update.get("update_id")
            if isinstance(update_id, int):
                if update_id in seen_updates:  # Telegram redelivers when we were slow
                    return response.text("success")
                seen_updates[update_id] = None
                while len(seen_updates) > 5000:
                    seen_updates.popitem(last=False)

            out = self.get_output_channel()
            chat_id, text = None, None
            if isinstance(update.get("callback_query"), dict):
                query = update["callback_query"]
                chat_id = ((query.get("message") or {}).get("chat") or {}).get("id")
                data = query.get("data")
                if isinstance(data, str) and chat_id is not None:
                    text = self.options.resolve(str(chat_id), data) if data.isdigit() else data
                if query.get("id"):
                    try:
                        await out.answer_callback_query(query["id"])
                    except Exception as error:  # noqa: BLE001 - the answer matters more
                        logger.warning(
                            "telegram answerCallbackQuery failed: %s", type(error).__name__
                        )
            else:
                message = update.get("message") or update.get("edited_message")
                if isinstance(message, dict):
                    chat_id = (message.get("chat") or {}).get("id")
                    if isinstance(message.get("text"), str):
                        text = message["text"]
                        if text.strip().split("@")[0] == "/start":
                            text = "/greet"
                        elif chat_id is not None:
                            text = self.options.resolve(str(chat_id), text)
            if chat_id is None or text is None:
                return response.text("success")  # stickers, photos, joins: nothing to answer
            sender = str(chat_id)
            if not limits.sender.allow(sender):
                logger.warning("telegram message dropped: rate limit")
                return response.text("success")
            # always 200: a non-200 makes Telegram resend the message
            await answer_or_apologise(
                on_new_message, UserMessage(cap(text), out, sender, input_channel=self.name())
            )
            return response.text("success")

        return bp


async def set_webhook(token: str, url: str, secret: str, api_url: str = DEFAULT_API_URL) -> Any:
    bot = Bot(token, server=TelegramAPIServer.from_base(api_url))
    try:
        return await bot.request(
            "setWebhook",
            {
                "url": url,
                "secret_token": secret,
                "allowed_updates": json.dumps(ALLOWED_UPDATES),
                "drop_pending_updates": "false",
            },
        )
    finally:
        await bot.session.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Registers the assistant's Telegram webhook (once, by hand)."
    )
    parser.add_argument("command", choices=["set-webhook"])
    parser.parse_args(argv)
    token, url = env("TELEGRAM_ACCESS_TOKEN"), env("TELEGRAM_WEBHOOK_URL")
    secret = env("TELEGRAM_SECRET_TOKEN")
    if not (token and url and secret and SECRET_TOKEN.match(secret)):
        print(
            "set TELEGRAM_ACCESS_TOKEN, TELEGRAM_WEBHOOK_URL and TELEGRAM_SECRET_TOKEN",
            file=sys.stderr,
        )
        return 2
    result = asyncio.run(
        set_webhook(token, url, secret, env("TELEGRAM_API_URL", default=DEFAULT_API_URL))
    )
    print(f"setWebhook: {result}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
