"""Scheduler and delivery: outbox platform and expiry, due index, greeting texts, sweep runs

Revision ID: 0006_scheduler
Revises: 0001
Create Date: 2026-12-03 16:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import domain.models

revision: str = "0006_scheduler"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("platform", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("expires_at", domain.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_outbox_status_not_before", ["status", "not_before"], unique=False)

    op.create_table(
        "greeting_texts",
        sa.Column("occasion", sa.String(length=32), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("updated_at", domain.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("occasion", "locale", name=op.f("pk_greeting_texts")),
    )
    op.create_table(
        "sweep_runs",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("last_run_at", domain.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_enqueued", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sweep_runs")),
    )


def downgrade() -> None:
    op.drop_table("sweep_runs")
    op.drop_table("greeting_texts")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_status_not_before")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("platform")
