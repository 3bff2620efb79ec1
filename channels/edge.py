"""The assistant's edge, registered like a channel in credentials.yml so that
Rasa's own server carries it (no second process, no second port):

* /widget/...  the website widget's files (widget/ of the project, nothing
               else: a fixed list read at start-up; no directory listing)
* /healthz     liveness: the process answers
* /readyz      readiness: the model is loaded and the action server answers
               (503 otherwise), for a load balancer or an orchestrator
* JSON logs    one JSON object per line (CLINIC_LOG_FORMAT=json, the
               default; 'text' keeps Rasa's format), with no message text:
               the access log names the route pattern, not the path, so no
               sender id or token from a URL reaches the log; in either
               format Rasa's warnings and events do not repeat a client's
               words (clinic_core/logs.py, install_log_privacy)
* headers      nosniff, a referrer policy, and a strict CSP on the widget's
               own demo page
* the action server's shared token (CLINIC_ACTION_TOKEN; clinic_core/action_token.py)
* a request size limit: Sanic's default is 100 MB; here MAX_REQUEST_BYTES
  (256 kB) unless SANIC_REQUEST_MAX_SIZE says otherwise, so a 1 MB body gets
  413 before any channel reads it
"""

from __future__ import annotations

import json
import logging
import mimetypes
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic_cors.core import SANIC_CORS_EVALUATED

from clinic_core import action_token
from clinic_core.logs import configure_json_logging, install_log_privacy

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("clinic.access")

WIDGET_DIR = Path(
    os.environ.get("CLINIC_WIDGET_DIR") or Path(__file__).resolve().parents[1] / "widget"
)
SERVED_SUFFIXES = {".js", ".css", ".html", ".svg", ".png", ".txt", ".json"}
#: the largest request body Rasa's server accepts, unless SANIC_REQUEST_MAX_SIZE
#: is set: every channel's payload is far smaller (a message is cut at 4,000
#: characters, metadata at 2,000, a socket.io packet at 64 kB)
MAX_REQUEST_BYTES = 256 * 1024
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def widget_files(folder: Path = WIDGET_DIR) -> dict[str, Path]:
    """Relative path -> file, for the files the widget may serve."""
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix in SERVED_SUFFIXES
        and not any(part.startswith(".") for part in p.parts)
    }


def demo_config_from_profile() -> dict[str, Any]:
    """The demo page's widget settings, from the clinic's profile (read on
    each request, like the assistant's answers: an edit shows at once)."""
    path = Path(
        os.environ.get("CLINIC_PROFILE")
        or Path(__file__).resolve().parents[1] / "clinic" / "profile.yml"
    )
    try:
        profile = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        profile = {}
    name = str(profile.get("name") or "the clinic")
    days = (profile.get("retention") or {}).get("conversation_days")
    kept = f"deleted after {days} days" if days else "deleted after the clinic's retention period"
    config: dict[str, Any] = {
        "clinicName": name,
        "title": str(profile.get("assistant_name") or f"{name} assistant"),
        "privacyNotice": (
            f"This is {name}'s automated assistant, not a clinician. Share only what's needed: "
            f"{name} stores this conversation to answer you, and it is {kept}."
        ),
    }
    return config


class _EdgeBlueprint(Blueprint):
    """Mounted at the root (not under /webhooks/edge), with app-wide
    middleware for the access log and the security headers."""

    def register(self, app: Sanic, options: dict[str, Any]) -> None:
        super().register(app, {**options, "url_prefix": None})
        if getattr(app.ctx, "clinic_edge_middleware", False):
            return
        app.ctx.clinic_edge_middleware = True
        limit_request_size(app)

        async def started(request: Request) -> None:
            request.ctx.clinic_started = time.monotonic()
            if request.path.startswith("/socket.io"):
                # engine.io answers CORS for socket.io from CLINIC_SITE_ORIGINS; Rasa's
                # --cors (Sanic-CORS) would add a second Access-Control-Allow-Origin
                setattr(request.ctx, SANIC_CORS_EVALUATED, True)
            action_token.attach(request.app)  # cheap; also covers a model reloaded through the API

        async def attach_token(app_: Sanic, _loop: Any) -> None:
            action_token.attach(app_)

        async def finished(request: Request, resp: HTTPResponse) -> None:
            if resp is None:
                return
            resp.headers.setdefault("X-Content-Type-Options", "nosniff")
            resp.headers.setdefault("Referrer-Policy", "no-referrer")
            started_at = getattr(request.ctx, "clinic_started", None)
            route = getattr(getattr(request, "route", None), "path", None)
            access_logger.info(
                "http",
                extra={
                    "fields": {
                        "method": request.method,
                        "route": "/" + route.lstrip("/") if route is not None else "(unrouted)",
                        "status": resp.status,
                        "ms": round((time.monotonic() - started_at) * 1000, 1)
                        if started_at
                        else None,
                    }
                },
            )

        app.register_listener(attach_token, "after_server_start")
        app.register_middleware(started, "request")
        app.register_middleware(finished, "response")


def limit_request_size(app: Sanic) -> None:
    """Sanic reads the limit for each new connection from the app's config;
    SANIC_REQUEST_MAX_SIZE (which Sanic loads itself) wins over ours."""
    if "SANIC_REQUEST_MAX_SIZE" not in os.environ:
        app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES


class ClinicEdge(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "edge"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> ClinicEdge:
        return cls()

    def __init__(self) -> None:
        if (os.environ.get("CLINIC_LOG_FORMAT") or "json").lower() == "json":
            configure_json_logging()
        install_log_privacy()  # in either format: no library repeats a client's words
        self._ready_cache: tuple[float, bool, str] = (0.0, False, "not checked")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = _EdgeBlueprint("clinic_edge", __name__)
        files = widget_files()

        @bp.route("/healthz", methods=["GET"])
        async def healthz(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/readyz", methods=["GET"])
        async def readyz(request: Request) -> HTTPResponse:
            ready, reason = await self._ready(request.app)
            return response.json({"ready": ready, "reason": reason}, status=200 if ready else 503)

        @bp.route("/widget", methods=["GET"])
        async def widget_root(_: Request) -> HTTPResponse:
            return response.redirect("/widget/")

        @bp.route("/widget/config.js", methods=["GET"])
        async def demo_config(_: Request) -> HTTPResponse:
            body = (
                "window.ClinicChatConfig = Object.assign("
                f"{json.dumps(demo_config_from_profile(), ensure_ascii=False)}"
                ", window.ClinicChatConfig || {});\n"
            )
            return response.text(
                body,
                content_type="text/javascript; charset=utf-8",
                headers={"Cache-Control": "no-cache"},
            )

        @bp.route("/widget/<name:path>", methods=["GET"])
        async def widget(_: Request, name: str = "") -> HTTPResponse:
            path = files.get(name or "index.html")
            if path is None:
                return response.json({"error": "not found"}, status=404)
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            if content_type.startswith("text/") or content_type.endswith("javascript"):
                content_type += "; charset=utf-8"
            headers = {"Cache-Control": "no-cache"}
            if path.suffix == ".html":
                headers["Content-Security-Policy"] = PAGE_CSP
            else:
                headers["Cross-Origin-Resource-Policy"] = (
                    "cross-origin"  # the clinic's site loads these
                )
            return response.raw(path.read_bytes(), content_type=content_type, headers=headers)

        return bp

    async def _ready(self, app: Sanic) -> tuple[bool, str]:
        checked_at, ready, reason = self._ready_cache
        if time.monotonic() - checked_at < 5:
            return ready, reason
        ready, reason = await self._check(app)
        self._ready_cache = (time.monotonic(), ready, reason)
        return ready, reason

    @staticmethod
    async def _check(app: Sanic) -> tuple[bool, str]:
        agent = getattr(app.ctx, "agent", None)
        if agent is None or not agent.is_ready():
            return False, "model not loaded"
        endpoint = getattr(agent, "action_endpoint", None)
        if endpoint is None or not getattr(endpoint, "url", None):
            return True, "ok"
        url = endpoint.url.rsplit("/webhook", 1)[0] + "/health"
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
                async with session.get(url) as resp:
                    if resp.status == 200:
                        return True, "ok"
                    return False, f"action server answered {resp.status}"
        except Exception as error:  # noqa: BLE001 - any failure means not ready
            return False, f"action server unreachable ({type(error).__name__})"
