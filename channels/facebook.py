"""Facebook Messenger, hardened. Enabled when FACEBOOK_VERIFY_TOKEN,
FACEBOOK_APP_SECRET and FACEBOOK_PAGE_ACCESS_TOKEN are set (or `verify`,
`secret`, `page-access-token` in credentials.yml).

Rasa 3.6's FacebookInput checks the old SHA-1 X-Hub-Signature and answers a
bad one with 200 "not validated"; sends with a blocking HTTP client (the
whole server waits on Facebook); handles only the first event of a batch;
passes the URL of a photo a client sends into the conversation (and logs
unhandled events with their content). Here:
* X-Hub-Signature-256 (HMAC-SHA256 of the raw body with the app secret),
  compared in constant time, is required; else 403;
* every messaging event of a batch is handled; echoes, reads and deliveries
  are ignored; a photo or file gets "I can only read text" and is not stored;
* replies go out with aiohttp (async) to the Graph API at `graph_url`;
* buttons become quick replies (up to 13, titles up to 20 characters);
  longer titles are listed as numbered options with quick replies "1", "2"...
* text is capped and each sender rate-limited.

Settings (credentials.yml key / environment variable):
  verify             / FACEBOOK_VERIFY_TOKEN        the webhook's verify token (you choose it)
  secret             / FACEBOOK_APP_SECRET          the app secret (signs each request)
  page-access-token  / FACEBOOK_PAGE_ACCESS_TOKEN
  graph_url          / FACEBOOK_GRAPH_URL           default https://graph.facebook.com/v18.0
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.facebook import FacebookInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.common import (
    OptionMemory,
    RateLimits,
    answer_or_apologise,
    cap,
    env,
    markdown_to_plain,
    numbered_options,
)

logger = logging.getLogger(__name__)

DEFAULT_GRAPH_URL = "https://graph.facebook.com/v18.0"
MAX_TEXT_CHARS = 2000
MAX_QUICK_REPLIES = 13
MAX_QUICK_REPLY_TITLE = 20
TEXT_ONLY = "Sorry, I can only read text messages. Please type your question."


def signature_ok(app_secret: str, body: bytes, header: str) -> bool:
    if not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len("sha256=") :])


class ClinicMessengerOutput(OutputChannel):
    @classmethod
    def name(cls) -> str:
        return "facebook"

    def __init__(
        self,
        page_access_token: str,
        graph_url: str = DEFAULT_GRAPH_URL,
        options: OptionMemory | None = None,
    ) -> None:
        self.page_access_token = page_access_token
        self.graph_url = graph_url.rstrip("/")
        self.options = options or OptionMemory()

    async def _post(self, body: dict[str, Any]) -> None:
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
                async with session.post(
                    f"{self.graph_url}/me/messages",
                    params={"access_token": self.page_access_token},
                    json=body,
                ) as resp:
                    if resp.status >= 300:
                        logger.error("messenger send failed: HTTP %s", resp.status)
        except Exception as error:  # noqa: BLE001
            logger.error("messenger send failed: %s", type(error).__name__)

    async def _message(self, recipient_id: str, message: dict[str, Any]) -> None:
        await self._post(
            {"recipient": {"id": recipient_id}, "messaging_type": "RESPONSE", "message": message}
        )

    async def send_action(self, recipient_id: str, sender_action: str) -> None:
        await self._post({"recipient": {"id": recipient_id}, "sender_action": sender_action})

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for part in text.strip().split("\n\n"):
            if part.strip():
                await self._message(
                    recipient_id, {"text": markdown_to_plain(part, bold="*")[:MAX_TEXT_CHARS]}
                )

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        parts = [p for p in text.strip().split("\n\n") if p.strip()] or [" "]
        for part in parts[:-1]:
            await self.send_text_message(recipient_id, part)
        last = markdown_to_plain(parts[-1], bold="*")
        buttons = buttons[:MAX_QUICK_REPLIES]
        titles = [str(b.get("title") or b.get("payload") or "") for b in buttons]
        if all(len(t) <= MAX_QUICK_REPLY_TITLE for t in titles):
            replies = [
                {"content_type": "text", "title": t, "payload": str(b.get("payload") or t)}
                for t, b in zip(titles, buttons, strict=True)
            ]
        else:
            self.options.remember(recipient_id, buttons)
            last = f"{last}\n\n{numbered_options(buttons)}"
            replies = [
                {"content_type": "text", "title": str(i), "payload": str(b.get("payload") or t)}
                for i, (t, b) in enumerate(zip(titles, buttons, strict=True), 1)
            ]
        await self._message(recipient_id, {"text": last[:MAX_TEXT_CHARS], "quick_replies": replies})

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self._message(
            recipient_id, {"attachment": {"type": "image", "payload": {"url": image}}}
        )

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        if isinstance(json_message.get("text"), str):
            await self.send_text_message(recipient_id, json_message["text"])


class ClinicFacebookInput(FacebookInput):
    @classmethod
    def name(cls) -> str:
        return "facebook"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        channel = cls(
            env("FACEBOOK_VERIFY_TOKEN", credentials, "verify"),
            env("FACEBOOK_APP_SECRET", credentials, "secret"),
            env("FACEBOOK_PAGE_ACCESS_TOKEN", credentials, "page-access-token"),
        )
        channel.graph_url = env("FACEBOOK_GRAPH_URL", credentials, "graph_url", DEFAULT_GRAPH_URL)
        return channel

    graph_url: str = DEFAULT_GRAPH_URL

    @property
    def enabled(self) -> bool:
        return bool(self.fb_verify and self.fb_secret and self.fb_access_token)

    def get_output_channel(self) -> OutputChannel | None:
        if not self.enabled:
            return None
        if getattr(self, "_output", None) is None:
            self._output = ClinicMessengerOutput(
                self.fb_access_token, self.graph_url, OptionMemory()
            )
        return self._output

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("clinic_fb_webhook", __name__)
        limits = RateLimits()

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.enabled else "disabled"})

        @bp.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            if not self.enabled:
                return response.json({"error": "channel disabled"}, status=404)
            given = request.args.get("hub.verify_token") or ""
            if request.args.get("hub.mode") == "subscribe" and hmac.compare_digest(
                given.encode(), self.fb_verify.encode()
            ):
                return response.text(request.args.get("hub.challenge") or "")
            logger.warning("messenger webhook verification refused: wrong verify token")
            return response.text("forbidden", status=403)

        @bp.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.enabled:
                return response.json({"error": "channel disabled"}, status=404)
            if not signature_ok(
                self.fb_secret,
                request.body or b"",
                request.headers.get("X-Hub-Signature-256") or "",
            ):
                logger.warning("messenger request refused: bad or missing X-Hub-Signature-256")
                return response.text("forbidden", status=403)
            try:
                payload = json.loads(request.body or b"null")
            except ValueError:
                payload = None
            if not isinstance(payload, dict) or payload.get("object") != "page":
                return response.text("ignored", status=200)
            out = self.get_output_channel()
            for entry in payload.get("entry") or []:
                for event in (entry or {}).get("messaging") or []:
                    await self._handle(event, out, on_new_message, limits)
            return response.text("EVENT_RECEIVED")

        return bp

    async def _handle(
        self,
        event: dict[str, Any],
        out: ClinicMessengerOutput,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        limits: RateLimits,
    ) -> None:
        sender = str(((event or {}).get("sender") or {}).get("id") or "")
        if not sender:
            return
        message = event.get("message") if isinstance(event.get("message"), dict) else None
        postback = event.get("postback") if isinstance(event.get("postback"), dict) else None
        if message is not None:
            if message.get("is_echo"):
                return
            quick = message.get("quick_reply") or {}
            if isinstance(quick.get("payload"), str) and quick["payload"]:
                text = quick["payload"]
            elif isinstance(message.get("text"), str):
                text = out.options.resolve(sender, message["text"])
            else:
                await out.send_text_message(sender, TEXT_ONLY)
                return
        elif postback is not None and isinstance(postback.get("payload"), str):
            text = postback["payload"]
        else:
            return  # delivery, read, reaction, ...
        if not limits.sender.allow(sender):
            logger.warning("messenger message dropped: rate limit")
            return
        await out.send_action(sender, "typing_on")
        try:
            await answer_or_apologise(
                on_new_message, UserMessage(cap(text), out, sender, input_channel=self.name())
            )
        finally:
            await out.send_action(sender, "typing_off")
