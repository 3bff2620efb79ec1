"""Starts the action server after validating the clinic's content files.

`rasa run actions` would start even with a broken rules file and fail on the
first client; screening wrongly is worse than not starting, so we load and
validate everything first and exit non-zero with the file's error.

It listens on 127.0.0.1 unless told otherwise (--host, or SANIC_HOST), and
refuses to listen anywhere else without CLINIC_ACTION_TOKEN
(clinic_core/action_token.py): rasa_sdk's default is every interface with no
authentication, where one forged POST with a made-up tracker wrote a booking.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any

DEFAULT_HOST = "127.0.0.1"

logger = logging.getLogger(__name__)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument(
        "--host",
        default=os.environ.get("SANIC_HOST") or DEFAULT_HOST,
        help="address to listen on (default $SANIC_HOST or 127.0.0.1); any address "
        "but loopback needs CLINIC_ACTION_TOKEN",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from clinic_core.logs import configure_json_logging, install_log_privacy

    if (os.environ.get("CLINIC_LOG_FORMAT") or "json").lower() == "json":
        configure_json_logging()  # as the Rasa server's: exceptions by their type, never a traceback
    install_log_privacy()

    from clinic_core import clock
    from clinic_core.action_token import refusal

    clock.refuse_start_if_unreadable("action server")

    problem = refusal(args.host)
    if problem:
        print(f"action server not started: {problem}", file=sys.stderr)
        sys.exit(2)

    from actions import content

    try:
        content.validate_all()
    except Exception as error:  # noqa: BLE001 - any load error must stop start-up
        print(f"action server not started: {error}", file=sys.stderr)
        sys.exit(2)

    _use_local_domain_when_none_is_sent()
    from rasa_sdk import endpoint

    create_app = endpoint.create_app

    def create_protected_app(
        *a: Any, **kw: Any
    ) -> Any:  # with CLINIC_ACTION_TOKEN set, only Rasa may call
        app = create_app(*a, **kw)
        protect(app)
        return app

    endpoint.create_app = create_protected_app
    os.environ["SANIC_HOST"] = args.host  # rasa_sdk's run() takes the address from here only
    endpoint.run("actions", port=args.port)


def protect(app: Any) -> None:
    """With CLINIC_ACTION_TOKEN set, refuse every call without it (401);
    /health stays open (clinic_core.action_token.accepts)."""
    from sanic import response
    from sanic.request import Request

    from clinic_core import action_token

    secret = action_token.token()
    if not secret:
        return

    async def check(request: Request) -> Any:
        if action_token.accepts(secret, request.path, request.headers.get(action_token.HEADER)):
            return None
        logger.warning("action server call refused: missing or wrong %s", action_token.HEADER)
        return response.json({"error": "unauthorized"}, status=401)

    app.register_middleware(check, "request")


def _use_local_domain_when_none_is_sent() -> None:
    """The model's domain, for calls that come without one.

    endpoints.yml sets `enable_selective_domain`, so Rasa stops serialising
    the whole domain (28 kB of JSON) into every action call: that was the
    largest part of the Rasa server's JSON work per turn (py-spy). The
    actions still need it (forms read their required slots from it, the FAQ
    answers are looked up in it), so the action server builds the same
    domain the model was trained from (domain.yml and data/responses/), once,
    with Rasa's own importer. A call that does carry a domain uses it.
    """
    from rasa_sdk.executor import ActionExecutor

    from rasa_ext.domain import model_domain

    local = model_domain().as_dict()
    original = ActionExecutor.run

    async def run(self: ActionExecutor, action_call: dict) -> dict | None:
        if not action_call.get("domain"):
            action_call = {**action_call, "domain": local}
        return await original(self, action_call)

    ActionExecutor.run = run


if __name__ == "__main__":
    main()
