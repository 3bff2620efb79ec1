"""Last in this folder (pytest runs files in name order): what the channel
tests sent must not be in the assistant's logs."""
from __future__ import annotations

import json

from tests.channels.harness import Edge


def test_logs_are_json_without_message_text_or_numbers(edge: Edge) -> None:
    """Runs after the channel tests in this session (file order): what they
    sent must not be in the assistant's logs."""
    log = (edge.assistant.workdir / "rasa.log").read_text(errors="replace")
    lines = [line for line in log.splitlines() if line.startswith("{")]
    assert lines, "no JSON log lines"
    assert any(json.loads(line).get("logger") == "clinic.access" for line in lines)
    for secret in ("therapeutic massage?", "447700", "6543210987654321", "send this to everyone",
                   "Traceback", '"locals"', "screening_reasons"):
        assert secret not in log, secret
