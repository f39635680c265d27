"""Broadcasts: managers' announcements to segments and one row per person they reach

Revision ID: 0007_broadcasts
Revises: 0001
Create Date: 2026-12-03 17:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import domain.models

revision: str = "0007_broadcasts"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    when = domain.models.UTCDateTime(timezone=True)
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("compose_key", sa.String(length=200), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("bodies", sa.JSON(), nullable=False),
        sa.Column("nudge_bodies", sa.JSON(), nullable=False),
        sa.Column("attachment_kind", sa.String(length=16), nullable=True),
        sa.Column("attachment_name", sa.String(length=200), nullable=True),
        sa.Column("attachment_type", sa.String(length=100), nullable=True),
        sa.Column("attachment", sa.LargeBinary(), nullable=True),
        sa.Column("segment", sa.JSON(), nullable=False),
        sa.Column("requires_ack", sa.Boolean(), nullable=False),
        sa.Column("nudge_interval_hours", sa.Integer(), nullable=False),
        sa.Column("max_nudges", sa.Integer(), nullable=False),
        sa.Column("nudges_sent", sa.Integer(), nullable=False),
        sa.Column("last_nudged_at", when, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("targeted", sa.Integer(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("send_at", when, nullable=True),
        sa.Column("started_at", when, nullable=True),
        sa.Column("finished_at", when, nullable=True),
        sa.Column("cancelled_at", when, nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_broadcasts_author_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
        sa.UniqueConstraint("compose_key", name=op.f("uq_broadcasts_compose_key")),
    )
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_broadcasts_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_broadcasts_send_at"), ["send_at"], unique=False)

    op.create_table(
        "broadcast_recipients",
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=True),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("province", sa.String(length=50), nullable=True),
        sa.Column("city", sa.String(length=50), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("acknowledged_at", when, nullable=True),
        sa.Column("nudges", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name=op.f("fk_broadcast_recipients_broadcast_id_broadcasts"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_broadcast_recipients_user_id_users")
        ),
        sa.PrimaryKeyConstraint("broadcast_id", "user_id", name=op.f("pk_broadcast_recipients")),
    )
    with op.batch_alter_table("broadcast_recipients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_broadcast_recipients_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("broadcast_recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_broadcast_recipients_user_id"))
    op.drop_table("broadcast_recipients")
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_broadcasts_send_at"))
        batch_op.drop_index(batch_op.f("ix_broadcasts_status"))
    op.drop_table("broadcasts")
