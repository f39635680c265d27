"""Price policy: price lists per tier and grade, distributor overrides, resale price floors.

Revision ID: 0002_pricing
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import domain.models

revision: str = "0002_pricing"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "price_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=1), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_lists")),
        sa.UniqueConstraint("name", name=op.f("uq_price_lists_name")),
    )
    op.create_table(
        "price_list_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("price_list_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("price", domain.models.Money(), nullable=False),
        sa.ForeignKeyConstraint(
            ["price_list_id"],
            ["price_lists.id"],
            name=op.f("fk_price_list_items_price_list_id_price_lists"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_price_list_items_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_list_items")),
        sa.UniqueConstraint(
            "price_list_id",
            "product_id",
            name=op.f("uq_price_list_items_price_list_id_product_id"),
        ),
    )
    with op.batch_alter_table("price_list_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_price_list_items_price_list_id"), ["price_list_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_price_list_items_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "distributor_prices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("distributor_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("price", domain.models.Money(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["distributor_id"],
            ["distributors.id"],
            name=op.f("fk_distributor_prices_distributor_id_distributors"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_distributor_prices_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_distributor_prices")),
    )
    with op.batch_alter_table("distributor_prices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_distributor_prices_distributor_id"), ["distributor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_distributor_prices_product_id"), ["product_id"], unique=False
        )

    op.create_table(
        "price_floors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("province", sa.String(length=50), nullable=False),
        sa.Column("city", sa.String(length=50), nullable=True),
        sa.Column("min_price", domain.models.Money(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_price_floors_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_floors")),
        sa.UniqueConstraint(
            "product_id",
            "province",
            "city",
            name=op.f("uq_price_floors_product_id_province_city"),
        ),
    )
    with op.batch_alter_table("price_floors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_price_floors_product_id"), ["product_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("price_floors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_floors_product_id"))
    op.drop_table("price_floors")
    with op.batch_alter_table("distributor_prices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_distributor_prices_product_id"))
        batch_op.drop_index(batch_op.f("ix_distributor_prices_distributor_id"))
    op.drop_table("distributor_prices")
    with op.batch_alter_table("price_list_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_list_items_product_id"))
        batch_op.drop_index(batch_op.f("ix_price_list_items_price_list_id"))
    op.drop_table("price_list_items")
    op.drop_table("price_lists")
