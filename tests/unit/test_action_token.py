"""The action server's shared token and where it may listen (issue 12, item 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.assistant import free_port

ROOT = Path(__file__).resolve().parents[2]


def _serve(args: list[str], env_extra: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("CLINIC_ACTION_TOKEN", "SANIC_HOST")}
    env.update({"TF_CPP_MIN_LOG_LEVEL": "3", **env_extra})
    try:
        return subprocess.run(
            [sys.executable, "-m", "actions.serve", "--port", str(free_port()), *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
        )
    except subprocess.TimeoutExpired as running:
        pytest.fail(
            f"the action server started on a public address without a token: {running.stderr!r}"[
                :500
            ]
        )


@pytest.mark.parametrize(
    "args, env",
    [
        (["--host", "0.0.0.0"], {}),
        ([], {"SANIC_HOST": "0.0.0.0"}),  # rasa_sdk's own way to pick the address
        (["--host", "0.0.0.0"], {"CLINIC_ACTION_TOKEN": "change-me"}),  # a placeholder is no secret
    ],
)
def test_the_action_server_refuses_a_public_address_without_a_real_token(
    args: list[str], env: dict[str, str]
) -> None:
    proc = _serve(args, env)
    assert proc.returncode == 2, proc.stderr[-500:]
    assert "action server not started" in proc.stderr and "CLINIC_ACTION_TOKEN" in proc.stderr


def test_refusal_rules() -> None:
    from clinic_core import action_token

    saved = os.environ.pop("CLINIC_ACTION_TOKEN", None)
    try:
        for host in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"):
            assert action_token.refusal(host) is None, host
        for host in ("0.0.0.0", "::", "10.0.0.5", "actions.internal"):
            assert "CLINIC_ACTION_TOKEN" in (action_token.refusal(host) or ""), host
        os.environ["CLINIC_ACTION_TOKEN"] = "x" * action_token.MIN_TOKEN_CHARS
        assert action_token.refusal("0.0.0.0") is None
    finally:
        os.environ.pop("CLINIC_ACTION_TOKEN", None)
        if saved is not None:
            os.environ["CLINIC_ACTION_TOKEN"] = saved


def test_rasa_shell_endpoints_send_the_token_without_writing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rasa.core.utils import AvailableEndpoints

    from clinic_core.action_token import HEADER, endpoints_with_header

    written = tmp_path / "endpoints.yml"
    written.write_text(endpoints_with_header((ROOT / "endpoints.yml").read_text()))
    monkeypatch.setenv("CLINIC_ACTION_TOKEN", "secret-token-value-0123456789")
    assert "secret-token-value" not in written.read_text()
    endpoints = AvailableEndpoints.read_endpoints(str(written))
    assert endpoints.action.headers == {HEADER: "secret-token-value-0123456789"}
    assert endpoints.action.url == "http://127.0.0.1:5055/webhook"
    assert endpoints.tracker_store.type == "rasa_ext.sql_tracker_store.ClinicSQLTrackerStore"
