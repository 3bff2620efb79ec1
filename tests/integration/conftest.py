"""A real PostgreSQL server for the integration tests (scripts/pg_test_server.sh).

Set CLINIC_SKIP_PG=1 to skip the PostgreSQL variants; otherwise a server that
cannot be installed or started fails the tests that need it.
"""
from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "pg_test_server.sh"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """URL of the server's clinic_test database (admin access as postgres)."""
    if os.environ.get("CLINIC_SKIP_PG") == "1":
        pytest.skip("PostgreSQL tests skipped because CLINIC_SKIP_PG=1")
    out = subprocess.run(["bash", str(SCRIPT), "start"], capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        pytest.fail(f"could not start PostgreSQL with {SCRIPT}:\n{out.stderr[-4000:]}", pytrace=False)
    values = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    try:
        yield values["PG_TEST_URL"]
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", values["PG_TEST_DIR"]], capture_output=True, timeout=120)


def _admin(url: str, sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty database on the test server for one test."""
    name = f"clinic_{uuid.uuid4().hex[:12]}"
    _admin(pg_server, f'CREATE DATABASE "{name}"')
    base = pg_server.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        _admin(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'clinic.db'}"
    return request.getfixturevalue("pg_url")
