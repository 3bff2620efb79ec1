"""python -m staff_console: serve the console on STAFF_HOST:STAFF_PORT
(127.0.0.1:5080 unless configured). One worker: sessions and audit live in
the database, the login throttle and the per-session audit memory in the
process."""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Optional, Sequence

from .config import ConfigError, Settings


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m staff_console", description=__doc__.split("\n")[0])
    parser.add_argument("--host", help="default $STAFF_HOST or 127.0.0.1")
    parser.add_argument("--port", type=int, help="default $STAFF_PORT or 5080")
    args = parser.parse_args(argv)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    ours = logging.getLogger("staff_console")  # Sanic configures its own loggers
    ours.addHandler(handler)
    ours.setLevel(logging.INFO)
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"staff console: {error}", file=sys.stderr)
        return 2
    from .app import create_app

    app = create_app(settings)
    # no access log: paths carry record ids, and the audit log is the record of who saw what
    app.run(host=args.host or settings.host, port=args.port or settings.port, access_log=False,
            workers=1, debug=False)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
