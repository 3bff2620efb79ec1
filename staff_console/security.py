"""Cookies, CSRF, security headers and the login throttle of the console.

* The session cookie carries a random token signed with STAFF_SECRET_KEY
  (itsdangerous); the server keeps only the token's SHA-256
  (clinic_core.staff), so the signature stops forged cookies before any
  database read and a stolen database holds no usable session. HttpOnly,
  SameSite=Strict, Secure behind HTTPS; no expiry date (the server ends it
  after the idle timeout).
* CSRF: the synchronizer-token pattern. Each session has its own token,
  sent in every form (hidden ``csrf_token``) and by the pages' script in
  ``X-CSRF-Token``; every POST without the right one is refused (403), and
  so is one whose Origin header names another site. The login form, before
  any session, uses a signed double-submit cookie.
* Headers on every answer: a CSP without inline scripts or styles
  (``script-src 'self'``), frame-ancestors 'none' and X-Frame-Options DENY,
  nosniff, no referrer to other sites; ``Cache-Control: no-store`` on everything but the
  static files, because pages and API answers carry health data.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict

from itsdangerous import BadSignature, Signer

SESSION_COOKIE = "staff_session"
LOGIN_COOKIE = "staff_login"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on form
    # posts, and the CSRF check could not tell our own forms from anyone's
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


class CookieSigner:
    def __init__(self, secret_key: str) -> None:
        self._session = Signer(secret_key, salt="staff-session", digest_method=hashlib.sha256)
        self._login = Signer(secret_key, salt="staff-login", digest_method=hashlib.sha256)

    def sign_session(self, token: str) -> str:
        return self._session.sign(token).decode()

    def session_token(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            return self._session.unsign(cookie).decode()
        except BadSignature:
            return None

    def new_login_nonce(self) -> tuple[str, str]:
        """(nonce for the form, signed value for the cookie)."""
        nonce = secrets.token_urlsafe(24)
        return nonce, self._login.sign(nonce).decode()

    def login_nonce(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            return self._login.unsign(cookie).decode()
        except BadSignature:
            return None


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


class LoginThrottle:
    """Failed logins per client address, in memory: beyond ``burst`` within
    ``window`` seconds the address must wait. Complements the per-account
    lock-out (clinic_core.staff), which a guesser spreading over many names
    would not trip. Bounded (oldest addresses forgotten first)."""

    def __init__(self, burst: int = 20, window: float = 600.0, max_keys: int = 10_000) -> None:
        self.burst, self.window, self.max_keys = burst, window, max_keys
        self._seen: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def blocked(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            times = [t for t in self._seen.get(key, []) if now - t < self.window]
            return len(times) >= self.burst

    def failed(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            times = [t for t in self._seen.pop(key, []) if now - t < self.window] + [now]
            self._seen[key] = times
            while len(self._seen) > self.max_keys:
                self._seen.popitem(last=False)
