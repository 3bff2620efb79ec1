from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.assistant import Assistant, start_assistant


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """The running assistant (one per test session: start-up takes ~30 s)."""
    running = start_assistant(Path(tmp_path_factory.mktemp("assistant")))
    yield running
    running.stop()
