"""Page routes for people: server-rendered HTML, forms that post and redirect
(POST/redirect/GET), so every page works without its script; the inbox's
script only adds polling and sending without a reload."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from clinic_core.booking_store import utcnow
from clinic_core.staff import ROLES, LoginFailed, StaffError

from . import security
from .charts import bar_chart, column_chart
from .service import PHONE_BOOKING_OUTCOMES, Console, Outcome
from .views import MENU, refuse, render


def console(request: Request) -> Console:
    return request.app.ctx.console


def member(request: Request) -> Any:
    return request.ctx.user.member


def form(request: Request) -> dict[str, str]:
    return {k: (v[0] if isinstance(v, list) else v) for k, v in (request.form or {}).items()}


def back(path: str, outcome: Outcome) -> HTTPResponse:
    query = {"notice": outcome.message}
    if outcome.warning:
        query["warning"] = outcome.warning
    sep = "&" if "?" in path else "?"
    return response.redirect(f"{path}{sep}{urlencode(query)}", status=303)


def safe_back(request: Request, default: str) -> str:
    """Where a form returns to: a path of this console only (never another site)."""
    target = form(request).get("back") or default
    return target if target.startswith("/") and not target.startswith("//") else default


def register(app: Sanic) -> None:
    # ------------------------------------------------------------------ login
    @app.get("/login")
    async def login_page(request: Request) -> HTTPResponse:
        return login_form(request)

    @app.post("/login")
    async def login(request: Request) -> HTTPResponse:
        data = form(request)
        signer = request.app.ctx.signer
        if not security.same(
            signer.login_nonce(request.cookies.get(security.LOGIN_COOKIE)), data.get("nonce")
        ):
            return login_form(
                request, "The sign-in form had expired. Please try again.", status=403
            )
        ip = request.remote_addr or request.ip or "unknown"
        throttle = request.app.ctx.throttle
        if throttle.blocked(ip):
            return login_form(
                request,
                "Too many failed sign-ins from this computer. Wait ten minutes.",
                status=429,
            )
        try:
            token, signed_in = await console(request).db(
                console(request).staff.login, data.get("username") or "", data.get("password") or ""
            )
        except LoginFailed as error:
            throttle.failed(ip)
            return login_form(request, str(error), status=401)
        first = next((path for perm, path, _ in MENU if signed_in.member.can(perm)), "/analytics")
        resp = response.redirect(first, status=303)
        set_cookie(
            resp,
            security.SESSION_COOKIE,
            request.app.ctx.signer.sign_session(token),
            request.app.ctx.settings.secure_cookies,
        )
        return resp

    @app.post("/logout")
    async def logout(request: Request) -> HTTPResponse:
        await console(request).db(console(request).staff.logout, request.ctx.user.session_id)
        resp = response.redirect("/login", status=303)
        del resp.cookies[security.SESSION_COOKIE]
        return resp

    @app.get("/")
    async def home(request: Request) -> HTTPResponse:
        first = next((path for perm, path, _ in MENU if member(request).can(perm)), "/analytics")
        return response.redirect(first, status=303)

    @app.get("/healthz")
    async def healthz(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    # ---------------------------------------------------------------- reviews
    @app.get("/reviews")
    async def reviews(request: Request) -> HTTPResponse:
        show_all = request.args.get("show") == "all"
        held = await console(request).held_bookings(member(request))
        items = await console(request).reviews(member(request), include_reviewed=show_all)
        return render(
            request, "reviews.html", items=items, held=held, show_all=show_all, title="Review queue"
        )

    @app.post("/reviews/<screening_id:int>/reviewed")
    async def review_done(request: Request, screening_id: int) -> HTTPResponse:
        return back(
            safe_back(request, "/reviews"),
            await console(request).review_done(member(request), screening_id),
        )

    @app.post("/reviews/<screening_id:int>/note")
    async def review_note(request: Request, screening_id: int) -> HTTPResponse:
        outcome = await console(request).review_note(
            member(request), screening_id, form(request).get("text") or ""
        )
        return back(safe_back(request, "/reviews"), outcome)

    @app.post("/reviews/<screening_id:int>/callback")
    async def review_callback(request: Request, screening_id: int) -> HTTPResponse:
        outcome = await console(request).review_ask_callback(member(request), screening_id)
        return back(safe_back(request, "/reviews"), outcome)

    @app.post("/reviews/held/<reference:str>/<change:(approve|decline|callback)>")
    async def held_change(request: Request, reference: str, change: str) -> HTTPResponse:
        c = console(request)
        act = {
            "approve": c.approve_held,
            "decline": c.decline_held,
            "callback": c.held_ask_callback,
        }[change]
        return back(safe_back(request, "/reviews"), await act(member(request), reference))

    @app.post("/reviews/held/<reference:str>/note")
    async def held_note(request: Request, reference: str) -> HTTPResponse:
        outcome = await console(request).held_note(
            member(request), reference, form(request).get("text") or ""
        )
        return back(safe_back(request, "/reviews"), outcome)

    # --------------------------------------------------------------- bookings
    @app.get("/bookings")
    async def bookings(request: Request) -> HTTPResponse:
        c = console(request)
        tz = c.profile.tz
        try:
            day = dt.date.fromisoformat(request.args.get("date") or "")
        except ValueError:
            day = utcnow().astimezone(tz).date()
        view = "week" if request.args.get("view") == "week" else "day"
        diary = await c.diary(member(request), request.args.get("therapist") or None, day, view)
        step = dt.timedelta(days=7 if view == "week" else 1)
        services = [
            (f"{s.id}:{o.minutes}", f"{s.name}, {o.minutes} min")
            for s in c.profile.services
            for o in s.options
            if s.screening_service
        ]
        return render(
            request,
            "bookings.html",
            title="Bookings",
            diary=diary,
            view=view,
            prev=(diary["first"] - step).isoformat(),
            next=(diary["first"] + step).isoformat(),
            today=utcnow().astimezone(tz).date().isoformat(),
            services=services,
            outcomes=PHONE_BOOKING_OUTCOMES,
            can_change=member(request).can("bookings.change"),
            here=request.path + ("?" + request.query_string if request.query_string else ""),
        )

    @app.post("/bookings")
    async def create_booking(request: Request) -> HTTPResponse:
        outcome = await console(request).create_booking(member(request), form(request))
        return back(safe_back(request, "/bookings"), outcome)

    @app.post("/bookings/<reference:str>/move")
    async def move_booking(request: Request, reference: str) -> HTTPResponse:
        outcome = await console(request).move_booking(member(request), reference, form(request))
        return back(safe_back(request, "/bookings"), outcome)

    @app.post("/bookings/<reference:str>/cancel")
    async def cancel_booking(request: Request, reference: str) -> HTTPResponse:
        outcome = await console(request).cancel_booking(member(request), reference)
        return back(safe_back(request, "/bookings"), outcome)

    # ------------------------------------------------------------- call-backs
    @app.get("/callbacks")
    async def callbacks(request: Request) -> HTTPResponse:
        show_all = request.args.get("show") == "all"
        items = await console(request).callbacks(member(request), include_called=show_all)
        return render(request, "callbacks.html", title="Call-backs", items=items, show_all=show_all)

    @app.post("/callbacks/<callback_id:int>/called")
    async def mark_called(request: Request, callback_id: int) -> HTTPResponse:
        return back("/callbacks", await console(request).mark_called(member(request), callback_id))

    @app.post("/callbacks/<callback_id:int>/note")
    async def callback_note(request: Request, callback_id: int) -> HTTPResponse:
        outcome = await console(request).callback_note(
            member(request), callback_id, form(request).get("text") or ""
        )
        return back("/callbacks", outcome)

    # ------------------------------------------------------------------ inbox
    @app.get("/inbox")
    async def inbox(request: Request) -> HTTPResponse:
        items = await console(request).inbox(member(request))
        return render(request, "inbox.html", title="Inbox", items=items)

    @app.get("/inbox/<handover_id:int>")
    async def conversation(request: Request, handover_id: int) -> HTTPResponse:
        view = await console(request).conversation(request.ctx.user, handover_id)
        return render(
            request, "conversation.html", title="Conversation", view=view, handover_id=handover_id
        )

    @app.post("/inbox/<handover_id:int>/take")
    async def take(request: Request, handover_id: int) -> HTTPResponse:
        return back(
            f"/inbox/{handover_id}", await console(request).take(member(request), handover_id)
        )

    @app.post("/inbox/<handover_id:int>/send")
    async def send(request: Request, handover_id: int) -> HTTPResponse:
        outcome = await console(request).send(
            member(request), handover_id, form(request).get("text") or ""
        )
        return back(f"/inbox/{handover_id}", outcome)

    @app.post("/inbox/<handover_id:int>/hand-back")
    async def hand_back(request: Request, handover_id: int) -> HTTPResponse:
        return back("/inbox", await console(request).hand_back(member(request), handover_id))

    @app.post("/inbox/<handover_id:int>/close")
    async def close(request: Request, handover_id: int) -> HTTPResponse:
        return back("/inbox", await console(request).close_unanswered(member(request), handover_id))

    # -------------------------------------------------------------- analytics
    @app.get("/analytics")
    async def at_a_glance(request: Request) -> HTTPResponse:
        s = await console(request).analytics(member(request))
        charts = {
            "conversations": column_chart(
                "Conversations per day",
                [(d.strftime("%d/%m"), n) for d, n in zip(s.days, s.conversations, strict=True)],
            ),
            "topics": bar_chart(
                "Most asked FAQ topics", [(t.replace("_", " "), n) for t, n in s.faq_topics]
            ),
            "outcomes": bar_chart("Pre-screen outcomes", list(s.outcomes.items())),
            "bookings": bar_chart(
                "Bookings",
                [
                    ("started in the chat", s.bookings_started),
                    ("completed in the chat", s.bookings_completed),
                    ("made by staff", s.bookings_by_staff),
                ],
            ),
            "unanswered": bar_chart(
                "Can't answer",
                [("answered", s.messages - s.unanswered), ("can't answer", s.unanswered)],
            ),
        }
        return render(request, "analytics.html", title="At a glance", s=s, charts=charts)

    # ------------------------------------------------------------------ admin
    @app.get("/audit")
    async def audit(request: Request) -> HTTPResponse:
        c = console(request)
        c.require(member(request), "audit")
        who = request.args.get("user") or None
        rows = await c.db(c.staff.audit_log, 300, 0, who)
        return render(request, "audit.html", title="Audit log", rows=rows, who=who)

    @app.get("/accounts")
    async def accounts(request: Request) -> HTTPResponse:
        c = console(request)
        c.require(member(request), "accounts")
        users = await c.db(c.staff.users)
        return render(
            request,
            "accounts.html",
            title="Staff accounts",
            users=users,
            roles=ROLES,
            therapists=c.profile.therapists,
            now=utcnow(),
        )

    @app.post("/accounts")
    async def create_account(request: Request) -> HTTPResponse:
        c = console(request)
        c.require(member(request), "accounts")
        data = form(request)
        try:
            created = await c.db(
                c.staff.create_user,
                data.get("username") or "",
                data.get("display_name") or "",
                data.get("role") or "",
                data.get("password") or "",
                therapist_id=data.get("therapist_id") or None,
            )
        except StaffError as error:
            return refuse(request, 400, str(error))
        await c.db(c.staff.audit, member(request), "create", "staff_user", [created.id])
        return back("/accounts", Outcome(f"Account {created.username} created."))

    @app.post("/accounts/<user_id:int>/<change:(activate|deactivate|unlock)>")
    async def change_account(request: Request, user_id: int, change: str) -> HTTPResponse:
        c = console(request)
        c.require(member(request), "accounts")
        if user_id == member(request).id and change == "deactivate":
            return refuse(request, 400, "You cannot deactivate your own account.")
        if await c.db(c.staff.get, user_id) is None:
            return refuse(request, 404, "There is no such account.")
        if change == "unlock":
            await c.db(c.staff.unlock, user_id)
        else:
            await c.db(c.staff.set_active, user_id, change == "activate")
        await c.db(c.staff.audit, member(request), change, "staff_user", [user_id])
        return back("/accounts", Outcome("Account updated."))


def login_form(request: Request, error: str | None = None, status: int = 200) -> HTTPResponse:
    nonce, cookie = request.app.ctx.signer.new_login_nonce()
    resp = render(request, "login.html", status=status, nonce=nonce, error=error, title="Sign in")
    set_cookie(
        resp, security.LOGIN_COOKIE, cookie, request.app.ctx.settings.secure_cookies, path="/login"
    )
    return resp


def set_cookie(resp: HTTPResponse, name: str, value: str, secure: bool, path: str = "/") -> None:
    resp.cookies[name] = value
    resp.cookies[name]["httponly"] = True
    resp.cookies[name]["samesite"] = "Strict"
    resp.cookies[name]["path"] = path
    if secure:
        resp.cookies[name]["secure"] = True
