"""Starts the real assistant (action server + Rasa server) for tests.

Each test session gets its own ports, tracker database and copies of the
clinic profile and the screening rules, so tests can change a price or a
rule's answer and see it answered without a restart, and never touch a
developer's var/ directory.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
MODEL = Path(os.environ.get("CLINIC_MODEL") or ROOT / "models" / "clinic.tar.gz")
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, timeout: float, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} not ready after {timeout}s:\n{log.read_text()[-3000:]}")


@dataclass
class Assistant:
    url: str
    token: str
    workdir: Path
    procs: list[subprocess.Popen] = field(default_factory=list)

    @property
    def profile_path(self) -> Path:
        return self.workdir / "profile.yml"

    @property
    def rules_path(self) -> Path:
        """This assistant's copy of clinic/screening_rules.yml."""
        return self.workdir / "screening_rules.yml"

    def send(self, sender: str, text: str, timeout: float = 60) -> list[dict[str, Any]]:
        """Posts a message like the REST channel's clients do; returns replies."""
        body = json.dumps({"sender": sender, "message": text}).encode()
        return self.post_raw("/webhooks/rest/webhook", body, timeout=timeout)

    def post_raw(self, path: str, body: bytes, timeout: float = 60) -> Any:
        req = urllib.request.Request(
            self.url + path, data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read() or b"null")

    def parse(self, text: str) -> dict[str, Any]:
        """What the NLU makes of a message outside any conversation (Rasa's
        /model/parse: no form active)."""
        body = json.dumps({"text": text}).encode()
        return self.post_raw(f"/model/parse?token={self.token}", body)

    def tracker(self, sender: str) -> dict[str, Any]:
        with urllib.request.urlopen(
            f"{self.url}/conversations/{sender}/tracker?token={self.token}", timeout=30
        ) as r:
            return json.loads(r.read())

    def slot(self, sender: str, name: str) -> Any:
        return self.tracker(sender)["slots"].get(name)

    def alive(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/", timeout=5) as r:
                return r.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def new_sender() -> str:
    return "test-" + uuid.uuid4().hex[:12]


def write_endpoints(path: Path, actions_port: int, tracker_db: Path) -> Path:
    """The repository's endpoints.yml (what `make run` uses), with this run's
    action server and tracker database: the tests run what clients get."""
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{actions_port}/webhook"
    endpoints["tracker_store"]["db"] = str(tracker_db)
    path.write_text(yaml.safe_dump(endpoints))
    return path


def start_assistant(
    workdir: Path, extra_env: dict[str, str] | None = None, rasa_port: int | None = None
) -> Assistant:
    """extra_env: added to the environment of both servers (e.g. a channel's
    settings); rasa_port: when the caller must know the URL beforehand."""
    if not MODEL.exists():
        raise RuntimeError("no trained model: run scripts/setup.sh (make test does)")
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "clinic" / "profile.yml", workdir / "profile.yml")
    shutil.copy(ROOT / "clinic" / "screening_rules.yml", workdir / "screening_rules.yml")
    rasa_port, actions_port = rasa_port or free_port(), free_port()
    token = uuid.uuid4().hex
    write_endpoints(workdir / "endpoints.yml", actions_port, workdir / "tracker.db")
    env = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONHASHSEED": "0",
        "CLINIC_PROFILE": str(workdir / "profile.yml"),
        "CLINIC_SCREENING_RULES": str(workdir / "screening_rules.yml"),
        "CLINIC_DB_URL": f"sqlite:///{workdir / 'clinic.db'}",
        **(extra_env or {}),
    }
    actions_log = workdir / "actions.log"
    actions = subprocess.Popen(
        [str(BIN / "python"), "-m", "actions.serve", "--port", str(actions_port)],
        cwd=ROOT,
        env=env,
        stdout=actions_log.open("w"),
        stderr=subprocess.STDOUT,
    )
    assistant = Assistant(f"http://127.0.0.1:{rasa_port}", token, workdir, [actions])
    try:
        _wait(f"http://127.0.0.1:{actions_port}/health", 90, actions, actions_log)
        rasa_log = workdir / "rasa.log"
        rasa = subprocess.Popen(
            [
                str(BIN / "rasa"),
                "run",
                "-m",
                str(MODEL),
                "--endpoints",
                str(workdir / "endpoints.yml"),
                "--credentials",
                os.environ.get("CLINIC_CREDENTIALS") or str(ROOT / "credentials.yml"),
                "--port",
                str(rasa_port),
                "--enable-api",
                "--auth-token",
                token,
            ],
            cwd=ROOT,
            env=env,
            stdout=rasa_log.open("w"),
            stderr=subprocess.STDOUT,
        )
        assistant.procs.append(rasa)
        _wait(f"{assistant.url}/status?token={token}", 240, rasa, rasa_log)
    except Exception:
        assistant.stop()
        raise
    return assistant


def texts(replies: list[dict[str, Any]]) -> str:
    """All reply texts of one turn, joined: what the client reads."""
    return "\n".join(r.get("text") or "" for r in replies)


def buttons(replies: list[dict[str, Any]]) -> list[str]:
    return [b["payload"] for r in replies for b in r.get("buttons") or []]


def set_slots(assistant: Assistant, sender: str, slots: dict[str, Any]) -> None:
    """Starts a conversation with a finished pre-screen, through Rasa's HTTP
    API (for tests about what comes after it)."""
    # the session start first: the tracker store orders events by timestamp,
    # and a session started after these slots would reset them
    events = [
        {"event": "action", "name": "action_session_start"},
        {"event": "session_started"},
        {"event": "action", "name": "action_listen"},
    ]
    events += [{"event": "slot", "name": name, "value": value} for name, value in slots.items()]
    req = urllib.request.Request(
        f"{assistant.url}/conversations/{sender}/tracker/events?token={assistant.token}",
        data=json.dumps(events).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == 200


def offers_booking(replies: list[dict[str, Any]]) -> bool:
    """Whether a button of the replies starts a booking: "Book a session",
    or one of the lengths a check-only pre-screen's outcome offers ("Book
    60 min (£65)": action_book takes the length from it)."""
    return any(
        p == "/book_appointment" or p.startswith('/inform_booking{"booking_choice": "minutes ')
        for p in buttons(replies)
    )
