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

    from rasa_sdk.endpoint import run

    run("actions", port=args.port)


if __name__ == "__main__":
    main()
