"""The Sanic application: sessions, CSRF, headers, errors, and the routes of
staff_console.pages (people) and staff_console.api (scripts, integrations).

Every route but ``/login``, ``/healthz`` and ``/static/`` needs a session:
a page without one redirects to ``/login``, an ``/api/`` route answers 401.
Every POST needs the session's CSRF token (form field or ``X-CSRF-Token``)
and, when the browser sends an Origin, this console's own origin.

A database that does not answer within the bound (staff_console.service,
clinic_core.db_threads) gives a "database busy" page or JSON error (503),
never a frozen console. The app also runs the sweep that offers a call-back
to clients whose hand-over request nobody took (Console.sweep_handovers).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from sanic import Sanic, response
from sanic.exceptions import NotFound as SanicNotFound
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import OperationalError

from clinic_core.db_threads import DatabaseTimeout
from clinic_core.staff import SignedIn, StaffError

from . import api, pages, security
from .config import Settings
from .rasa_api import RasaUnavailable
from .service import Console, Forbidden, NotFound
from .views import is_api, refuse, templates

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
PUBLIC_PATHS = ("/login", "/healthz", "/favicon.ico")

DATABASE_BUSY = (
    "The clinic database did not answer in time (it may be busy with another program, or "
    "unreachable), so this could not be shown or done. Wait a moment and try again; if you were "
    "changing something, check afterwards whether it was saved."
)


def create_app(
    settings: Settings, console: Console | None = None, name: str = "staff_console"
) -> Sanic:
    app = Sanic(name)
    app.config.FORWARDED_SECRET = None
    app.config.REQUEST_MAX_SIZE = 256 * 1024
    app.ctx.settings = settings
    app.ctx.console = console or Console(settings)
    app.ctx.signer = security.CookieSigner(settings.secret_key)
    app.ctx.throttle = security.LoginThrottle()
    app.ctx.jinja = templates()
    app.static("/static", str(HERE / "static"), name="static")

    @app.middleware("request")
    async def authenticate(request: Request) -> HTTPResponse | None:
        request.ctx.user = None
        path = request.path
        if path.startswith("/static/") or path in PUBLIC_PATHS:
            return None
        token = app.ctx.signer.session_token(request.cookies.get(security.SESSION_COOKIE))
        signed_in: SignedIn | None = None
        if token:
            background = (
                request.headers.get("X-Background") == "1"
            )  # the inbox's polling keeps nobody signed in
            signed_in = await app.ctx.console.db(
                app.ctx.console.staff.session_for, token, touch=not background
            )
        if signed_in is None:
            if is_api(request):
                return response.json({"error": "not signed in"}, status=401)
            return response.redirect("/login", status=303)
        request.ctx.user = signed_in
        if request.method not in ("GET", "HEAD", "OPTIONS") and not csrf_ok(
            request, signed_in.csrf_token
        ):
            return refuse(
                request,
                403,
                "The form had expired or came from elsewhere (CSRF check). "
                "Reload the page and try again.",
            )
        return None

    @app.middleware("response")
    async def headers(request: Request, resp: HTTPResponse) -> None:
        for key, value in security.HEADERS.items():
            resp.headers.setdefault(key, value)
        if request.path.startswith("/static/"):
            resp.headers["Cache-Control"] = "no-cache"
        else:
            resp.headers["Cache-Control"] = "no-store"
            resp.headers["Pragma"] = "no-cache"

    @app.exception(Forbidden)
    async def forbidden(request: Request, _: Exception) -> HTTPResponse:
        return refuse(request, 403, "Your role does not give access to this.")

    @app.exception(NotFound, SanicNotFound)
    async def not_found(request: Request, _: Exception) -> HTTPResponse:
        if getattr(request.ctx, "user", None) is None and request.path not in PUBLIC_PATHS:
            # an unknown path without a session says nothing about which paths exist
            if is_api(request):
                return response.json({"error": "not signed in"}, status=401)
            return response.redirect("/login", status=303)
        return refuse(request, 404, "There is no such page or record.")

    @app.exception(RasaUnavailable)
    async def rasa_down(request: Request, error: Exception) -> HTTPResponse:
        return refuse(request, 502, str(error))

    @app.exception(DatabaseTimeout, OperationalError)
    async def database_busy(request: Request, error: Exception) -> HTTPResponse:
        logger.error(
            "console database unavailable: %s", type(error).__name__
        )  # never the statement
        return refuse(request, 503, DATABASE_BUSY)

    @app.exception(StaffError)
    async def staff_error(request: Request, error: Exception) -> HTTPResponse:
        return refuse(request, 400, str(error))

    @app.exception(Exception)
    async def server_error(request: Request, error: Exception) -> HTTPResponse:
        if isinstance(error, SanicException):
            return refuse(
                request,
                getattr(error, "status_code", 500) or 500,
                "That request could not be handled.",
            )
        logger.error(
            "console error on %s: %s", request.method, type(error).__name__
        )  # never the data
        return refuse(
            request, 500, "Something went wrong. Nothing was changed unless a message said so."
        )

    @app.listener("after_server_start")
    async def start_sweep(app_: Sanic, _loop: Any) -> None:
        app_.ctx.sweep = asyncio.get_running_loop().create_task(app_.ctx.console.sweep_handovers())

    @app.listener("before_server_stop")
    async def stop_sweep(app_: Sanic, _loop: Any) -> None:
        sweep = getattr(app_.ctx, "sweep", None)
        if sweep is not None:
            sweep.cancel()

    @app.listener("after_server_stop")
    async def close(app_: Sanic, _loop: Any) -> None:
        await app_.ctx.console.rasa.close()

    pages.register(app)
    api.register(app)
    return app


def csrf_ok(request: Request, expected: str) -> bool:
    origin = request.headers.get("Origin")
    if origin and origin != own_origin(request):
        return False
    sent = request.headers.get(security.CSRF_HEADER)
    if sent is None and request.form:
        sent = request.form.get(security.CSRF_FIELD)
    return security.same(sent, expected)


def own_origin(request: Request) -> str:
    return f"{request.scheme}://{request.host}"
