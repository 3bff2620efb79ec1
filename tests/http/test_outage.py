"""The action server goes away: the client gets an apology, not silence."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.assistant import start_assistant, texts


def test_action_server_down_gets_an_apology(tmp_path: Path) -> None:
    assistant = start_assistant(tmp_path / "outage")
    try:
        assert "automated assistant" in texts(assistant.send("outage-1", "hello"))
        actions = assistant.procs[0]
        actions.terminate()
        actions.wait(timeout=30)
        # FAQ answers come from the Rasa server itself: they keep working
        reply = texts(assistant.send("outage-1", "what is therapeutic massage?"))
        assert "Therapeutic massage is" in reply
        # anything that needs a custom action gets the apology, not silence
        reply = texts(assistant.send("outage-1", "what is deep tissue massage?"))
        assert "Sorry, something went wrong on our side" in reply
        assert assistant.alive()
    finally:
        assistant.stop()
