"""Logs without personal data: one JSON object per line, and no line of a
third-party library that repeats what a client wrote.

Records carry the time, level, logger and message; `extra={"fields": {...}}`
adds structured fields. What could carry personal data is left out:
* an exception is logged by its type only: exception messages and tracebacks
  can quote what a client wrote (a health condition, a phone number);
* Rasa's own structured events (structlog, logged as a JSON string) keep only
  their event name and description: Rasa adds the frame locals of an error,
  which hold slot values (see README);
* tokens in URLs (?token=, ?access_token=) are masked.

install_log_privacy() (both servers, whatever the format) withholds what the
libraries themselves would repeat, found by reading Rasa 3.6, rasa_sdk 3.6,
Sanic 21.12 and python-socketio 5.9 / engineio 4.7 at the levels the servers
run (Rasa INFO, the action server WARNING) and by tests/channels/test_zz_logs.py:
* Python warnings: Rasa reports a message starting with "/" that is not a
  valid intent payload with a warning that quotes the whole message ("Failed
  to parse arguments in line '/...'"), a payload's unknown intent, entity or
  categorical slot value likewise. A warning is logged as its category, its
  source line and its text up to the first quoted, bracketed or ": "-led
  value;
* structlog events' values (`user_text=...`, `slot_values=...`): withheld
  before Rasa renders them, also when it prints to a terminal;
* a few plain log lines that name the sender (a WhatsApp sender id is a phone
  number) or a URL holding it: the value is withheld (ECHOES);
* socket.io and engine.io log at WARNING: at INFO engine.io prints every
  packet's data (channels/website.py).
Run Rasa at INFO or WARNING in production: at DEBUG (-vv) Rasa itself prints
message texts, and these filters cannot know every such line.

Used by the Rasa server, the action server and the staff console alike,
hence in clinic_core (it imports no Rasa).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import warnings
from pathlib import Path
from typing import Any

_TOKEN_IN_URL = re.compile(r"([?&](?:token|access_token|auth_token)=)[^&\s'\"]+", re.I)
STRUCTLOG_KEYS = ("event", "event_info", "level", "exc_type")
SANIC_LOGGERS = ("sanic.root", "sanic.error", "sanic.access", "sanic.server")
WITHHELD = "[withheld]"

#: plain log lines of the libraries that end in a sender id or a URL with one;
#: group 1 is kept, the rest withheld
ECHOES = (
    # rasa.core.processor, at WARNING; a WhatsApp sender id is a phone number
    re.compile(r"(Circuit breaker tripped\. Stopped predicting more actions for sender ).+", re.S),
    # sanic.error: /conversations/<sender id>/... of the HTTP API
    re.compile(r"(Exception occurred while handling uri: ).+", re.S),
)
#: where a warning's own words end and a value begins
_VALUE_START = re.compile(r"""['"`{\[(<]|:\s""")
#: structlog keys that describe the event, not the conversation
_STRUCTLOG_KEPT = frozenset({"event", "event_info", "level", "timestamp", "logger", "exc_type"})


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string
            message = str(record.msg)
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        structured = _structlog_event(message)
        if structured is not None:
            entry.update(structured)
        else:
            entry["msg"] = _TOKEN_IN_URL.sub(r"\1[redacted]", message)
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            entry["exc_type"] = record.exc_info[0].__name__
        return json.dumps(entry, default=str, ensure_ascii=False)

    def formatException(self, ei: Any) -> str:  # never the traceback text
        return ei[0].__name__ if ei and ei[0] else ""


def _structlog_event(message: str) -> dict[str, Any] | None:
    if not message.startswith("{"):
        return None
    try:
        data = json.loads(message)
    except ValueError:
        return None
    if not isinstance(data, dict) or "event" not in data:
        return None
    out = {("rasa_" + k if k == "level" else k): data[k] for k in STRUCTLOG_KEYS if k in data}
    exceptions = data.get("exception")
    if isinstance(exceptions, list):
        out["exc_type"] = ",".join(
            str(e.get("exc_type")) for e in exceptions if isinstance(e, dict)
        )
    return out


def warning_head(text: str) -> str:
    """A warning's text up to its first value: "Failed to parse arguments in
    line '/I'm pregnant...'" -> "Failed to parse arguments in line [withheld]"."""
    text = str(text).strip()
    first = text.splitlines()[0] if text else ""
    value = _VALUE_START.search(first)
    head = (first[: value.start()] if value else first).rstrip(" .,")
    if value is None and first == text:
        return head
    return f"{head} {WITHHELD}" if head else WITHHELD


def _log_warning(
    message: Any,
    category: type,
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """warnings.showwarning: into the logs, without the values."""
    logging.getLogger("py.warnings").warning(
        "%s: %s",
        getattr(category, "__name__", "Warning"),
        warning_head(str(message)),
        extra={"fields": {"source": f"{Path(filename).name}:{lineno}"}},
    )


def _withhold_echo(record: logging.LogRecord) -> None:
    """Cuts a record that matches ECHOES after the pattern's first group."""
    if record.levelno < logging.INFO:
        return
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string: left to the formatter
        return
    for pattern in ECHOES:
        if pattern.search(message):
            record.msg, record.args = pattern.sub(lambda m: m.group(1) + WITHHELD, message), ()
            return


def _withhold_structlog_values(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """A structlog processor (last before the renderer): the event's name and
    description stay, its values (message text, slots, states) do not, and an
    exception is named by its type (Rasa's renderers print tracebacks with
    frame locals)."""
    exc_types: list[str] = []
    exc_info = event.pop("exc_info", None)
    if isinstance(exc_info, BaseException):
        exc_types.append(type(exc_info).__name__)
    elif isinstance(exc_info, tuple) and exc_info and exc_info[0] is not None:
        exc_types.append(exc_info[0].__name__)
    elif exc_info:
        current = sys.exc_info()[0]
        if current is not None:
            exc_types.append(current.__name__)
    for item in event.pop("exception", None) or []:
        if isinstance(item, dict) and item.get("exc_type"):
            exc_types.append(str(item["exc_type"]))
    for key in list(event):
        if key not in _STRUCTLOG_KEPT:
            event[key] = WITHHELD
    if exc_types:
        event["exc_type"] = ",".join(exc_types)
    return event


def install_log_privacy() -> None:
    """Withholds what third-party libraries would repeat of a client's words
    (module doc). Idempotent; call it once the library has set its logging up
    (Rasa: when the channels are created; the action server: at start)."""
    global _installed
    if not _installed:
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            _withhold_echo(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True
    warnings.showwarning = _log_warning
    try:
        import structlog
    except ImportError:  # pragma: no cover - the action server without Rasa
        return
    # Rasa configured structlog at start-up and its loggers are cached with this
    # very list: changed in place, so that every logger, cached or not, sees it
    processors = structlog.get_config()["processors"]
    if processors and _withhold_structlog_values not in processors:
        processors.insert(len(processors) - 1, _withhold_structlog_values)  # before the renderer


_installed = False


def configure_json_logging() -> None:
    """Gives every handler of the root logger and Sanic's loggers the JSON
    format (Rasa has set the handlers and levels from its command line by
    now), and makes sure the access log is written at INFO even when Rasa
    runs at WARNING."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    for name in ("",) + SANIC_LOGGERS:
        for handler in logging.getLogger(name).handlers:
            handler.setFormatter(JsonFormatter())
    access = logging.getLogger("clinic.access")
    access.setLevel(logging.INFO)
    if not any(isinstance(h.formatter, JsonFormatter) for h in access.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        access.addHandler(handler)
        access.propagate = False
