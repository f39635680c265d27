"""The product catalogue: SKUs with Chinese and English names, upserted by SKU.

Categories are named in each product row by their Chinese name (and English name); a new
category is created on the way, and an existing one takes the English name the file gives.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import ClassVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.enums import Unit
from domain.models import Category, Product
from domain.tabular import CellValue
from domain.transfer.base import (
    Column,
    ImportContext,
    Problem,
    RowErrors,
    SideEffect,
    StagedRow,
    Tally,
    TransferKind,
    assign,
    boolean,
    choice,
    code,
    positive_int,
    text,
    yes_no,
)

UNITS: Mapping[str, Unit] = {
    **{unit.value: unit for unit in Unit},
    "箱": Unit.CASE,
    "件": Unit.PIECE,
    "瓶": Unit.BOTTLE,
    "袋": Unit.BAG,
    "盒": Unit.BOX,
}


class Products(TransferKind):
    name = "products"
    columns: ClassVar[tuple[Column, ...]] = (
        Column("sku", ("SKU", "商品编码", "产品编码"), code(), required=True),
        Column("name_zh", ("中文名", "中文名称"), text(100), required=True),
        Column("name_en", ("英文名", "英文名称"), text(200), required=True),
        Column("category_zh", ("类别", "分类"), text(50), required=True),
        Column("category_en", ("类别英文", "分类英文"), text(100), blank=None),
        Column("unit", ("单位",), choice(UNITS, Problem.INVALID_UNIT), required=True),
        Column("pack_multiple", ("包装倍数",), positive_int(), blank=1),
        Column("min_order_qty", ("起订量",), positive_int(), blank=1),
        Column("active", ("启用",), boolean, blank=True),
    )

    async def upsert(
        self,
        session: AsyncSession,
        rows: Sequence[StagedRow],
        context: ImportContext,
        errors: RowErrors,
    ) -> Tally:
        categories = {found.name_zh: found for found in await session.scalars(select(Category))}
        products = {product.sku: product for product in await session.scalars(select(Product))}

        # The English name the file gives each category, and the row that first gave it.
        english: dict[str, tuple[str, int]] = {}
        first_row: dict[str, int] = {}
        for row in rows:
            category: str | None = row.get("category_zh")
            if category is None:
                continue
            first_row.setdefault(category, row.number)
            name_en: str | None = row.get("category_en")
            if not name_en:
                continue
            if category not in english:
                english[category] = (name_en, row.number)
            elif english[category][0] != name_en:
                errors.add(
                    row.number,
                    "category_en",
                    Problem.CATEGORY_EN_CONFLICT,
                    value=category,
                    first_row=english[category][1],
                )
        for category, number in first_row.items():
            if category not in categories and category not in english:
                errors.add(number, "category_en", Problem.CATEGORY_EN_REQUIRED, value=category)

        for row in rows:
            if row.key is None:
                continue
            old = products.get(row.key)
            pack: int | None = (
                row.get("pack_multiple")
                if row.has("pack_multiple")
                else (old.pack_multiple if old else 1)
            )
            minimum: int | None = (
                row.get("min_order_qty")
                if row.has("min_order_qty")
                else (old.min_order_qty if old else 1)
            )
            bad = errors.bad(row.number, "pack_multiple") or errors.bad(row.number, "min_order_qty")
            if not bad and pack and minimum and minimum % pack:
                column = "min_order_qty" if row.has("min_order_qty") else "pack_multiple"
                errors.add(
                    row.number, column, Problem.MIN_ORDER_NOT_MULTIPLE, min=minimum, pack=pack
                )
        if errors:
            return Tally()

        tally = Tally()
        next_order = max((category.sort_order for category in categories.values()), default=-1) + 1
        for category, (name_en, _) in english.items():
            found = categories.get(category)
            if found is None:
                categories[category] = Category(
                    name_zh=category, name_en=name_en, sort_order=next_order
                )
                next_order += 1
                session.add(categories[category])
                tally.note(SideEffect.CATEGORIES_CREATED, 1)
            elif assign(found, {"name_en": name_en}):
                tally.note(SideEffect.CATEGORIES_RENAMED, 1)
        await session.flush()

        created: list[Product] = []
        for row in rows:
            assert row.key is not None
            values: dict[str, object] = {
                "name_zh": row.get("name_zh"),
                "name_en": row.get("name_en"),
                "category_id": categories[row.get("category_zh")].id,
                "unit": str(row.get("unit")),
            }
            for column in ("pack_multiple", "min_order_qty", "active"):
                if row.has(column):
                    values[column] = row.get(column)
            old = products.get(row.key)
            if old is None:
                values.setdefault("pack_multiple", 1)
                values.setdefault("min_order_qty", 1)
                values.setdefault("active", True)
                created.append(Product(sku=row.key, **values))
                tally.count(new=True, changed=True)
            else:
                tally.count(new=False, changed=assign(old, values))
        session.add_all(created)
        await session.flush()
        return tally

    async def export(self, session: AsyncSession) -> Iterable[Mapping[str, CellValue]]:
        found = await session.execute(
            select(Product, Category)
            .join(Category, Product.category_id == Category.id)
            .order_by(Category.sort_order, Category.name_zh, Product.sku)
        )
        return [
            {
                "sku": product.sku,
                "name_zh": product.name_zh,
                "name_en": product.name_en,
                "category_zh": category.name_zh,
                "category_en": category.name_en,
                "unit": product.unit,
                "pack_multiple": product.pack_multiple,
                "min_order_qty": product.min_order_qty,
                "active": yes_no(product.active),
            }
            for product, category in found
        ]
