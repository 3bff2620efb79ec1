"""A shared secret between Rasa and the action server (rasa_sdk 3.6 has no
authentication of its own): with CLINIC_ACTION_TOKEN set in both servers'
environment, Rasa sends it in the X-Clinic-Action-Token header of every call
to the action server, and the action server refuses calls without it (401).
/health stays open (for readiness checks). Unset: no check (development).

* Rasa side: attach(app) - done by channels.edge.ClinicEdge (the header is
  added to the agent's action endpoint, also after a model reload).
* action server side: protect(app) - done by actions/serve.py.

The token is a second line: in production the action server also listens on
loopback or a private network only (SANIC_HOST=127.0.0.1, see the README).
"""
from __future__ import annotations

import hmac
import logging
import os
from typing import Any, Optional

from sanic import Sanic, response
from sanic.request import Request

HEADER = "X-Clinic-Action-Token"
OPEN_PATHS = {"/health"}

logger = logging.getLogger(__name__)


def token() -> Optional[str]:
    value = os.environ.get("CLINIC_ACTION_TOKEN", "").strip()
    return value or None


def attach(app: Sanic) -> None:
    """Rasa side: the header on the loaded agent's action endpoint."""
    secret = token()
    agent = getattr(app.ctx, "agent", None)
    endpoint = getattr(agent, "action_endpoint", None)
    if not secret or endpoint is None:
        return
    headers = endpoint.headers if isinstance(endpoint.headers, dict) else {}
    if headers.get(HEADER) != secret:
        headers[HEADER] = secret
        endpoint.headers = headers


def protect(app: Sanic) -> None:
    """Action server side: refuse every call without the token."""
    secret = token()
    if not secret:
        return

    async def check(request: Request) -> Any:
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get(HEADER) or ""
        if not hmac.compare_digest(given.encode(), secret.encode()):
            logger.warning("action server call refused: missing or wrong %s", HEADER)
            return response.json({"error": "unauthorized"}, status=401)
        return None

    app.register_middleware(check, "request")
