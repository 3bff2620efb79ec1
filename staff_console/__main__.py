"""python -m staff_console: serve the console on STAFF_HOST:STAFF_PORT
(127.0.0.1:5080 unless configured). One worker: sessions and audit live in
the database, the login throttle and the per-session audit memory in the
process.

Logs as the assistant's servers do (clinic_core/logs.py): one JSON object per
line (CLINIC_LOG_FORMAT=plain for text), exceptions by their type only, and
no library line that repeats what someone typed; the console's own lines
name record ids at most, never a client's name, number or health words."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from .config import ConfigError, Settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m staff_console", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--host", help="default $STAFF_HOST or 127.0.0.1")
    parser.add_argument("--port", type=int, help="default $STAFF_PORT or 5080")
    args = parser.parse_args(argv)
    from clinic_core.logs import SANIC_LOGGERS, configure_json_logging, install_log_privacy

    json_logs = (os.environ.get("CLINIC_LOG_FORMAT") or "json").lower() == "json"
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("staff_console").setLevel(logging.INFO)
    if json_logs:
        configure_json_logging()  # before anything logs (a library's warning at start-up)
    install_log_privacy()
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"staff console: {error}", file=sys.stderr)
        return 2
    from .app import create_app

    app = create_app(settings)
    if json_logs:
        configure_json_logging()  # again: Sanic gave its own loggers handlers in create_app
        for name in SANIC_LOGGERS:  # each line once: through Sanic's handler, not the root's too
            logging.getLogger(name).propagate = not logging.getLogger(name).handlers
    # no access log: paths carry record ids, and the audit log is the record of who saw what
    app.run(
        host=args.host or settings.host,
        port=args.port or settings.port,
        access_log=False,
        workers=1,
        debug=False,
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
