"""Starts the action server after validating the clinic's content files.

`rasa run actions` would start even with a broken rules file and fail on the
first client; screening wrongly is worse than not starting, so we load and
validate everything first and exit non-zero with the file's error.
"""
from __future__ import annotations

import argparse
import logging
import sys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    from actions import content

    try:
        content.validate_all()
    except Exception as error:  # noqa: BLE001 - any load error must stop start-up
        print(f"action server not started: {error}", file=sys.stderr)
        sys.exit(2)

    from rasa_sdk import endpoint

    from channels.action_token import protect

    create_app = endpoint.create_app

    def create_protected_app(*a, **kw):  # with CLINIC_ACTION_TOKEN set, only Rasa may call
        app = create_app(*a, **kw)
        protect(app)
        return app

    endpoint.create_app = create_protected_app
    endpoint.run("actions", port=args.port)


if __name__ == "__main__":
    main()
