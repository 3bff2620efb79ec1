from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.channels import harness


@pytest.fixture(scope="session")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.Edge]:
    """The running assistant (shared with tests/channels in one pytest run)."""
    running = harness.acquire(tmp_path_factory.mktemp("edge"))
    yield running
    harness.release()
