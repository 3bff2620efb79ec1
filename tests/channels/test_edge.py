"""The hardened edge: health and readiness, the widget's files, socket.io
origins, rate limits, and logs without personal data."""

from __future__ import annotations

import json
import urllib.parse

from tests.channels.harness import Edge

POLL = "/socket.io/?EIO=4&transport=polling"


def test_health_and_readiness(edge: Edge) -> None:
    assert edge.get("/healthz")[0] == 200
    status, body, _ = edge.get("/readyz")
    assert status == 200 and json.loads(body)["ready"] is True


def test_widget_files_are_served_and_nothing_else(edge: Edge) -> None:
    status, body, headers = edge.get("/widget/")
    assert status == 200 and b"clinic-chat.js" in body
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    status, body, headers = edge.get("/widget/clinic-chat.js")
    assert status == 200 and headers["content-type"].startswith(
        ("text/javascript", "application/javascript")
    )
    assert edge.get("/widget/vendor/socket.io.min.js")[0] == 200
    status, body, _ = edge.get("/widget/config.js")
    assert status == 200 and b"Harmony Massage Therapy" in body
    for path in (
        "/widget/../credentials.yml",
        "/widget/%2e%2e/credentials.yml",
        "/widget/vendor/socket.io-client.LICENSE",
        "/widget/nothing.js",
    ):
        assert edge.get(path)[0] == 404, path


def test_socketio_accepts_only_the_configured_origins(edge: Edge) -> None:
    status, body, headers = edge.get(POLL, {"Origin": edge.site.url})
    assert status == 200 and b'"sid"' in body
    assert headers.get("access-control-allow-origin") == edge.site.url
    assert edge.get(POLL, {"Origin": "https://evil.example"})[0] == 400
    # no Origin header (not a browser): allowed, the browser's check is what origins are for
    assert edge.get(POLL)[0] == 200


def test_rest_rate_limit_per_sender(edge: Edge) -> None:
    sender = "flood-" + urllib.parse.quote(str(id(edge)))
    codes = [
        edge.post(
            "/webhooks/rest/webhook",
            json.dumps({"sender": sender, "message": "/greet"}).encode(),
            {"Content-Type": "application/json"},
        )[0]
        for _ in range(36)
    ]
    assert codes[:30] == [200] * 30 and codes[-1] == 429


def test_socketio_pin_is_what_runs() -> None:
    """python-socketio 5.10+ breaks Rasa 3.6's channel (enter_room became a
    coroutine); the browser test proves the pinned pair works."""
    import importlib.metadata as md
    import re
    from pathlib import Path

    pins = dict(
        re.findall(
            r"^(python-(?:socketio|engineio))==(\S+)$",
            (Path(__file__).resolve().parents[2] / "requirements.txt").read_text(),
            re.M,
        )
    )
    assert pins == {"python-socketio": "5.9.0", "python-engineio": "4.7.1"}
    for name, version in pins.items():
        assert md.version(name) == version, (
            f"{name} {md.version(name)} installed: run scripts/setup.sh"
        )


def test_vendored_socketio_client_is_the_npm_package() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    vendored = (root / "widget" / "vendor" / "socket.io.min.js").read_text()
    npm = root / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
    version = __import__("json").loads((root / "package.json").read_text())["devDependencies"][
        "socket.io-client"
    ]
    assert f"Socket.IO v{version}" in vendored[:200]
    if npm.exists():  # after scripts/install_test_deps.sh
        expected = "".join(
            line
            for line in npm.read_text().splitlines(True)
            if not line.startswith("//# sourceMappingURL=")
        )
        assert vendored == expected


def test_action_server_refuses_calls_without_the_shared_token(edge: Edge) -> None:
    """Rasa sends CLINIC_ACTION_TOKEN (the FAQ and pre-screen tests go
    through the action server); anyone else gets 401."""
    import re
    import urllib.error
    import urllib.request

    from tests.channels.harness import ACTION_TOKEN

    url = re.search(r"url: (\S+)", (edge.assistant.workdir / "endpoints.yml").read_text()).group(1)
    body = json.dumps(
        {"next_action": "action_session_start", "sender_id": "x", "tracker": {}, "domain": {}}
    ).encode()

    def call(headers: dict[str, str]) -> int:
        req = urllib.request.Request(
            url, data=body, headers={"Content-Type": "application/json", **headers}
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status
        except urllib.error.HTTPError as error:
            return error.code

    assert call({}) == 401
    assert call({"X-Clinic-Action-Token": "guess"}) == 401
    assert call({"X-Clinic-Action-Token": ACTION_TOKEN}) != 401
    assert (
        urllib.request.urlopen(url.rsplit("/webhook", 1)[0] + "/health", timeout=10).status == 200
    )
