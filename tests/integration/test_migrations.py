"""Alembic: upgrade head on an empty database, models match, downgrade base."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import clinic_core.handover  # noqa: F401 - the staff console's tables are in Base.metadata
import clinic_core.staff  # noqa: F401
from clinic_core.booking_store import VERSION_TABLE, Base, alembic_config, make_engine

REPO = Path(__file__).resolve().parents[2]
TABLES = {"bookings", "slot_claims", "callbacks", "outbox", "screenings",
          "staff_users", "staff_sessions", "audit_log", "staff_notes", "handovers"}


def test_upgrade_then_downgrade(db_url):
    engine = make_engine(db_url)
    try:
        assert not set(inspect(engine).get_table_names())
        config = alembic_config()
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
        tables = set(inspect(engine).get_table_names())
        assert TABLES | {VERSION_TABLE} <= tables

        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True, "version_table": VERSION_TABLE})
            diff = compare_metadata(context, Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"

        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
            connection.commit()
        assert set(inspect(engine).get_table_names()) <= {VERSION_TABLE}
    finally:
        engine.dispose()


def test_alembic_command_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = dict(os.environ, CLINIC_DB_URL=url)
    alembic = [sys.executable, "-m", "alembic", "-c", str(REPO / "alembic.ini")]
    for args in (["upgrade", "head"], ["current"], ["downgrade", "base"]):
        out = subprocess.run(alembic + args, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
    assert (tmp_path / "cli.db").exists()
