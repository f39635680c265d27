"""WeChat: access tokens shared by all processes, and when each chat account last wrote.

Revision ID: 0005_wechat
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import domain.models

revision: str = "0005_wechat"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "platform_access_tokens",
        sa.Column("app", sa.String(length=100), nullable=False),
        sa.Column("token", sa.String(length=1024), nullable=True),
        sa.Column("expires_at", domain.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", domain.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refreshed_at", domain.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refreshes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("app", name=op.f("pk_platform_access_tokens")),
    )
    op.create_table(
        "chat_contacts",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("last_inbound_at", domain.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("unsubscribed_at", domain.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("platform", "external_id", name=op.f("pk_chat_contacts")),
    )


def downgrade() -> None:
    op.drop_table("chat_contacts")
    op.drop_table("platform_access_tokens")
