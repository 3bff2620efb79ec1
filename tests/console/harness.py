"""The staff console as `make run` starts it (python -m staff_console), on a
free port with its own clinic database, and staff accounts to sign in with.

Used by tests/console (HTTP: security, roles, audit) and tests/browser
(Chromium: the pages as staff use them)."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests

from clinic_core.booking_store import BookingStore
from clinic_core.profile import load_profile
from clinic_core.staff import StaffDirectory
from tests.assistant import free_port

ROOT = Path(__file__).resolve().parents[2]
PASSWORDS = {
    "sam": "admin-password-0001",  # admin
    "rita": "reception-password-01",  # reception
    "anna": "therapist-password-01",  # therapist (anna)
    "tom": "therapist-password-02",  # therapist (tom)
}


@dataclass
class Console:
    url: str
    db_url: str
    workdir: Path
    proc: subprocess.Popen
    extra: dict[str, Any] = field(default_factory=dict)

    def store(self) -> BookingStore:
        return BookingStore(self.db_url, profile=load_profile(os.environ.get("CLINIC_PROFILE")))

    def session(self, username: str | None = None) -> Staff:
        staff = Staff(self.url)
        if username:
            staff.login(username, PASSWORDS[username])
        return staff

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    @property
    def log(self) -> str:
        return (self.workdir / "console.log").read_text()


class Staff:
    """A browser-like client: keeps cookies, reads the CSRF token from pages."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()
        self.csrf = ""

    def login(self, username: str, password: str) -> requests.Response:
        page = self.http.get(self.url + "/login")
        nonce = re.search(r'name="nonce" value="([^"]+)"', page.text).group(1)
        answer = self.http.post(
            self.url + "/login", data={"nonce": nonce, "username": username, "password": password}
        )
        found = re.search(r'name="csrf-token" content="([^"]*)"', answer.text)
        self.csrf = found.group(1) if found else ""
        return answer

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.http.get(self.url + path, **kw)

    def post(
        self, path: str, data: dict[str, str] | None = None, csrf: bool = True, **kw: Any
    ) -> requests.Response:
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf)
        return self.http.post(self.url + path, data=data, **kw)

    def api(
        self, method: str, path: str, json: Any = None, csrf: bool = True, **kw: Any
    ) -> requests.Response:
        headers = kw.pop("headers", {})
        if csrf:
            headers.setdefault("X-CSRF-Token", self.csrf)
        return self.http.request(method, self.url + path, json=json, headers=headers, **kw)


class FakeRasa:
    """Rasa's HTTP API as the console uses it (staff_console/rasa_api.py), on a
    free port: records every POST of events to a conversation and answers 200,
    or 503 while ``down``; a tracker read answers an empty conversation."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.down = False
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _answer(self, status: int, body: Any) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._answer(503 if fake.down else 200, {"events": [], "paused": False})

            def do_POST(self) -> None:  # noqa: N802
                url = urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                match = re.match(r"^/conversations/(.+)/tracker/events$", url.path)
                if fake.down or not match:
                    self._answer(503, {"error": "down"})
                    return
                fake.calls.append(
                    {
                        "sender": unquote(match.group(1)),
                        "events": json.loads(raw or b"[]"),
                        "query": parse_qs(url.query),
                    }
                )
                self._answer(200, {"events": []})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def lines_to(self, sender: str) -> list[dict[str, Any]]:
        """The bot lines sent to one conversation, oldest first."""
        return [
            e
            for c in self.calls
            if c["sender"] == sender
            for e in c["events"]
            if e.get("event") == "bot"
        ]

    def wait_for(self, check: Callable[[], Any], timeout: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = check()
            if found:
                return found
            time.sleep(0.1)
        return check()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def seed_accounts(db_url: str) -> None:
    store = BookingStore(db_url, profile=load_profile(os.environ.get("CLINIC_PROFILE")))
    staff = StaffDirectory(store)
    try:
        staff.create_user("sam", "Sam Lee", "admin", PASSWORDS["sam"])
        staff.create_user("rita", "Rita", "reception", PASSWORDS["rita"])
        staff.create_user("anna", "Anna", "therapist", PASSWORDS["anna"], therapist_id="anna")
        staff.create_user("tom", "Tom", "therapist", PASSWORDS["tom"], therapist_id="tom")
    finally:
        store.close()


def start_console(
    workdir: Path,
    *,
    rasa_url: str = "http://127.0.0.1:9",
    rasa_token: str = "",
    db_url: str | None = None,
    tracker_url: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> Console:
    workdir.mkdir(parents=True, exist_ok=True)
    db_url = db_url or f"sqlite:///{workdir / 'clinic.db'}"
    seed_accounts(db_url)
    port = free_port()
    env = {
        **os.environ,
        "STAFF_SECRET_KEY": secrets.token_urlsafe(48),
        "STAFF_PORT": str(port),
        "CLINIC_DB_URL": db_url,
        "RASA_URL": rasa_url,
        "RASA_API_TOKEN": rasa_token,
        "RASA_TRACKER_DB_URL": tracker_url or f"sqlite:///{workdir / 'tracker.db'}",
        **(extra_env or {}),
    }
    log = workdir / "console.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "staff_console"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the console exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return Console(url, db_url, workdir, proc)
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise TimeoutError(f"the console did not start:\n{log.read_text()[-3000:]}")
