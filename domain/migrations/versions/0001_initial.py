"""Initial schema: network, identities, invitations, conversations, catalogue, outbox

Revision ID: 0001
Revises:
Create Date: 2026-12-03 16:16:49.146745
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import domain.models

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name_zh", sa.String(length=50), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("name_zh", name=op.f("uq_categories_name_zh")),
    )
    op.create_table(
        "code_attempts",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("misses", sa.Integer(), nullable=False),
        sa.Column("last_miss_at", domain.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", domain.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("platform", "external_id", name=op.f("pk_code_attempts")),
    )
    op.create_table(
        "conversation_states",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_ref", sa.String(length=128), nullable=False),
        sa.Column("user_ref", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=64), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("menu", sa.JSON(), nullable=False),
        sa.Column("menu_takes_numbers", sa.Boolean(), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=8), nullable=False),
        sa.Column("expires_at", domain.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", domain.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "platform", "chat_ref", "user_ref", name=op.f("pk_conversation_states")
        ),
    )
    op.create_table(
        "distributors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("province", sa.String(length=50), nullable=False),
        sa.Column("city", sa.String(length=50), nullable=False),
        sa.Column("grade", sa.String(length=1), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=True),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["distributors.id"], name=op.f("fk_distributors_parent_id_distributors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_distributors")),
        sa.UniqueConstraint("code", name=op.f("uq_distributors_code")),
    )
    with op.batch_alter_table("distributors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_distributors_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_distributors_rep_id"), ["rep_id"], unique=False)

    op.create_table(
        "inbound_receipts",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("received_at", domain.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "key", name=op.f("pk_inbound_receipts")),
    )
    with op.batch_alter_table("inbound_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbound_receipts_received_at"), ["received_at"], unique=False
        )

    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("pack_multiple", sa.Integer(), nullable=False),
        sa.Column("min_order_qty", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_products_category_id_categories")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("sku", name=op.f("uq_products_sku")),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_products_category_id"), ["category_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("distributor_id", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", domain.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["distributor_id"],
            ["distributors.id"],
            name=op.f("fk_users_distributor_id_distributors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("code", name=op.f("uq_users_code")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_users_distributor_id"), ["distributor_id"], unique=False
        )

    # distributors.rep_id and users.distributor_id point at each other: add this one last.
    with op.batch_alter_table("distributors", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_distributors_rep_id_users"), "users", ["rep_id"], ["id"]
        )

    op.create_table(
        "chat_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("chat_ref", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("bound_at", domain.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("unreachable_since", domain.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_chat_identities_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_identities")),
        sa.UniqueConstraint(
            "platform", "external_id", name=op.f("uq_chat_identities_platform_external_id")
        ),
    )
    with op.batch_alter_table("chat_identities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_identities_user_id"), ["user_id"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", domain.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", domain.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", domain.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_outbox_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_dedupe_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_user_id"), ["user_id"], unique=False)

    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("distributor_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("invitee_name", sa.String(length=100), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", domain.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", domain.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", domain.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("used_by_identity_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_invitations_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["distributor_id"],
            ["distributors.id"],
            name=op.f("fk_invitations_distributor_id_distributors"),
        ),
        sa.ForeignKeyConstraint(
            ["used_by_identity_id"],
            ["chat_identities.id"],
            name=op.f("fk_invitations_used_by_identity_id_chat_identities"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_invitations_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("code", name=op.f("uq_invitations_code")),
    )


def downgrade() -> None:
    op.drop_table("invitations")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_user_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_status"))

    op.drop_table("outbox")
    with op.batch_alter_table("chat_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_identities_user_id"))

    op.drop_table("chat_identities")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_distributor_id"))

    with op.batch_alter_table("distributors", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_distributors_rep_id_users"), type_="foreignkey")

    op.drop_table("users")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_category_id"))

    op.drop_table("products")
    with op.batch_alter_table("inbound_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_receipts_received_at"))

    op.drop_table("inbound_receipts")
    with op.batch_alter_table("distributors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_distributors_rep_id"))
        batch_op.drop_index(batch_op.f("ix_distributors_parent_id"))

    op.drop_table("distributors")
    op.drop_table("conversation_states")
    op.drop_table("code_attempts")
    op.drop_table("categories")
