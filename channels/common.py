"""What every public channel shares: the message cap, the apology, rate limits, the
client's address, configuration from the environment, and turning buttons
and markdown into what a channel without them can show.

Nothing here logs message text, sender ids, phone numbers or addresses.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from rasa.core.channels.channel import UserMessage

from rasa_ext.handover import turn_was_paused

logger = logging.getLogger(__name__)

__all__ = [
    "MAX_MESSAGE_CHARS",
    "MAX_METADATA_CHARS",
    "RateLimiter",
    "RateLimits",
    "cap",
    "capped_metadata",
    "env",
    "env_list",
    "client_ip",
    "OptionMemory",
    "numbered_options",
    "markdown_to_plain",
    "contact_links_as_text",
    "SLOW_DOWN",
    "answer_or_apologise",
    "APOLOGY",
]

#: the longest message any channel passes on (the NLU cuts further, to 600)
MAX_MESSAGE_CHARS = 4000
#: What every channel sends when a turn failed or said nothing. It always
#: carries the emergency numbers: a turn can fail after a red flag was
#: recognised (a form's validation needs the action server: a "yes" to the
#: pre-screen's red-flag question cannot be read while it is down) or before
#: anything was recognised (the tracker store away), and the apology must
#: not depend on knowing which.
APOLOGY = (
    "Sorry, something went wrong on our side and I couldn't answer that. "
    "Please try again in a moment, or call the clinic. "
    "If you need urgent medical help, call 112 (EU), 999 (UK) or 911 (US) now."
)
SLOW_DOWN = (
    "You're sending messages faster than I can answer. Please wait a few seconds and try again."
)
#: metadata a client may attach to a message, as JSON characters. Rasa stores
#: it with the message, with the session start and in a slot: 1 MB sent once
#: became 4 MB in the tracker store and slowed every later turn of that sender.
MAX_METADATA_CHARS = 2000


def cap(text: Any) -> str:
    """The message as the NLU may see it: a string of at most MAX_MESSAGE_CHARS."""
    if not isinstance(text, str):
        return ""
    return text[:MAX_MESSAGE_CHARS]


def capped_metadata(value: Any) -> dict[str, Any]:
    """A message's metadata as the tracker may store it: a JSON object (or its
    text) of at most MAX_METADATA_CHARS characters, else nothing at all (a
    cut object would be invalid, and nothing here needs big metadata)."""
    if isinstance(value, str):
        if len(value) > MAX_METADATA_CHARS:
            return _dropped()
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    if not value:
        return {}
    if not isinstance(value, dict):
        return {}
    try:
        size = len(json.dumps(value, default=str))
    except (TypeError, ValueError):
        return {}
    return value if size <= MAX_METADATA_CHARS else _dropped()


def _dropped() -> dict[str, Any]:
    logger.warning("message metadata over %d characters dropped", MAX_METADATA_CHARS)
    return {}


def env(
    name: str,
    credentials: dict[str, Any] | None = None,
    key: str | None = None,
    default: str | None = None,
) -> str | None:
    """credentials.yml's value when given, else the environment variable."""
    if credentials and key and credentials.get(key) not in (None, ""):
        return str(credentials[key])
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_list(
    name: str, credentials: dict[str, Any] | None = None, key: str | None = None
) -> list[str]:
    if credentials and key and credentials.get(key):
        value = credentials[key]
        items = value if isinstance(value, list) else str(value).split(",")
    else:
        items = os.environ.get(name, "").split(",")
    return [str(i).strip().rstrip("/") for i in items if str(i).strip()]


class RateLimiter:
    """A token bucket per key: `burst` requests at once, then `per_second`.

    Bounded: at most `max_keys` keys are remembered (least recently used go
    first), so a flood of new keys cannot exhaust memory.
    """

    def __init__(self, burst: float, per_second: float, max_keys: int = 50_000) -> None:
        self.burst, self.rate, self.max_keys = float(burst), float(per_second), max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_spec(cls, spec: str) -> RateLimiter:
        """'BURST/SECONDS': e.g. '30/60' is 30 at once, refilled over 60 seconds."""
        burst, _, seconds = spec.partition("/")
        b, s = float(burst), float(seconds or 60)
        return cls(b, b / s)

    def allow(self, key: str) -> bool:
        if self.burst <= 0:
            return True
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            allowed = tokens >= 1
            if allowed:
                tokens -= 1
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return allowed


class RateLimits:
    """The two limits of a channel, from the environment:

    CLINIC_RATE_LIMIT_SENDER  per conversation (default '30/60': 30 messages at
                              once, then one every 2 seconds)
    CLINIC_RATE_LIMIT_IP      per client address, for channels clients reach
                              directly (widget, REST) (default '600/60')
    '0' switches a limit off.
    """

    def __init__(self) -> None:
        self.sender = RateLimiter.from_spec(os.environ.get("CLINIC_RATE_LIMIT_SENDER", "30/60"))
        self.ip = RateLimiter.from_spec(os.environ.get("CLINIC_RATE_LIMIT_IP", "600/60"))


def client_ip(request: Any) -> str:
    """The client's address as Sanic sees it. Behind a reverse proxy set
    SANIC_PROXIES_COUNT=1 (or SANIC_REAL_IP_HEADER / SANIC_FORWARDED_SECRET)
    so that Sanic takes it from X-Forwarded-For; never trusted otherwise."""
    try:
        return request.remote_addr or request.ip or "unknown"
    except Exception:  # noqa: BLE001 - a malformed forwarded header
        return "unknown"


class OptionMemory:
    """The last buttons offered to each conversation, so that a channel with
    no buttons can show numbered options and map '2' back to the payload.

    In memory, bounded, per process: after a restart a bare number is just
    text again (the assistant asks again); payloads hold no personal data.
    """

    def __init__(self, max_keys: int = 20_000) -> None:
        self.max_keys = max_keys
        self._options: OrderedDict[str, list[tuple[str, str]]] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, sender: str, buttons: Sequence[dict[str, Any]]) -> None:
        options = [
            (str(b.get("title") or ""), str(b.get("payload") or b.get("title") or ""))
            for b in buttons
        ]
        with self._lock:
            self._options.pop(sender, None)
            self._options[sender] = options
            while len(self._options) > self.max_keys:
                self._options.popitem(last=False)

    def resolve(self, sender: str, text: str) -> str:
        """'2', '2.', 'option 2' or an option's exact title -> its payload."""
        with self._lock:
            options = self._options.get(sender)
        if not options:
            return text
        said = text.strip().lower().rstrip(".)")
        match = re.fullmatch(r"(?:option\s*)?(\d{1,2})", said)
        if match and 1 <= int(match.group(1)) <= len(options):
            return options[int(match.group(1)) - 1][1]
        for title, payload in options:
            if title and said == title.strip().lower():
                return payload
        return text

    def forget(self, sender: str) -> None:
        with self._lock:
            self._options.pop(sender, None)


def numbered_options(buttons: Sequence[dict[str, Any]]) -> str:
    lines = [f"{i}. {b.get('title', '')}" for i, b in enumerate(buttons, 1)]
    return "\n".join(lines) + "\n(Reply with a number.)"


_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+|mailto:[^)\s]+|tel:[^)\s]+)\)")


def _link_as_text(m: re.Match[str]) -> str:
    """A link as plain text: 'text (url)', or only the text when it already
    is the address: messaging apps make a shown phone number or e-mail
    address tappable themselves ("+44 20 7946 0321", not "... (tel:+44...)")."""
    shown, address = m.group(1), m.group(2)
    same = shown == address
    if address.startswith("mailto:"):
        same = same or shown.strip().lower() == address[len("mailto:") :].lower()
    elif address.startswith("tel:"):
        digits = re.sub(r"\D", "", shown).lstrip("0")
        same = same or (len(digits) >= 6 and digits in re.sub(r"\D", "", address))
    return shown if same else f"{shown} ({address})"


def contact_links_as_text(text: str) -> str:
    """tel: and mailto: links as plain text (Telegram's HTML takes http(s)
    links only), the way the plain-text channels show them."""
    return _LINK.sub(
        lambda m: m.group(0) if m.group(2).startswith("http") else _link_as_text(m), text
    )


def markdown_to_plain(text: str, bold: str = "") -> str:
    """The assistant's light markdown for channels that show plain text:
    links become 'text (url)' (a phone number or e-mail address shown as
    itself, see _link_as_text), ** becomes `bold` (WhatsApp uses '*')."""
    text = _LINK.sub(_link_as_text, text)
    text = re.sub(r"\*\*(.+?)\*\*", lambda m: f"{bold}{m.group(1)}{bold}", text)
    text = re.sub(r"__(.+?)__", lambda m: f"{bold}{m.group(1)}{bold}", text)
    return text


async def answer_or_apologise(
    on_new_message: Callable[[UserMessage], Awaitable[Any]], message: UserMessage
) -> bool:
    """Runs one turn; the client gets the apology when it failed or said nothing.

    The one door of every channel into Rasa: the message's metadata is capped
    here (capped_metadata), whatever the channel took it from.

    Every turn of this assistant answers something. A turn that raises (the
    tracker store away) or that sends nothing (a custom action failed, e.g.
    the action server is down, which Rasa only logs) would otherwise leave
    the client waiting. Returns False when the apology was sent. Logs the
    error's type only, never the message.
    """
    output, sender, channel = message.output_channel, message.sender_id, message.input_channel
    message.metadata = capped_metadata(message.metadata)  # every channel passes here
    replies = {"count": 0}
    send_response = output.send_response

    async def counted(recipient_id: str, reply: dict[str, Any]) -> None:
        replies["count"] += 1
        await send_response(recipient_id, reply)

    output.send_response = counted
    try:
        await on_new_message(message)
        if replies["count"]:
            return True
        if turn_was_paused(output):  # a person from the clinic has this conversation (issue 14)
            return True
        logger.error("turn produced no reply for a %s message", channel)
    except Exception as error:  # noqa: BLE001 - the client gets an apology, not silence
        logger.error("turn failed for a %s message: %s", channel, type(error).__name__)
    finally:
        output.send_response = send_response
    try:
        await output.send_text_message(sender, APOLOGY)
    except Exception as error:  # noqa: BLE001 - the channel itself is unreachable
        logger.error("apology not delivered on %s: %s", channel, type(error).__name__)
    return False
