from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.assistant import Assistant, start_assistant

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "pg_test_server.sh"


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """The running assistant (one per test session: start-up takes ~30 s)."""
    running = start_assistant(Path(tmp_path_factory.mktemp("assistant")))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def no_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """A second assistant whose clinic database cannot be opened."""
    running = start_assistant(
        Path(tmp_path_factory.mktemp("no-db")),
        {"CLINIC_DB_URL": "sqlite:////dev/null/unwritable/clinic.db"},
    )
    yield running
    running.stop()


# A real PostgreSQL server (scripts/pg_test_server.sh), started once for the
# tests that need one. Set CLINIC_SKIP_PG=1 to skip them; otherwise a server
# that cannot be installed or started fails those tests.
@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """URL of the server's clinic_test database (admin access as postgres)."""
    if os.environ.get("CLINIC_SKIP_PG") == "1":
        pytest.skip("PostgreSQL tests skipped because CLINIC_SKIP_PG=1")
    out = subprocess.run(
        ["bash", str(SCRIPT), "start"], capture_output=True, text=True, timeout=900
    )
    if out.returncode != 0:
        pytest.fail(
            f"could not start PostgreSQL with {SCRIPT}:\n{out.stderr[-4000:]}", pytrace=False
        )
    values = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    try:
        yield values["PG_TEST_URL"]
    finally:
        subprocess.run(
            ["bash", str(SCRIPT), "stop", values["PG_TEST_DIR"]], capture_output=True, timeout=120
        )
