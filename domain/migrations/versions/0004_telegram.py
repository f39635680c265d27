"""Telegram: button menus, whose short tokens stand in for payloads in callback data.

Revision ID: 0004_telegram
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import domain.models

revision: str = "0004_telegram"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "button_menus",
        sa.Column("token", sa.String(length=16), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_ref", sa.String(length=128), nullable=False),
        sa.Column("user_ref", sa.String(length=128), nullable=False),
        sa.Column("payloads", sa.JSON(), nullable=False),
        sa.Column("created_at", domain.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_button_menus")),
    )
    with op.batch_alter_table("button_menus", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_button_menus_created_at"), ["created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("button_menus", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_button_menus_created_at"))
    op.drop_table("button_menus")
