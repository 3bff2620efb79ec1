"""How the console's pages look: the menu, the templates, a page or a refusal.

Apart from app.py so that the page handlers (pages.py) and the application
that registers them (app.py) both depend on it, not on each other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from clinic_core.staff import SignedIn

HERE = Path(__file__).resolve().parent

#: the menu: (permission, path, label), in order
MENU = (
    ("inbox", "/inbox", "Inbox"),
    ("reviews", "/reviews", "Review queue"),
    ("bookings.view", "/bookings", "Bookings"),
    ("callbacks", "/callbacks", "Call-backs"),
    ("analytics", "/analytics", "At a glance"),
    ("audit", "/audit", "Audit log"),
    ("accounts", "/accounts", "Staff accounts"),
)


def is_api(request: Request) -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["clock"] = lambda d: d.strftime("%d %b %Y, %H:%M") if d else ""
    env.filters["zip"] = lambda a, b: list(zip(a, b, strict=True))
    return env


def render(request: Request, template: str, status: int = 200, **values: Any) -> HTTPResponse:
    signed_in: SignedIn | None = getattr(request.ctx, "user", None)
    member = signed_in.member if signed_in else None
    menu = [(path, label) for perm, path, label in MENU if member and member.can(perm)]
    html = request.app.ctx.jinja.get_template(template).render(
        member=member,
        csrf=signed_in.csrf_token if signed_in else "",
        menu=menu,
        path=request.path,
        clinic=request.app.ctx.console.profile.name,
        notice=request.args.get("notice"),
        warning=request.args.get("warning"),
        **values,
    )
    return response.html(html, status=status)


def refuse(request: Request, status: int, message: str) -> HTTPResponse:
    if is_api(request):
        return response.json({"error": message}, status=status)
    return render(request, "error.html", status=status, message=message, code=status)
