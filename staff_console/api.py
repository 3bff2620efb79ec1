"""The JSON API under /api/: for the pages' script (the inbox) and for the
clinic's own integrations. Same session, CSRF header and roles as the pages
(staff_console.app); every answer is JSON, every refusal too (401, 403,
404, 400 with {"error": ...}). Dates are ISO 8601."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from clinic_core.booking_store import utcnow

from .service import Console, Outcome


def console(request: Request) -> Console:
    return request.app.ctx.console


def body(request: Request) -> dict[str, str]:
    data = request.json if request.body else {}
    if not isinstance(data, dict):
        return {}
    return {k: ("" if v is None else str(v)) for k, v in data.items()}


def done(outcome: Outcome, status: int = 200) -> HTTPResponse:
    return response.json(
        {"message": outcome.message, "warning": outcome.warning, **outcome.data}, status=status
    )


def iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (dt.datetime, dt.date)) else value


def history(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The client's other pre-screens (Console.history_view) as JSON."""
    return [
        {
            "screening_id": h["id"],
            "outcome": h["outcome"],
            "reasons": [c["id"] for c in h["conditions"]],
            "created_at": iso(h["created_at"]),
        }
        for h in items
    ]


def notes(items: list[Any]) -> list[dict[str, Any]]:
    return [{"author": n.author, "text": n.text, "created_at": iso(n.created_at)} for n in items]


def register(app: Sanic) -> None:
    @app.get("/api/me")
    async def me(request: Request) -> HTTPResponse:
        m = request.ctx.user.member
        return response.json(
            {
                "username": m.username,
                "display_name": m.display_name,
                "role": m.role,
                "therapist_id": m.therapist_id,
            }
        )

    @app.get("/api/reviews")
    async def reviews(request: Request) -> HTTPResponse:
        items = await console(request).reviews(
            request.ctx.user.member, request.args.get("show") == "all"
        )
        return response.json(
            {
                "items": [
                    {
                        "id": i["id"],
                        "outcome": i["outcome"],
                        "conditions": i["conditions"],
                        "answers": i["answers"],
                        "created_at": iso(i["created_at"]),
                        "reviewed_at": iso(i["reviewed_at"]),
                        "bookings": i["bookings"],
                        "held_bookings": i["held_bookings"],
                        "history": history(i["history"]),
                        "notes": notes(i["notes"]),
                    }
                    for i in items
                ]
            }
        )

    @app.get("/api/reviews/held")
    async def held(request: Request) -> HTTPResponse:
        items = await console(request).held_bookings(request.ctx.user.member)
        return response.json(
            {
                "items": [
                    {
                        "reference": i["reference"],
                        "service_id": i["service_id"],
                        "service_name": i.get("service_name"),
                        "therapist_id": i["therapist_id"],
                        "therapist_name": i.get("therapist_name"),
                        "minutes": i["minutes"],
                        "start": iso(i["start"]),
                        "name": i["name"],
                        "phone": i["phone"],
                        "email": i["email"],
                        "screening_outcome": i["screening_outcome"],
                        "held_by": i["held_by"],
                        "history": history(i["history"]),
                        "requested_at": iso(i["created_at"]),
                        "has_channel": i["has_channel"],
                        "notes": notes(i["notes"]),
                    }
                    for i in items
                ]
            }
        )

    @app.post("/api/reviews/held/<reference:str>/<change:(approve|decline|callback)>")
    async def held_change(request: Request, reference: str, change: str) -> HTTPResponse:
        c = console(request)
        act = {
            "approve": c.approve_held,
            "decline": c.decline_held,
            "callback": c.held_ask_callback,
        }[change]
        return done(await act(request.ctx.user.member, reference))

    @app.post("/api/reviews/held/<reference:str>/note")
    async def held_note(request: Request, reference: str) -> HTTPResponse:
        return done(
            await console(request).held_note(
                request.ctx.user.member, reference, body(request).get("text", "")
            ),
            201,
        )

    @app.post("/api/reviews/<screening_id:int>/reviewed")
    async def review_done(request: Request, screening_id: int) -> HTTPResponse:
        return done(await console(request).review_done(request.ctx.user.member, screening_id))

    @app.post("/api/reviews/<screening_id:int>/note")
    async def review_note(request: Request, screening_id: int) -> HTTPResponse:
        return done(
            await console(request).review_note(
                request.ctx.user.member, screening_id, body(request).get("text", "")
            ),
            201,
        )

    @app.post("/api/reviews/<screening_id:int>/callback")
    async def review_callback(request: Request, screening_id: int) -> HTTPResponse:
        return done(
            await console(request).review_ask_callback(request.ctx.user.member, screening_id)
        )

    @app.get("/api/bookings")
    async def bookings(request: Request) -> HTTPResponse:
        c = console(request)
        try:
            day = dt.date.fromisoformat(request.args.get("date") or "")
        except ValueError:
            day = utcnow().astimezone(c.profile.tz).date()
        view = "week" if request.args.get("view") == "week" else "day"
        diary = await c.diary(
            request.ctx.user.member, request.args.get("therapist") or None, day, view
        )
        return response.json(
            {
                "therapist_id": diary["therapist_id"],
                "days": [
                    {
                        "date": d["date"].isoformat(),
                        "bookings": [{k: iso(v) for k, v in b.items()} for b in d["bookings"]],
                    }
                    for d in diary["days"]
                ],
            }
        )

    @app.post("/api/bookings")
    async def create_booking(request: Request) -> HTTPResponse:
        return done(
            await console(request).create_booking(request.ctx.user.member, body(request)), 201
        )

    @app.post("/api/bookings/<reference:str>/move")
    async def move_booking(request: Request, reference: str) -> HTTPResponse:
        return done(
            await console(request).move_booking(request.ctx.user.member, reference, body(request))
        )

    @app.post("/api/bookings/<reference:str>/cancel")
    async def cancel_booking(request: Request, reference: str) -> HTTPResponse:
        return done(await console(request).cancel_booking(request.ctx.user.member, reference))

    @app.get("/api/callbacks")
    async def callbacks(request: Request) -> HTTPResponse:
        items = await console(request).callbacks(
            request.ctx.user.member, request.args.get("show") == "all"
        )
        return response.json(
            {
                "items": [
                    {
                        **{k: iso(v) for k, v in i.items() if k != "notes"},
                        "notes": notes(i["notes"]),
                    }
                    for i in items
                ]
            }
        )

    @app.post("/api/callbacks/<callback_id:int>/called")
    async def mark_called(request: Request, callback_id: int) -> HTTPResponse:
        return done(await console(request).mark_called(request.ctx.user.member, callback_id))

    @app.post("/api/callbacks/<callback_id:int>/note")
    async def callback_note(request: Request, callback_id: int) -> HTTPResponse:
        return done(
            await console(request).callback_note(
                request.ctx.user.member, callback_id, body(request).get("text", "")
            ),
            201,
        )

    @app.get("/api/handovers")
    async def handovers(request: Request) -> HTTPResponse:
        items = await console(request).inbox(request.ctx.user.member)
        return response.json({"items": [h.to_dict() for h in items]})

    @app.get("/api/handovers/<handover_id:int>/messages")
    async def messages(request: Request, handover_id: int) -> HTTPResponse:
        return response.json(await console(request).conversation(request.ctx.user, handover_id))

    @app.post("/api/handovers/<handover_id:int>/take")
    async def take(request: Request, handover_id: int) -> HTTPResponse:
        return done(await console(request).take(request.ctx.user.member, handover_id))

    @app.post("/api/handovers/<handover_id:int>/messages")
    async def send(request: Request, handover_id: int) -> HTTPResponse:
        return done(
            await console(request).send(
                request.ctx.user.member, handover_id, body(request).get("text", "")
            ),
            201,
        )

    @app.post("/api/handovers/<handover_id:int>/hand-back")
    async def hand_back(request: Request, handover_id: int) -> HTTPResponse:
        return done(await console(request).hand_back(request.ctx.user.member, handover_id))

    @app.get("/api/analytics")
    async def analytics(request: Request) -> HTTPResponse:
        return response.json((await console(request).analytics(request.ctx.user.member)).to_dict())

    @app.get("/api/audit")
    async def audit(request: Request) -> HTTPResponse:
        c = console(request)
        c.require(request.ctx.user.member, "audit")
        rows = await c.db(c.staff.audit_log, 300, 0, request.args.get("user") or None)
        return response.json(
            {
                "items": [
                    {
                        "at": iso(a.at),
                        "username": a.username,
                        "action": a.action,
                        "record_type": a.record_type,
                        "record_id": a.record_id,
                    }
                    for a in rows
                ]
            }
        )
