"""The staff console: accounts, sessions, audit log, notes, hand-overs; call-backs marked called.

Revision ID: 0003_staff_console
Revises: 0002_screening_links
Create Date: 2026-12-01

Issue 14. Written beside issue 12's 0002 and chained after it when both
landed on main: the two touch different tables (0003 only adds columns to
``callbacks``), so the order between them is free, but alembic needs one head.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_staff_console"
down_revision = "0002_screening_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(40), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("therapist_id", sa.String(64), nullable=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_staff_users"),
        sa.UniqueConstraint("username", name="uq_staff_users_username"),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_users.id"],
            ondelete="CASCADE",
            name="fk_staff_sessions_user_id_staff_users",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_staff_sessions"),
    )
    op.create_index("ix_staff_sessions_user_id", "staff_sessions", ["user_id"])
    op.create_index("ix_staff_sessions_last_seen_at", "staff_sessions", ["last_seen_at"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("username", sa.String(40), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("record_type", sa.String(32), nullable=False),
        sa.Column("record_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_table(
        "staff_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(32), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("sender_id", sa.String(255), nullable=True),
        sa.Column("author", sa.String(40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_staff_notes"),
    )
    op.create_index("ix_staff_notes_sender_id", "staff_notes", ["sender_id"])
    op.create_table(
        "handovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(255), nullable=True),
        sa.Column("channel", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("taken_by", sa.String(40), nullable=True),
        sa.Column("taken_by_name", sa.String(100), nullable=True),
        sa.Column("taken_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_handovers"),
    )
    op.create_index("ix_handovers_sender_id", "handovers", ["sender_id"])
    op.create_index("ix_handovers_status", "handovers", ["status"])
    op.create_index("ix_handovers_requested_at", "handovers", ["requested_at"])
    with op.batch_alter_table("callbacks") as batch:
        batch.add_column(sa.Column("called_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("called_by", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("callbacks") as batch:
        batch.drop_column("called_by")
        batch.drop_column("called_at")
    op.drop_index("ix_handovers_requested_at", table_name="handovers")
    op.drop_index("ix_handovers_status", table_name="handovers")
    op.drop_index("ix_handovers_sender_id", table_name="handovers")
    op.drop_table("handovers")
    op.drop_index("ix_staff_notes_sender_id", table_name="staff_notes")
    op.drop_table("staff_notes")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_staff_sessions_last_seen_at", table_name="staff_sessions")
    op.drop_index("ix_staff_sessions_user_id", table_name="staff_sessions")
    op.drop_table("staff_sessions")
    op.drop_table("staff_users")
