"""The console's only way into the assistant: Rasa's HTTP API.

* ``transcript``: GET /conversations/{id}/tracker, reduced to who said what
  (client, assistant, staff) for the inbox. Read from the tracker on each
  poll; nothing is copied into the console's database.
* ``take_over`` / ``say`` / ``hand_back``: POST /conversations/{id}/tracker/events
  with ``output_channel=latest`` and ``execute_side_effects=true``: Rasa
  appends the events and sends each ``bot`` event to the client over the
  channel of their latest message (socket.io, Telegram, WhatsApp,
  Messenger: each channel's ``get_output_channel()``). ``pause`` stops the
  assistant answering (Rasa's processor skips a paused tracker;
  rasa_ext/handover.py keeps the emergency message and drops the apology);
  ``resume`` gives the conversation back.

The API token is the one ``make run`` prints (``RASA_API_TOKEN``). A Rasa
server that is down gives :class:`RasaUnavailable`, which the console shows
as a message: the rest of the console works without the assistant.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

logger = logging.getLogger(__name__)

STAFF_KEY = "staff"
SAFE_IN_PATH = ":+@!$&'()*,;=-._~"  # metadata of a line a person sent, so the inbox can show who


class RasaUnavailable(RuntimeError):
    """The assistant's HTTP API did not answer as expected (``str()`` is safe to show)."""


class RasaApi:
    def __init__(self, base_url: str, token: str | None, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    def _url(self, sender_id: str, tail: str) -> URL:
        """Sanic 21.12 (Rasa's) does not unquote path parameters: the id goes into
        the path as it is ("whatsapp:+4477..." must stay that, not "%3A%2B");
        only what would break the URL is escaped (no channel's ids have it)."""
        return URL(
            f"{self.base_url}/conversations/{quote(sender_id, safe=SAFE_IN_PATH)}/{tail}",
            encoded=True,
        )

    def _params(self, **extra: str) -> dict[str, str]:
        params = dict(extra)
        if self.token:
            params["token"] = self.token
        return params

    async def tracker(self, sender_id: str) -> dict[str, Any]:
        try:
            async with self._http().get(
                self._url(sender_id, "tracker"), params=self._params(include_events="ALL")
            ) as r:
                if r.status != 200:
                    raise RasaUnavailable(
                        f"The assistant answered {r.status} for the conversation."
                    )
                return await r.json()
        except (aiohttp.ClientError, TimeoutError) as error:
            logger.error("Rasa HTTP API unreachable: %s", type(error).__name__)
            raise RasaUnavailable("The assistant cannot be reached right now.") from None

    async def append(self, sender_id: str, events: list[dict[str, Any]]) -> dict[str, Any]:
        """Appends ``events`` and sends their ``bot`` lines to the client's channel."""
        try:
            async with self._http().post(
                self._url(sender_id, "tracker/events"),
                json=events,
                params=self._params(output_channel="latest", execute_side_effects="true"),
            ) as r:
                if r.status != 200:
                    raise RasaUnavailable(f"The assistant refused the message ({r.status}).")
                return await r.json()
        except (aiohttp.ClientError, TimeoutError) as error:
            logger.error("Rasa HTTP API unreachable: %s", type(error).__name__)
            raise RasaUnavailable(
                "The assistant cannot be reached right now: nothing was sent."
            ) from None

    async def take_over(self, sender_id: str, line: dict[str, Any], staff_name: str) -> None:
        """Pauses the assistant; ``line`` (in the assistant's voice) says who joined."""
        await self.append(sender_id, [{"event": "pause"}, bot_event(line, None)])

    async def say(self, sender_id: str, line: dict[str, Any], staff_name: str) -> None:
        """A line the staff member wrote, labelled with their first name in the chat."""
        await self.append(sender_id, [bot_event(line, staff_name)])

    async def hand_back(self, sender_id: str, line: dict[str, Any], staff_name: str) -> None:
        """Resumes the assistant; ``line`` (in the assistant's voice) says so."""
        await self.append(sender_id, [{"event": "resume"}, bot_event(line, None)])

    async def tell(self, sender_id: str, line: dict[str, Any]) -> None:
        """A line from the clinic (a moved booking, a review) outside a hand-over."""
        await self.append(sender_id, [bot_event(line, None)])


def bot_event(line: dict[str, Any], staff_name: str | None) -> dict[str, Any]:
    """A ``bot`` event: a person's line carries ``metadata.staff`` (their first
    name: the inbox and the widget show it above the message; Rasa passes
    metadata on to the output channel), the clinic's own lines ``clinic``."""
    data: dict[str, Any] = {}
    if line.get("buttons"):
        data["buttons"] = line["buttons"]
    return {
        "event": "bot",
        "text": line["text"],
        "data": data,
        "metadata": {STAFF_KEY: staff_name} if staff_name else {"clinic": True},
    }


def transcript(tracker: dict[str, Any], limit: int = 200) -> dict[str, Any]:
    """Who said what, oldest first, and whether the assistant is paused.

    Button presses show their payload as the client's text ("/affirm"); the
    inbox shows them as "(pressed a button)"."""
    messages: list[dict[str, Any]] = []
    for event in tracker.get("events") or []:
        kind = event.get("event")
        at = dt.datetime.fromtimestamp(
            float(event.get("timestamp") or 0), dt.timezone.utc
        ).isoformat()
        if kind == "user":
            text = event.get("text") or ""
            if text.startswith("/"):
                text = "(pressed a button)"
            messages.append(
                {"from": "client", "text": text, "at": at, "channel": event.get("input_channel")}
            )
        elif kind == "bot":
            meta = event.get("metadata") or {}
            who = "staff" if meta.get(STAFF_KEY) else "assistant"
            messages.append(
                {
                    "from": who,
                    "name": meta.get(STAFF_KEY),
                    "text": event.get("text") or "",
                    "at": at,
                }
            )
    return {
        "paused": bool(tracker.get("paused")),
        "messages": messages[-limit:],
        "channel": (tracker.get("latest_input_channel") or None),
    }
