"""The REST channel, hardened.

Rasa 3.6's RestInput answers a JSON list or a missing sender with a 500,
uses the sender "default" when none is given (mixing strangers' chats),
logs the message text when a turn fails (health data in logs) and then
returns nothing. This subclass validates the payload (400 with a reason),
caps the text before it reaches the tracker or the NLU, rate-limits each
sender and each address (429; see channels/common.py), and answers a
failed turn with an apology instead of silence, without logging the text.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.common import APOLOGY, MAX_MESSAGE_CHARS, RateLimits, answer_or_apologise, client_ip
from clinic_core import clock
from rasa_ext import rasa_patches

logger = logging.getLogger(__name__)
rasa_patches.apply()  # Rasa loads this module from its configuration (see rasa_ext/__init__.py)
# an unreadable CLINIC_NOW stops the Rasa server here, before it serves anybody
clock.refuse_start_if_unreadable("Rasa server")

MAX_SENDER_CHARS = 128


def parse_payload(body: Any) -> tuple[str | None, str | None, str]:
    """(sender, text, problem): problem is empty when the payload is usable."""
    if not isinstance(body, dict):
        return None, None, "the body must be a JSON object"
    sender, text = body.get("sender"), body.get("message")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
        return (
            None,
            None,
            f"'sender' must be a non-empty string of at most {MAX_SENDER_CHARS} characters",
        )
    if text is None:
        text = ""
    if not isinstance(text, str):
        return None, None, "'message' must be a string"
    return sender, text[:MAX_MESSAGE_CHARS], ""


class ClinicRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = Blueprint("clinic_rest_webhook", __name__)
        limits = RateLimits()

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = request.json
            except Exception:  # noqa: BLE001 - any unreadable body
                body = None
            sender, text, problem = parse_payload(body)
            if problem:
                return response.json({"error": problem}, status=400)
            if not limits.ip.allow(client_ip(request)) or not limits.sender.allow(sender):
                logger.warning("REST message refused: rate limit")
                return response.json({"error": "too many messages; wait a few seconds"}, status=429)
            collector = CollectingOutputChannel()
            message = UserMessage(
                text, collector, sender, input_channel=self.name(), metadata=body.get("metadata")
            )  # capped by answer_or_apologise
            if not await answer_or_apologise(on_new_message, message):
                # only the apology: not half a turn's replies before it
                return response.json([{"recipient_id": sender, "text": APOLOGY}])
            return response.json(collector.messages)

        return webhook
