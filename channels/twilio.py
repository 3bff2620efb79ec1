"""WhatsApp (and SMS) through Twilio, hardened. Enabled when
TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_NUMBER are set (or
`account_sid`, `auth_token`, `twilio_number` in credentials.yml).

Rasa 3.6's TwilioInput never checks X-Twilio-Signature: anyone who finds
the URL can make the clinic send paid messages to any number. Here every
request must carry a valid signature (twilio's RequestValidator over the
public URL Twilio called and the form fields), else 403. It also
* sends with twilio's async HTTP client (Rasa's blocks the event loop and
  retries a failed send up to five times, each a paid message);
* joins a reply's paragraphs into one message (each message is billed);
* shows buttons as numbered options ("1. Yes") and maps a reply "1" (or the
  option's title) back to the button's payload: WhatsApp through Twilio has
  no free-form buttons;
* caps the text and rate-limits each sender (over the limit: no reply, so
  a flood costs nothing).

Settings (credentials.yml key / environment variable):
  account_sid    / TWILIO_ACCOUNT_SID
  auth_token     / TWILIO_AUTH_TOKEN      also the key of the signature
  twilio_number  / TWILIO_NUMBER          "whatsapp:+14155238886" for WhatsApp
  webhook_url    / TWILIO_WEBHOOK_URL     the exact public URL set in Twilio's console,
                                          https://PUBLIC/webhooks/twilio/webhook (behind a
                                          proxy the server cannot see it; default: request URL)
  api_url        / TWILIO_API_URL         default https://api.twilio.com (tests: a local fake)
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.twilio import TwilioInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

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
# twilio's HTTP client logs each request's form (phone numbers, message text) at INFO
_quiet = logging.getLogger("clinic.twilio.http")
_quiet.setLevel(logging.WARNING)

DEFAULT_API_URL = "https://api.twilio.com"
MAX_BODY_CHARS = 1600
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def chunks(text: str, limit: int = MAX_BODY_CHARS) -> list[str]:
    """Message bodies of at most `limit` characters, cut between paragraphs
    or lines where possible."""
    text = text.strip()
    out: list[str] = []
    while len(text) > limit:
        cut = max(
            text.rfind("\n\n", 0, limit), text.rfind("\n", 0, limit), text.rfind(" ", 0, limit)
        )
        cut = cut if cut > limit // 2 else limit
        out.append(text[:cut].strip())
        text = text[cut:].strip()
    if text:
        out.append(text)
    return out


class ClinicTwilioOutput(OutputChannel):
    @classmethod
    def name(cls) -> str:
        return "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        twilio_number: str,
        api_url: str = DEFAULT_API_URL,
        options: OptionMemory | None = None,
    ) -> None:
        self.client = Client(
            account_sid,
            auth_token,
            http_client=AsyncTwilioHttpClient(timeout=15, logger=_quiet, max_retries=1),
        )
        self.client.api.base_url = api_url.rstrip("/")
        self.twilio_number = twilio_number
        self.options = options or OptionMemory()

    async def _send(self, recipient_id: str, body: str) -> None:
        for part in chunks(markdown_to_plain(body, bold="*")):
            try:
                await self.client.messages.create_async(
                    to=recipient_id, from_=self.twilio_number, body=part
                )
            except Exception as error:  # noqa: BLE001 - never retried: each try is a paid message
                logger.error("twilio send failed: %s", type(error).__name__)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send(recipient_id, text)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        self.options.remember(recipient_id, buttons)
        await self._send(recipient_id, f"{text.strip()}\n\n{numbered_options(buttons)}")

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        try:
            await self.client.messages.create_async(
                to=recipient_id, from_=self.twilio_number, media_url=[image]
            )
        except Exception as error:  # noqa: BLE001
            logger.error("twilio send failed: %s", type(error).__name__)

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        if isinstance(json_message.get("text"), str):
            await self._send(recipient_id, json_message["text"])


class ClinicTwilioInput(TwilioInput):
    @classmethod
    def name(cls) -> str:
        return "twilio"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        return cls(
            env("TWILIO_ACCOUNT_SID", credentials, "account_sid"),
            env("TWILIO_AUTH_TOKEN", credentials, "auth_token"),
            env("TWILIO_NUMBER", credentials, "twilio_number"),
            webhook_url=env("TWILIO_WEBHOOK_URL", credentials, "webhook_url"),
            api_url=env("TWILIO_API_URL", credentials, "api_url", DEFAULT_API_URL),
        )

    def __init__(
        self,
        account_sid: str | None,
        auth_token: str | None,
        twilio_number: str | None,
        debug_mode: bool = False,
        webhook_url: str | None = None,
        api_url: str = DEFAULT_API_URL,
    ) -> None:
        super().__init__(account_sid, auth_token, twilio_number, debug_mode=debug_mode)
        self.webhook_url = webhook_url
        self.api_url = api_url
        self.options = OptionMemory()
        self._output: ClinicTwilioOutput | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.account_sid and self.auth_token and self.twilio_number)

    def get_output_channel(self) -> OutputChannel | None:
        if not self.enabled:
            return None
        if self._output is None:
            self._output = ClinicTwilioOutput(
                self.account_sid, self.auth_token, self.twilio_number, self.api_url, self.options
            )
        return self._output

    def signature_ok(self, request: Request) -> bool:
        signature = request.headers.get("X-Twilio-Signature") or ""
        if not signature:
            return False
        params = {key: request.form.get(key) for key in request.form.keys()}
        url = self.webhook_url or request.url
        return RequestValidator(self.auth_token).validate(url, params, signature)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("clinic_twilio_webhook", __name__)
        limits = RateLimits()

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.enabled else "disabled"})

        @bp.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.enabled:
                return response.json({"error": "channel disabled"}, status=404)
            if not self.signature_ok(request):
                logger.warning("twilio request refused: bad or missing X-Twilio-Signature")
                return response.text("forbidden", status=403)
            if request.form.get("AccountSid") not in (None, self.account_sid):
                return response.text("forbidden", status=403)
            sender = request.form.get("From")
            if not sender:
                return response.text(EMPTY_TWIML, content_type="text/xml")
            text = request.form.get("Body") or ""
            if not text and request.form.get("Latitude") and request.form.get("Longitude"):
                text = ""  # a shared location: not something the assistant uses (and personal data)
            if not limits.sender.allow(sender):
                logger.warning("twilio message dropped: rate limit")
                return response.text(EMPTY_TWIML, content_type="text/xml")
            text = self.options.resolve(sender, cap(text.replace("¡", "@")))
            out = self.get_output_channel()
            await answer_or_apologise(
                on_new_message, UserMessage(text, out, sender, input_channel=self.name())
            )
            return response.text(EMPTY_TWIML, content_type="text/xml")

        return bp
