"""Alembic: upgrade head on an empty database, models match, downgrade base."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from clinic_core.booking_store import VERSION_TABLE, Base, alembic_config, make_engine

REPO = Path(__file__).resolve().parents[2]
TABLES = {"bookings", "slot_claims", "callbacks", "outbox", "screenings", "screening_links"}


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


def test_0002_keeps_every_booking_and_its_claims(db_url):
    """0002 changes the bookings' status CHECK (held): on SQLite that copies
    the table, and the drop of the old one must not cascade to the claims."""
    engine = make_engine(db_url)
    config = alembic_config()

    def migrate(step, revision):
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            step(config, revision)
            connection.commit()

    def rows(sql):
        with engine.connect() as connection:
            return connection.execute(text(sql)).all()

    try:
        migrate(command.upgrade, "0001_initial")
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO bookings (id, reference, service_id, therapist_id, minutes, start_at, end_at, "
                "status, created_at) VALUES (1, 'AB2CD3', 'body_massage', 'anna', 60, '2026-12-10 10:00:00', "
                "'2026-12-10 11:00:00', 'booked', '2026-12-01 10:00:00')"))
            connection.execute(text("INSERT INTO slot_claims (booking_id, therapist_id, slot_start) "
                                    "VALUES (1, 'anna', '2026-12-10 10:00:00'), (1, 'anna', '2026-12-10 10:05:00')"))
        migrate(command.upgrade, "head")
        assert rows("SELECT count(*) FROM slot_claims") == [(2,)]
        with engine.begin() as connection:
            connection.execute(text("UPDATE bookings SET status = 'held'"))  # allowed now
        migrate(command.downgrade, "0001_initial")
        assert rows("SELECT status FROM bookings") == [("cancelled",)]  # never confirmed: not booked
        assert rows("SELECT count(*) FROM slot_claims") == [(2,)]
    finally:
        engine.dispose()
