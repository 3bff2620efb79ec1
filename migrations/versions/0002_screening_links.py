"""Binding pre-screen outcomes: screening_links, and held bookings.

A pre-screen outcome stricter than ok is tied to every conversation, phone
and email of its client (screening_links, deleted with the screening), and a
later booking by the same client with a more lenient outcome is stored with
status 'held' for a therapist's review (clinic_core/screening/binding.py).

Revision ID: 0002_screening_links
Revises: 0001_initial
Create Date: 2026-12-01
"""

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0002_screening_links"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

#: the status CHECK as the model names it, and as 0001 created it (the naming
#: convention was applied to its already-full name there)
STATUS_CHECK = "ck_bookings_status"
STATUS_CHECK_0001 = "ck_bookings_ck_bookings_status"


@contextmanager
def _slot_claims_kept() -> Iterator[None]:
    """SQLite cannot change a CHECK constraint: batch mode copies `bookings`
    to a new table and drops the old one, and with foreign keys on (the
    store's engine turns them on, and a pragma cannot switch them off inside
    the migration's transaction) that DROP cascades to `slot_claims`: every
    booking would lose its claim on its time. So the claims are copied
    aside first and put back after."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TEMP TABLE slot_claims_0002 AS SELECT * FROM slot_claims")
    yield
    if sqlite:
        op.execute(
            "INSERT INTO slot_claims SELECT * FROM slot_claims_0002 "
            "WHERE id NOT IN (SELECT id FROM slot_claims)"
        )
        op.execute("DROP TABLE slot_claims_0002")


def upgrade() -> None:
    op.create_table(
        "screening_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("screening_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(255), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["screening_id"],
            ["screenings.id"],
            ondelete="CASCADE",
            name="fk_screening_links_screening_id_screenings",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_screening_links"),
    )
    for column in ("screening_id", "sender_id", "phone", "email"):
        op.create_index(f"ix_screening_links_{column}", "screening_links", [column])
    with _slot_claims_kept():
        with op.batch_alter_table("bookings") as batch:
            batch.drop_constraint(op.f(STATUS_CHECK_0001), type_="check")
            batch.create_check_constraint(
                op.f(STATUS_CHECK), "status IN ('booked', 'held', 'cancelled')"
            )


def downgrade() -> None:
    # a held booking was never confirmed: it goes back as cancelled, not booked
    op.execute("UPDATE bookings SET status = 'cancelled' WHERE status = 'held'")
    with _slot_claims_kept():
        with op.batch_alter_table("bookings") as batch:
            batch.drop_constraint(op.f(STATUS_CHECK), type_="check")
            batch.create_check_constraint(
                op.f(STATUS_CHECK_0001), "status IN ('booked', 'cancelled')"
            )
    for column in ("email", "phone", "sender_id", "screening_id"):
        op.drop_index(f"ix_screening_links_{column}", table_name="screening_links")
    op.drop_table("screening_links")
