"""The website widget's channel: Rasa's socket.io channel, hardened.

What Rasa 3.6's SocketIOInput does that this subclass fixes:

* `sio.enter_room(...)` is not awaited. From python-socketio 5.10 on it is a
  coroutine, so with session persistence the client never joins its room and
  replies never arrive. requirements.txt pins python-socketio 5.9.0; this
  class awaits the call when it is a coroutine, so it works with both.
* any origin may connect (`cors_allowed_origins=[]` switches the check off):
  here only the clinic's site origins (CLINIC_SITE_ORIGINS, or
  `cors_allowed_origins` in credentials.yml); none configured means the
  server's own origin only.
* a message names its own session (`data["session_id"]`), so any client can
  write into any conversation: here the session is the one the server
  confirmed for that socket, and a session id must be 32 hex characters
  (a client cannot pick "default" or another short guessable id).
* no size cap, no rate limit, no answer when a turn fails: here the text is
  capped before it reaches the tracker or the NLU, each conversation and each
  address is rate-limited, and a failed turn gets an apology.

It adds a "bot_typing" event around each turn (the widget's typing
indicator) and a "history" event after `session_request`: the current
session's messages from the tracker store, so a reloaded page shows the
conversation while the browser keeps only the session id.

A line a person from the clinic wrote in a live hand-over (the staff
console's `bot` event with `metadata.staff`, issue 14) reaches the widget
with `"staff": "<first name>"`, live and in the history, so the widget can
show who is writing above the bubble.
"""

from __future__ import annotations

import inspect
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from rasa.shared.core.events import BotUttered, SessionStarted, UserUttered
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from channels.common import SLOW_DOWN, RateLimits, answer_or_apologise, cap, client_ip, env_list

logger = logging.getLogger(__name__)

SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_HISTORY = 200
MAX_SOCKET_PAYLOAD = 64 * 1024  # bytes of one socket.io packet (engine.io's default is 1 MB)


def _library_logger(name: str) -> logging.Logger:
    library = logging.getLogger(name)
    library.setLevel(logging.WARNING)
    return library


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


class _Blueprint(SocketBlueprint):
    """Remembers the app, to read the tracker store for the history."""

    def register(self, app: Sanic, options: dict[str, Any]) -> None:
        self.ctx.app = app
        super().register(app, options)


#: the bot event's metadata key that names the person who wrote it (staff_console.rasa_api)
STAFF_KEY = "staff"


def staff_name(metadata: Any) -> str | None:
    """The first name of the person who wrote a line, if one did (plain text, capped)."""
    name = metadata.get(STAFF_KEY) if isinstance(metadata, dict) else None
    if not isinstance(name, str):
        return None
    return name.strip()[:40] or None


class ClinicSocketIOOutput(SocketIOOutput):
    """Rasa's socket.io output, plus the name of the person from the clinic who
    wrote a line (Rasa hands a bot event's metadata to the output channel as
    keyword arguments; Rasa's class drops them)."""

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        name = staff_name(kwargs)
        for part in text.strip().split("\n\n"):
            await self._send_message(
                recipient_id, {"text": part, **({STAFF_KEY: name} if name else {})}
            )

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        name = staff_name(kwargs)
        if not name:
            await super().send_text_with_buttons(recipient_id, text, buttons, **kwargs)
            return
        parts = text.strip().split("\n\n") or [text]
        for index, part in enumerate(parts):
            message: dict[str, Any] = {"text": part, STAFF_KEY: name}
            if index == len(parts) - 1:
                message["quick_replies"] = [
                    {"content_type": "text", "title": b["title"], "payload": b["payload"]}
                    for b in buttons
                ]
            await self._send_message(recipient_id, message)


def history_messages(tracker: Any) -> list[dict[str, Any]]:
    """What the client read in the current session, oldest first.

    A button press is stored as its payload ("/affirm"): the client sees the
    button's title instead, as when they pressed it. Buttons are offered
    again only on the last message, when nothing came after it.
    """
    events = list(tracker.events) if tracker is not None else []
    start = 0
    for index, event in enumerate(events):
        if isinstance(event, SessionStarted):
            start = index
    messages: list[dict[str, Any]] = []
    last_buttons: list[dict[str, Any]] = []
    for event in events[start:]:
        if isinstance(event, UserUttered):
            text = event.text or ""
            if text.startswith("/"):
                titles = [b.get("title") for b in last_buttons if b.get("payload") == text]
                text = titles[0] if titles and titles[0] else ""
            if text:
                messages.append({"sender": "user", "text": text})
            last_buttons = []
        elif isinstance(event, BotUttered):
            buttons = (event.data or {}).get("buttons") or []
            name = staff_name(event.metadata)
            for part in (event.text or "").strip().split("\n\n"):
                if part:
                    messages.append(
                        {"sender": "bot", "text": part, **({STAFF_KEY: name} if name else {})}
                    )
            if buttons and messages and messages[-1]["sender"] == "bot":
                messages[-1]["quick_replies"] = [
                    {"title": b.get("title", ""), "payload": b.get("payload", "")} for b in buttons
                ]
            last_buttons = buttons or last_buttons
    for message in messages[:-1]:
        message.pop("quick_replies", None)
    return messages[-MAX_HISTORY:]


class ClinicSocketIOInput(SocketIOInput):
    @classmethod
    def name(cls) -> str:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> ClinicSocketIOInput:
        credentials = credentials or {}
        channel = cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            credentials.get("namespace"),
            credentials.get("session_persistence", True),
            credentials.get("socketio_path", "/socket.io"),
            credentials.get("jwt_key"),
            credentials.get("jwt_method", "HS256"),
            credentials.get("metadata_key", "metadata"),
        )
        channel.origins = env_list("CLINIC_SITE_ORIGINS", credentials, "cors_allowed_origins")
        return channel

    origins: list[str] = []

    def _server(self) -> AsyncServer:
        return AsyncServer(
            async_mode="sanic",
            # None: the server's own origin only (engine.io's default check).
            cors_allowed_origins=self.origins or None,
            max_http_buffer_size=MAX_SOCKET_PAYLOAD,
            # long-polling only: engine.io's Sanic driver cannot upgrade to a
            # websocket on Sanic 21.12 (Rasa's pin); every upgrade attempt
            # would fail with a server error. Polling is ample for a chat.
            transports=["polling"],
            allow_upgrades=False,
            # their own loggers at WARNING, through the project's handlers: by
            # default each adds a plain handler of its own, and at INFO
            # engine.io logs the data of every packet (the client's words)
            logger=_library_logger("socketio.server"),
            engineio_logger=_library_logger("engineio.server"),
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sio = self._server()
        self.sio = sio
        bp = _Blueprint(sio, self.socketio_path, "clinic_socketio_webhook", __name__)
        limits = RateLimits()
        namespace = self.namespace

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=namespace)
        async def connect(
            sid: str, environ: dict[str, Any], auth: dict[str, Any] | None = None
        ) -> bool:
            ip = client_ip(environ.get("sanic.request"))
            if not limits.ip.allow(ip):
                logger.warning("socket.io connection refused: rate limit")
                return False
            if self.jwt_key:
                import rasa.core.channels.channel as channel_module

                token = auth.get("token") if isinstance(auth, dict) else None
                if not token or not channel_module.decode_bearer_token(
                    token, self.jwt_key, self.jwt_algorithm
                ):
                    return False
            await sio.save_session(sid, {"ip": ip}, namespace=namespace)
            return True

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: str, data: Any = None) -> None:
            asked = data.get("session_id") if isinstance(data, dict) else None
            session_id = (
                asked if isinstance(asked, str) and SESSION_ID.match(asked) else uuid.uuid4().hex
            )
            session = await sio.get_session(sid, namespace=namespace)
            old = session.get("session_id")
            if old and old != session_id:
                await _maybe_await(sio.leave_room(sid, old, namespace=namespace))
            session["session_id"] = session_id
            await sio.save_session(sid, session, namespace=namespace)
            if self.session_persistence:
                # a coroutine from python-socketio 5.10 on: Rasa 3.6 forgets the await
                await _maybe_await(sio.enter_room(sid, session_id, namespace=namespace))
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)
            if session_id == asked:
                await sio.emit(
                    "history", await self._history(bp, session_id), room=sid, namespace=namespace
                )

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: str, data: Any = None) -> None:
            if not isinstance(data, dict):
                return
            session = await sio.get_session(sid, namespace=namespace)
            if self.session_persistence:
                sender = session.get("session_id")
                if not sender:
                    logger.warning("socket.io message before session_request: ignored")
                    return
            else:
                sender = sid
            output = ClinicSocketIOOutput(sio, self.bot_message_evt)
            if not limits.ip.allow(session.get("ip", "unknown")) or not limits.sender.allow(sender):
                logger.warning("socket.io message refused: rate limit")
                await output.send_text_message(sender, SLOW_DOWN)
                return
            message = UserMessage(  # metadata capped by answer_or_apologise
                cap(data.get("message", "")),
                output,
                sender,
                input_channel=self.name(),
                metadata=data.get(self.metadata_key),
            )
            await sio.emit("bot_typing", {"typing": True}, room=sender, namespace=namespace)
            try:
                await answer_or_apologise(on_new_message, message)
            finally:
                await sio.emit("bot_typing", {"typing": False}, room=sender, namespace=namespace)

        return bp

    def get_output_channel(self) -> ClinicSocketIOOutput | None:
        """What Rasa's HTTP API sends the staff console's lines through
        (output_channel=latest): the same output as a turn's, with the names."""
        if getattr(self, "sio", None) is None:
            return super().get_output_channel()  # Rasa's warning: no server in this process
        return ClinicSocketIOOutput(self.sio, self.bot_message_evt)

    async def _history(self, bp: _Blueprint, session_id: str) -> list[dict[str, Any]]:
        app = getattr(bp.ctx, "app", None)
        agent = getattr(getattr(app, "ctx", None), "agent", None)
        store = getattr(agent, "tracker_store", None)
        if store is None:
            return []
        try:
            tracker = await _maybe_await(store.retrieve(session_id))
        except Exception as error:  # noqa: BLE001 - no history is better than no chat
            logger.error("could not read the history: %s", type(error).__name__)
            return []
        return history_messages(tracker)
