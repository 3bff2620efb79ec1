"""Alembic environment for the clinic database (see alembic.ini)."""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context

import clinic_core.handover  # noqa: F401 - the staff console's tables join Base.metadata
import clinic_core.staff  # noqa: F401
from clinic_core.booking_store import DEFAULT_DB_URL, VERSION_TABLE, Base, make_engine

config = context.config
if config.config_file_name is not None and not config.attributes.get("connection"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _url() -> str:
    return (
        os.environ.get("CLINIC_DB_URL")
        or config.get_main_option("sqlalchemy.url")
        or DEFAULT_DB_URL
    )


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",  # ALTER TABLE on SQLite
        compare_type=True,
    )


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # handed over by BookingStore / tests
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
