"""Initial clinic schema: bookings, slot claims, call-backs, outbox, screenings.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(8), nullable=False),
        sa.Column("service_id", sa.String(64), nullable=False),
        sa.Column("therapist_id", sa.String(64), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("start_at", sa.DateTime(), nullable=False),
        sa.Column("end_at", sa.DateTime(), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("screening_outcome", sa.String(32), nullable=True),
        sa.Column("screening_reasons", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("erased_at", sa.DateTime(), nullable=True),
        sa.Column("sender_id", sa.String(255), nullable=True),
        sa.CheckConstraint("status IN ('booked', 'cancelled')", name="ck_bookings_status"),
        sa.PrimaryKeyConstraint("id", name="pk_bookings"),
        sa.UniqueConstraint("reference", name="uq_bookings_reference"),
    )
    op.create_index("ix_bookings_start_at", "bookings", ["start_at"])
    op.create_index("ix_bookings_phone", "bookings", ["phone"])
    op.create_index("ix_bookings_email", "bookings", ["email"])
    op.create_index("ix_bookings_sender_id", "bookings", ["sender_id"])

    op.create_table(
        "slot_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("therapist_id", sa.String(64), nullable=False),
        sa.Column("slot_start", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            ondelete="CASCADE",
            name="fk_slot_claims_booking_id_bookings",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_slot_claims"),
        # the double-booking guard: one row per therapist per 5-minute cell
        sa.UniqueConstraint("therapist_id", "slot_start", name="uq_slot_claims_therapist_slot"),
    )
    op.create_index("ix_slot_claims_booking_id", "slot_claims", ["booking_id"])

    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("best_time", sa.String(200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("sender_id", sa.String(255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_callbacks"),
    )
    op.create_index("ix_callbacks_phone", "callbacks", ["phone"])
    op.create_index("ix_callbacks_sender_id", "callbacks", ["sender_id"])
    op.create_index("ix_callbacks_created_at", "callbacks", ["created_at"])

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("failed_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
    )
    op.create_index("ix_outbox_next_attempt_at", "outbox", ["next_attempt_at"])
    op.create_index("ix_outbox_delivered_at", "outbox", ["delivered_at"])

    op.create_table(
        "screenings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(255), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("retain_until", sa.DateTime(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("reviewed_by", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_screenings"),
    )
    op.create_index("ix_screenings_sender_id", "screenings", ["sender_id"])
    op.create_index("ix_screenings_retain_until", "screenings", ["retain_until"])


def downgrade() -> None:
    op.drop_index("ix_screenings_retain_until", table_name="screenings")
    op.drop_index("ix_screenings_sender_id", table_name="screenings")
    op.drop_table("screenings")
    op.drop_index("ix_outbox_delivered_at", table_name="outbox")
    op.drop_index("ix_outbox_next_attempt_at", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_callbacks_created_at", table_name="callbacks")
    op.drop_index("ix_callbacks_sender_id", table_name="callbacks")
    op.drop_index("ix_callbacks_phone", table_name="callbacks")
    op.drop_table("callbacks")
    op.drop_index("ix_slot_claims_booking_id", table_name="slot_claims")
    op.drop_table("slot_claims")
    op.drop_index("ix_bookings_sender_id", table_name="bookings")
    op.drop_index("ix_bookings_email", table_name="bookings")
    op.drop_index("ix_bookings_phone", table_name="bookings")
    op.drop_index("ix_bookings_start_at", table_name="bookings")
    op.drop_table("bookings")
