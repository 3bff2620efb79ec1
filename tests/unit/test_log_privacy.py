"""What the libraries would repeat of a client's words is withheld from the
logs (clinic_core/logs.py, issue 12 item 7). The whole servers are checked by
tests/channels/test_zz_logs.py; these pin each mechanism."""

from __future__ import annotations

import logging
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from clinic_core import logs

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "warning, logged",
    [
        (
            "Failed to parse arguments in line '/I'm 20 weeks pregnant'. Failed to decode parameters",
            "Failed to parse arguments in line [withheld]",
        ),
        (
            "Categorical slot 'massage_type' is set to a value ('Jane 07911 123456') that is not specified",
            "Categorical slot [withheld]",
        ),
        (
            "Parsed an intent 'I take warfarin' which is not defined in the domain.",
            "Parsed an intent [withheld]",
        ),
        (
            "Invalid entity specification: {'name': 'Jane'}. Assuming no entities.",
            "Invalid entity specification [withheld]",
        ),
        ("'setParseAction' deprecated - use 'set_parse_action'", "[withheld]"),
        (
            "No core model. Skipping action prediction and execution.",
            "No core model. Skipping action prediction and execution",
        ),
        ("first line\nsecond line with Jane", "first line [withheld]"),
    ],
)
def test_a_warning_keeps_its_words_up_to_the_first_value(warning: str, logged: str) -> None:
    assert logs.warning_head(warning) == logged


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_warnings_and_sender_echoes_are_withheld() -> None:
    capture = _Capture()
    root = logging.getLogger()
    root.addHandler(capture)
    saved = warnings.showwarning
    try:
        logs.install_log_privacy()
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.showwarning = logs._log_warning  # catch_warnings restores it on the way out
            warnings.warn(
                "Failed to parse arguments in line '/Jane Doe 07911 123456 pregnant'.",
                UserWarning,
                stacklevel=1,
            )
        logging.getLogger("rasa.core.processor").warning(
            "Circuit breaker tripped. Stopped predicting more actions for sender 'whatsapp:+447911123456'."
        )
        logging.getLogger("sanic.error").error(
            "Exception occurred while handling uri: 'http://x/conversations/whatsapp:+447911123456/tracker'"
        )
    finally:
        root.removeHandler(capture)
        warnings.showwarning = saved
    text = "\n".join(capture.lines)
    assert "Failed to parse arguments in line [withheld]" in text
    assert "Circuit breaker tripped" in text and "uri: [withheld]" in text
    for secret in ("Jane", "07911", "447911", "pregnant"):
        assert secret not in text, secret


STRUCTLOG_AS_RASA_IN_A_TERMINAL = r'''
import logging, sys, types
real = sys.stderr
sys.stderr = types.SimpleNamespace(isatty=lambda: True, write=real.write, flush=real.flush)
from rasa.utils.log_utils import configure_structlog
configure_structlog(logging.INFO)  # as `rasa run` does: a console renderer in a terminal
sys.stderr = real
import structlog
log = structlog.get_logger()
log.debug("warm-up")  # the logger is cached with Rasa's processors before ours are added
from clinic_core.logs import install_log_privacy
install_log_privacy()
log.warning("message.parsing.failed", user_text="/Jane Doe 07911 123456 pregnant")
try:
    raise ValueError("Jane Doe 07911 123456")
except ValueError:
    log.exception("processor.actions.failed", slot_values="screening_reasons: pregnancy")
print("done")
'''


def test_rasa_structlog_events_keep_their_names_not_their_values() -> None:
    out = subprocess.run(
        [sys.executable, "-c", STRUCTLOG_AS_RASA_IN_A_TERMINAL],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "message.parsing.failed" in out.stdout and "processor.actions.failed" in out.stdout
    assert "ValueError" in out.stdout
    for secret in ("Jane", "07911", "pregnan"):
        assert secret not in out.stdout + out.stderr, secret
