"""The scale-out test (marker `scale`) starts real services and two replicas:
about 5 minutes on 2 cores. It runs in CI (CI=true) and when CLINIC_SCALE=1;
CLINIC_SKIP_SCALE=1 skips it anywhere. The deployment-file checks always run.
"""

from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "scale: starts PostgreSQL, Redis, RabbitMQ, nginx and two replicas"
    )


def scale_enabled() -> bool:
    if os.environ.get("CLINIC_SKIP_SCALE") == "1":
        return False
    return os.environ.get("CLINIC_SCALE") == "1" or os.environ.get("CI", "").lower() == "true"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if scale_enabled():
        return
    skip = pytest.mark.skip(
        reason="scale-out test: set CLINIC_SCALE=1 (CI runs it), or `make scale-test`"
    )
    for item in items:
        if item.get_closest_marker("scale") is not None:
            item.add_marker(skip)
