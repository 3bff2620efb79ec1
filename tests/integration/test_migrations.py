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

import clinic_core.handover  # noqa: F401 - the staff console's tables are in Base.metadata
import clinic_core.staff  # noqa: F401
from clinic_core.booking_store import VERSION_TABLE, Base, alembic_config, make_engine

REPO = Path(__file__).resolve().parents[2]
#: what each revision adds, in chain order (one head: 0003 follows 0002)
CHAIN = (
    ("0001_initial", {"bookings", "slot_claims", "callbacks", "outbox", "screenings"}),
    ("0002_screening_links", {"screening_links"}),
    (
        "0003_staff_console",
        {"staff_users", "staff_sessions", "audit_log", "staff_notes", "handovers"},
    ),
)
TABLES = set().union(*(added for _, added in CHAIN))


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
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "version_table": VERSION_TABLE}
            )
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
        out = subprocess.run(
            alembic + args, cwd=REPO, env=env, capture_output=True, text=True, timeout=120
        )
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
            connection.execute(
                text(
                    "INSERT INTO bookings (id, reference, service_id, therapist_id, minutes, start_at, end_at, "
                    "status, created_at) VALUES (1, 'AB2CD3', 'body_massage', 'anna', 60, '2026-12-10 10:00:00', "
                    "'2026-12-10 11:00:00', 'booked', '2026-12-01 10:00:00')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO slot_claims (booking_id, therapist_id, slot_start) "
                    "VALUES (1, 'anna', '2026-12-10 10:00:00'), (1, 'anna', '2026-12-10 10:05:00')"
                )
            )
        migrate(command.upgrade, "head")
        assert rows("SELECT count(*) FROM slot_claims") == [(2,)]
        with engine.begin() as connection:
            connection.execute(text("UPDATE bookings SET status = 'held'"))  # allowed now
        migrate(command.downgrade, "0001_initial")
        assert rows("SELECT status FROM bookings") == [
            ("cancelled",)
        ]  # never confirmed: not booked
        assert rows("SELECT count(*) FROM slot_claims") == [(2,)]
    finally:
        engine.dispose()


def test_the_chain_steps_up_and_down_one_revision_at_a_time(db_url):
    """0001 -> 0002 -> 0003 and back, one step each, on SQLite and PostgreSQL:
    one head (0003 re-chained after 0002), each step adds or removes exactly
    its own tables, and a held booking, its claims and a call-back request
    made before 0003 survive it both ways (0003 copies `callbacks` on SQLite)."""
    from alembic.script import ScriptDirectory

    config = alembic_config()
    script = ScriptDirectory.from_config(config)
    assert script.get_heads() == [CHAIN[-1][0]]
    assert [r.revision for r in script.walk_revisions("base", "heads")][::-1] == [
        rev for rev, _ in CHAIN
    ]

    engine = make_engine(db_url)

    def migrate(step, revision):
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            step(config, revision)
            connection.commit()

    def tables():
        return set(inspect(engine).get_table_names()) - {VERSION_TABLE}

    def rows(sql):
        with engine.connect() as connection:
            return connection.execute(text(sql)).all()

    try:
        expected = set()
        for revision, added in CHAIN:
            migrate(command.upgrade, revision)
            expected |= added
            assert tables() == expected, revision
            if revision == "0002_screening_links":
                with engine.begin() as connection:
                    connection.execute(
                        text(
                            "INSERT INTO bookings (id, reference, service_id, therapist_id, minutes, start_at, end_at, "
                            "status, created_at) VALUES (1, 'AB2CD3', 'body_massage', 'anna', 60, "
                            "'2026-12-10 10:00:00', '2026-12-10 11:00:00', 'held', '2026-12-01 10:00:00')"
                        )
                    )
                    connection.execute(
                        text(
                            "INSERT INTO slot_claims (booking_id, therapist_id, slot_start) "
                            "VALUES (1, 'anna', '2026-12-10 10:00:00')"
                        )
                    )
                    connection.execute(
                        text(
                            "INSERT INTO callbacks (id, phone, best_time, created_at) "
                            "VALUES (7, '+447700900123', 'mornings', '2026-12-01 10:00:00')"
                        )
                    )
        assert rows("SELECT id, called_at, called_by FROM callbacks") == [(7, None, None)]
        assert rows("SELECT status FROM bookings") == [("held",)]
        assert rows("SELECT count(*) FROM slot_claims") == [(1,)]

        for (revision, added), (previous, _) in zip(
            CHAIN[::-1], CHAIN[-2::-1] + (("base", set()),), strict=True
        ):
            migrate(command.downgrade, previous)
            expected -= added
            assert tables() == expected, f"after downgrading {revision}"
            if previous == "0002_screening_links":
                assert rows("SELECT id, phone, best_time FROM callbacks") == [
                    (7, "+447700900123", "mornings")
                ]
                assert rows("SELECT status FROM bookings") == [("held",)]
                assert rows("SELECT count(*) FROM slot_claims") == [(1,)]
        assert tables() == set()
    finally:
        engine.dispose()
