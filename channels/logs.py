"""Structured logs: one JSON object per line, without personal data.

Records carry the time, level, logger and message; `extra={"fields": {...}}`
adds structured fields. What could carry personal data is left out:
* an exception is logged by its type only: exception messages and tracebacks
  can quote what a client wrote (a health condition, a phone number);
* Rasa's own structured events (structlog, logged as a JSON string) keep only
  their event name and description: Rasa adds the frame locals of an error,
  which hold slot values (see README);
* tokens in URLs (?token=, ?access_token=) are masked.
Run Rasa at INFO or WARNING in production: at DEBUG (-vv) Rasa itself prints
message texts, and these filters cannot know every such line.
"""
from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

_TOKEN_IN_URL = re.compile(r"([?&](?:token|access_token|auth_token)=)[^&\s'\"]+", re.I)
STRUCTLOG_KEYS = ("event", "event_info", "level")
SANIC_LOGGERS = ("sanic.root", "sanic.error", "sanic.access", "sanic.server")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string
            message = str(record.msg)
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
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
        out["exc_type"] = ",".join(str(e.get("exc_type")) for e in exceptions if isinstance(e, dict))
    return out


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
