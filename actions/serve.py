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

    _use_local_domain_when_none_is_sent()
    from rasa_sdk import endpoint

    from channels.action_token import protect

    create_app = endpoint.create_app

    def create_protected_app(*a, **kw):  # with CLINIC_ACTION_TOKEN set, only Rasa may call
        app = create_app(*a, **kw)
        protect(app)
        return app

    endpoint.create_app = create_protected_app
    endpoint.run("actions", port=args.port)


def _use_local_domain_when_none_is_sent() -> None:
    """The domain/ folder, for calls that come without one.

    endpoints.yml sets `enable_selective_domain`, so Rasa stops serialising
    the whole domain (28 kB of JSON) into every action call: that was the
    largest part of the Rasa server's JSON work per turn (py-spy). The
    actions still need it (forms read their required slots from it), so the
    action server loads the same domain/ folder the model was trained from,
    once, with Rasa's own loader. A call that does carry a domain uses it.
    """
    import os
    from pathlib import Path

    from rasa.shared.core.domain import Domain
    from rasa_sdk.executor import ActionExecutor

    folder = Path(os.environ.get("CLINIC_DOMAIN") or Path(__file__).resolve().parents[1] / "domain")
    local = Domain.load(str(folder)).as_dict()
    original = ActionExecutor.run

    async def run(self: ActionExecutor, action_call: dict) -> dict | None:
        if not action_call.get("domain"):
            action_call = {**action_call, "domain": local}
        return await original(self, action_call)

    ActionExecutor.run = run


if __name__ == "__main__":
    main()
