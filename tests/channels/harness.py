"""The running assistant with every channel on, and the fakes it talks to.

* FakeApi: a local HTTP server standing in for api.telegram.org,
  api.twilio.com and graph.facebook.com; each connector's API base URL points
  at it (TELEGRAM_API_URL, TWILIO_API_URL, FACEBOOK_GRAPH_URL), it records
  every call and answers like the real API.
* SiteServer: a second origin standing in for the clinic's website (the
  browser test loads the widget from there, as a clinic would).
* edge(): one assistant for tests/channels and tests/browser together (start-up
  costs ~30 s and a core), started on first use, stopped when the last user
  releases it.

No test here needs the internet: the assistant's start with Telegram on and
every outgoing call go to 127.0.0.1.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.assistant import Assistant, free_port, start_assistant

PAYLOADS = Path(__file__).resolve().parent / "payloads"

TELEGRAM_TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
TELEGRAM_SECRET = "clinic-test-secret_0123456789"
TWILIO_SID = "AC" + "0f" * 16
TWILIO_TOKEN = "9a" * 16
TWILIO_NUMBER = "whatsapp:+14155238886"
FB_VERIFY = "clinic-verify-token"
FB_SECRET = "5e" * 16
FB_PAGE_TOKEN = "EAAGtestpagetoken"
ACTION_TOKEN = "action-token-for-tests-0123456789"


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        ctype = self.headers.get("content-type", "")
        if "multipart/form-data" in ctype:
            boundary = ctype.split("boundary=", 1)[1].strip('"')
            fields = {}
            for part in self.body.split(b"--" + boundary.encode()):
                m = re.search(rb'name="([^"]+)"\r\n(?:[^\r\n]*\r\n)*\r\n(.*)\r\n$', part, re.S)
                if m:
                    fields[m.group(1).decode()] = m.group(2).decode()
            return fields
        return {
            k: v[0]
            for k, v in urllib.parse.parse_qs(self.body.decode(), keep_blank_values=True).items()
        }

    @property
    def json(self) -> Any:
        return json.loads(self.body or b"null")


class FakeApi:
    """Answers like Telegram's Bot API, Twilio's REST API and the Graph API."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self._answer()

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urllib.parse.urlsplit(self.path)
                call = Call(
                    self.command,
                    url.path,
                    urllib.parse.parse_qs(url.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                with fake.lock:
                    fake.calls.append(call)
                status, answer = fake.answer(call)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, call: Call) -> tuple[int, Any]:
        tg = re.fullmatch(r"/bot([^/]+)/(\w+)", call.path)
        if tg:
            method = tg.group(2)
            if method == "sendMessage":
                form = call.form
                return 200, {
                    "ok": True,
                    "result": {
                        "message_id": len(self.calls),
                        "date": int(time.time()),
                        "chat": {"id": int(form.get("chat_id", "0")), "type": "private"},
                        "from": {"id": 7012345678, "is_bot": True, "first_name": "Harmony"},
                        "text": form.get("text", ""),
                    },
                }
            return 200, {"ok": True, "result": True}
        if re.fullmatch(r"/2010-04-01/Accounts/\w+/Messages\.json", call.path):
            form = call.form
            return 201, {
                "sid": "SM" + "1" * 32,
                "account_sid": TWILIO_SID,
                "to": form.get("To"),
                "from": form.get("From"),
                "body": form.get("Body"),
                "status": "queued",
                "num_segments": "1",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "date_created": "Sun, 22 Nov 2026 10:00:00 +0000",
                "uri": call.path,
            }
        if call.path.endswith("/me/messages"):
            recipient = (call.json or {}).get("recipient", {}).get("id")
            return 200, {"recipient_id": recipient, "message_id": f"m_{len(self.calls)}"}
        return 404, {"error": "unknown fake endpoint"}

    def take(self, predicate: Callable[[Call], bool] = lambda c: True) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if predicate(c)]

    def wait_for(
        self, predicate: Callable[[Call], bool], count: int = 1, timeout: float = 30
    ) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.take(predicate)
            if len(found) >= count:
                return found
            time.sleep(0.1)
        return self.take(predicate)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SiteServer:
    """Serves a folder: the clinic's own website, on its own origin."""

    def __init__(self, folder: Path, port: int) -> None:
        handler = lambda *a, **kw: _QuietFiles(*a, directory=str(folder), **kw)  # noqa: E731
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.url = f"http://127.0.0.1:{port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@dataclass
class Edge:
    assistant: Assistant
    fake: FakeApi
    site: SiteServer
    users: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.assistant.url

    def post(
        self, path: str, body: bytes, headers: dict[str, str], timeout: float = 60
    ) -> tuple[int, bytes]:
        req = urllib.request.Request(self.url + path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def get(
        self, path: str, headers: dict[str, str] | None = None, timeout: float = 30
    ) -> tuple[int, bytes, dict[str, str]]:
        req = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read(), {k.lower(): v for k, v in r.headers.items()}
        except urllib.error.HTTPError as error:
            return error.code, error.read(), {k.lower(): v for k, v in error.headers.items()}


_lock = threading.Lock()
_edge: Edge | None = None


def acquire(workdir: Path) -> Edge:
    global _edge
    with _lock:
        if _edge is None:
            site_dir = workdir / "site"
            site_dir.mkdir(parents=True, exist_ok=True)
            site = SiteServer(site_dir, free_port())
            fake = FakeApi()
            rasa_port = free_port()
            env = {
                "CLINIC_SITE_ORIGINS": f"{site.url},http://127.0.0.1:{rasa_port}",
                "CLINIC_ACTION_TOKEN": ACTION_TOKEN,
                "TELEGRAM_ACCESS_TOKEN": TELEGRAM_TOKEN,
                "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
                "TELEGRAM_API_URL": fake.url,
                "TWILIO_ACCOUNT_SID": TWILIO_SID,
                "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
                "TWILIO_NUMBER": TWILIO_NUMBER,
                "TWILIO_API_URL": fake.url,
                "FACEBOOK_VERIFY_TOKEN": FB_VERIFY,
                "FACEBOOK_APP_SECRET": FB_SECRET,
                "FACEBOOK_PAGE_ACCESS_TOKEN": FB_PAGE_TOKEN,
                "FACEBOOK_GRAPH_URL": fake.url + "/v18.0",
                # no route out: a call to the real APIs would fail instead of leaving the machine
                "HTTPS_PROXY": "http://127.0.0.1:9",
                "HTTP_PROXY": "http://127.0.0.1:9",
                "NO_PROXY": "127.0.0.1,localhost",
            }
            try:
                assistant = start_assistant(
                    workdir / "assistant", extra_env=env, rasa_port=rasa_port
                )
            except Exception:
                fake.stop()
                site.stop()
                raise
            _edge = Edge(assistant, fake, site)
        _edge.users += 1
        return _edge


def release() -> None:
    global _edge
    with _lock:
        if _edge is None:
            return
        _edge.users -= 1
        if _edge.users <= 0:
            _edge.assistant.stop()
            _edge.fake.stop()
            _edge.site.stop()
            _edge = None


# ---- signing like the real services do ----


def twilio_signature(url: str, params: dict[str, str], auth_token: str = TWILIO_TOKEN) -> str:
    data = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(
        hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    ).decode()


def messenger_signature(body: bytes, secret: str = FB_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
