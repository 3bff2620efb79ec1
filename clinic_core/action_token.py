"""A shared secret between Rasa and the action server (rasa_sdk 3.6 has no
authentication of its own): with CLINIC_ACTION_TOKEN set in both servers'
environment, Rasa sends it in the X-Clinic-Action-Token header of every call
to the action server, and the action server refuses calls without it (401).
/health stays open (for readiness checks).

* Rasa side: attach(app) - done by channels.edge.ClinicEdge (the header is
  added to the agent's action endpoint, also after a model reload).
  `rasa shell` loads no channel: `python -m clinic_core.action_token ENDPOINTS`
  prints the endpoints with the header (scripts/shell.sh).
* action server side: actions/serve.py's protect(app) asks accepts() of every
  call, and refuses to start on a non-loopback address without a token (refusal()):
  one forged POST to an open /webhook, with a made-up tracker, could write a
  booking and a webhook event for the clinic.

`make run` listens on loopback and generates a token per start when none is
given (scripts/run.sh); the deployment files require one (deploy/).

It lives in clinic_core, the package every process imports, because both
servers need it and neither may load the other's code; like the rest of
clinic_core it imports no Rasa and no Sanic (attach() only touches the
objects it is given; the Sanic middleware is actions/serve.py's).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import sys
from typing import Any

HEADER = "X-Clinic-Action-Token"
ENV = "CLINIC_ACTION_TOKEN"
OPEN_PATHS = {"/health"}
#: a token shorter than this is refused on a reachable address (a guessable
#: placeholder such as "change-me" is no protection)
MIN_TOKEN_CHARS = 16


def token() -> str | None:
    value = os.environ.get(ENV, "").strip()
    return value or None


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def refusal(host: str) -> str | None:
    """Why the action server must not start on `host` with this environment's
    token, or None when it may. Loopback needs no token (development, tests);
    any other address needs one of at least MIN_TOKEN_CHARS characters."""
    if is_loopback(host):
        return None
    secret = token()
    hint = (
        f"set {ENV} to the same secret in the action server's and Rasa's environment "
        "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'), "
        "or listen on 127.0.0.1"
    )
    if secret is None:
        return (
            f"it would listen on {host} without {ENV}: anyone who can reach it could run the "
            f"actions with a made-up conversation and write bookings; {hint}"
        )
    if len(secret) < MIN_TOKEN_CHARS:
        return f"{ENV} is shorter than {MIN_TOKEN_CHARS} characters; {hint}"
    return None


def attach(app: Any) -> None:
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


def accepts(secret: str, path: str, given: str | None) -> bool:
    """Action server side: whether a call to `path` that carries `given` in
    the HEADER may run (the comparison takes the same time for any wrong
    token)."""
    if path in OPEN_PATHS:
        return True
    return hmac.compare_digest((given or "").encode(), secret.encode())


def endpoints_with_header(text: str) -> str:
    """An endpoints file whose action endpoint sends the token header, as a
    `${CLINIC_ACTION_TOKEN}` reference that Rasa fills from the environment
    (the secret itself is never written to the file)."""
    import yaml

    endpoints = yaml.safe_load(text) or {}
    action = endpoints.get("action_endpoint")
    if not isinstance(action, dict):
        return text
    action["headers"] = {**(action.get("headers") or {}), HEADER: "${" + ENV + "}"}
    return yaml.safe_dump(endpoints, sort_keys=False)


if __name__ == "__main__":  # python -m clinic_core.action_token endpoints.yml > with_header.yml
    with open(sys.argv[1], encoding="utf-8") as handle:
        sys.stdout.write(endpoints_with_header(handle.read()))
