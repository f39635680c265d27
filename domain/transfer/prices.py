"""The price policy as one spreadsheet: price-list items, distributor overrides and price floors.

Each row says what it is in the `kind` column (list, override, floor); docs/prices.md lists the
columns each kind uses. Rows are upserted by their natural keys (a list and a SKU; a
distributor, a SKU and a start date; a SKU and a region); rows not in the file stay as they are.
A price list is named in its item rows, which must agree on the list's tier, grade and dates;
a new name creates the list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models import (
    Distributor,
    DistributorPrice,
    PriceFloor,
    PriceList,
    PriceListItem,
    Product,
)
from domain.money import parse_money
from domain.tabular import CellValue
from domain.transfer.base import (
    CellProblem,
    Column,
    ImportContext,
    Problem,
    RowErrors,
    SideEffect,
    StagedRow,
    Tally,
    TransferKind,
    assign,
    choice,
    code,
    day,
    shown,
    text,
)
from domain.transfer.distributors import GRADES, TIERS


class PriceRowKind(Enum):
    """What a row of the prices file is.

    A plain Enum, not a str: rows have compound keys, checked for duplicates here, so the
    single-code key check that `parse_rows` applies to str keys must not see this column.
    """

    LIST = "list"
    OVERRIDE = "override"
    FLOOR = "floor"


ROW_KINDS: Mapping[str, PriceRowKind] = {
    **{kind.value: kind for kind in PriceRowKind},
    "price list": PriceRowKind.LIST,
    "价目表": PriceRowKind.LIST,
    "价格表": PriceRowKind.LIST,
    "特价": PriceRowKind.OVERRIDE,
    "专属价": PriceRowKind.OVERRIDE,
    "最低零售价": PriceRowKind.FLOOR,
    "限价": PriceRowKind.FLOOR,
    "底价": PriceRowKind.FLOOR,
}


def price(cell: str) -> Decimal:
    """¥12.50, 12.5, 12,345.60: more than zero, at most two decimals."""
    value = parse_money(cell)
    if value is None:
        raise CellProblem(Problem.INVALID_PRICE, value=shown(cell))
    if value <= 0:
        raise CellProblem(Problem.NOT_POSITIVE, value=shown(cell))
    return value


# The columns each kind of row needs, and those it must leave empty.
NEEDS: Mapping[PriceRowKind, tuple[str, ...]] = {
    PriceRowKind.LIST: ("price_list", "tier", "effective_from"),
    PriceRowKind.OVERRIDE: ("distributor_code", "effective_from"),
    PriceRowKind.FLOOR: ("province",),
}
UNUSED: Mapping[PriceRowKind, tuple[str, ...]] = {
    PriceRowKind.LIST: ("distributor_code", "province", "city"),
    PriceRowKind.OVERRIDE: ("price_list", "tier", "grade", "province", "city"),
    PriceRowKind.FLOOR: (
        "price_list",
        "tier",
        "grade",
        "distributor_code",
        "effective_from",
        "effective_to",
    ),
}


@dataclass(frozen=True, slots=True)
class _ListTerms:
    tier: int
    grade: str | None
    effective_from: date
    effective_to: date | None


class Prices(TransferKind):
    name = "prices"
    columns: ClassVar[tuple[Column, ...]] = (
        Column(
            "kind", ("类型", "种类"), choice(ROW_KINDS, Problem.INVALID_PRICE_KIND), required=True
        ),
        Column("price_list", ("价目表", "价目表名称"), text(100), blank=None),
        Column("tier", ("级别", "层级"), choice(TIERS, Problem.INVALID_TIER), blank=None),
        Column("grade", ("等级",), choice(GRADES, Problem.INVALID_GRADE), blank=None),
        Column("distributor_code", ("经销商编码",), code(), blank=None),
        Column("sku", ("SKU", "商品编码", "产品编码"), code(), required=True),
        Column("price", ("价格", "单价", "最低价"), price, required=True),
        Column("effective_from", ("生效日期", "开始日期"), day, blank=None),
        Column("effective_to", ("截止日期", "结束日期"), day, blank=None),
        Column("province", ("省份", "省"), text(50), blank=None),
        Column("city", ("城市", "市"), text(50), blank=None),
    )

    async def upsert(
        self,
        session: AsyncSession,
        rows: Sequence[StagedRow],
        context: ImportContext,
        errors: RowErrors,
    ) -> Tally:
        products = dict((await session.execute(select(Product.sku, Product.id))).all())
        products_folded = {sku.upper(): product_id for sku, product_id in products.items()}
        distributors = dict((await session.execute(select(Distributor.code, Distributor.id))).all())
        lists = {found.name: found for found in await session.scalars(select(PriceList))}

        good = [row for row in rows if self._check_row(row, errors)]
        terms = self._list_terms(good, errors)
        seen: dict[tuple[Any, ...], int] = {}
        for row in good:
            kind: PriceRowKind = row.get("kind")
            sku: str | None = row.get("sku")
            if sku is not None and sku.upper() not in products_folded:
                errors.add(row.number, "sku", Problem.UNKNOWN_PRODUCT, value=sku)
            if kind is PriceRowKind.OVERRIDE:
                distributor: str | None = row.get("distributor_code")
                if distributor is not None and distributor not in distributors:
                    errors.add(
                        row.number,
                        "distributor_code",
                        Problem.UNKNOWN_DISTRIBUTOR,
                        value=distributor,
                    )
            key = self._key(row)
            if key is None:
                continue
            if key in seen:
                errors.add(
                    row.number,
                    None,
                    Problem.DUPLICATE_CODE,
                    value=" / ".join(str(part) for part in key[1:] if part is not None),
                    first_row=seen[key],
                )
            else:
                seen[key] = row.number
        if errors:
            return Tally()

        tally = Tally()
        list_ids = await self._save_lists(session, lists, terms, tally)
        items = {
            (item.price_list_id, item.product_id): item
            for item in await session.scalars(select(PriceListItem))
        }
        overrides = {
            (found.distributor_id, found.product_id, found.effective_from): found
            for found in await session.scalars(select(DistributorPrice))
        }
        floors = {
            (found.product_id, found.province, found.city): found
            for found in await session.scalars(select(PriceFloor))
        }
        for row in good:
            kind = row.get("kind")
            product_id = products_folded[str(row.get("sku")).upper()]
            amount: Decimal = row.get("price")
            if kind is PriceRowKind.LIST:
                list_id = list_ids[row.get("price_list")]
                item = items.get((list_id, product_id))
                if item is None:
                    session.add(
                        PriceListItem(price_list_id=list_id, product_id=product_id, price=amount)
                    )
                    tally.count(new=True, changed=True)
                else:
                    tally.count(new=False, changed=assign(item, {"price": amount}))
            elif kind is PriceRowKind.OVERRIDE:
                distributor_id = distributors[row.get("distributor_code")]
                start: date = row.get("effective_from")
                values: dict[str, object] = {"price": amount}
                if row.has("effective_to"):
                    values["effective_to"] = row.get("effective_to")
                special = overrides.get((distributor_id, product_id, start))
                if special is None:
                    session.add(
                        DistributorPrice(
                            distributor_id=distributor_id,
                            product_id=product_id,
                            effective_from=start,
                            effective_to=row.get("effective_to"),
                            price=amount,
                        )
                    )
                    tally.count(new=True, changed=True)
                else:
                    tally.count(new=False, changed=assign(special, values))
            else:
                province: str = row.get("province")
                city: str | None = row.get("city") or None
                floor = floors.get((product_id, province, city))
                if floor is None:
                    session.add(
                        PriceFloor(
                            product_id=product_id, province=province, city=city, min_price=amount
                        )
                    )
                    tally.count(new=True, changed=True)
                else:
                    tally.count(new=False, changed=assign(floor, {"min_price": amount}))
        await session.flush()
        return tally

    @staticmethod
    def _check_row(row: StagedRow, errors: RowErrors) -> bool:
        """The columns this kind of row needs are there, and those it does not use are empty."""
        kind = row.get("kind")
        if not isinstance(kind, PriceRowKind) or row.get("sku") is None or not row.has("price"):
            return False  # the bad cells are reported already
        ok = True
        for column in NEEDS[kind]:
            if row.get(column) is None:
                if not errors.bad(row.number, column):
                    errors.add(row.number, column, Problem.REQUIRED_FOR_KIND, kind=kind.value)
                ok = False
        for column in UNUSED[kind]:
            if row.get(column) is not None:
                errors.add(row.number, column, Problem.NOT_FOR_KIND, kind=kind.value)
                ok = False
        start: date | None = row.get("effective_from")
        end: date | None = row.get("effective_to")
        if start is not None and end is not None and end < start:
            errors.add(
                row.number,
                "effective_to",
                Problem.ENDS_BEFORE_START,
                value=end.isoformat(),
                start=start.isoformat(),
            )
            ok = False
        return ok

    @staticmethod
    def _list_terms(rows: Sequence[StagedRow], errors: RowErrors) -> dict[str, _ListTerms]:
        """Each named list's tier, grade and dates; every row naming it must agree."""
        terms: dict[str, tuple[_ListTerms, int]] = {}
        for row in rows:
            if row.get("kind") is not PriceRowKind.LIST:
                continue
            grade = row.get("grade")
            found = _ListTerms(
                tier=int(row.get("tier")),
                grade=str(grade) if grade is not None else None,
                effective_from=row.get("effective_from"),
                effective_to=row.get("effective_to"),
            )
            name: str = row.get("price_list")
            if name not in terms:
                terms[name] = (found, row.number)
            elif terms[name][0] != found:
                errors.add(
                    row.number,
                    "price_list",
                    Problem.PRICE_LIST_CONFLICT,
                    value=name,
                    first_row=terms[name][1],
                )
        return {name: found for name, (found, _) in terms.items()}

    @staticmethod
    def _key(row: StagedRow) -> tuple[Any, ...] | None:
        kind = row.get("kind")
        sku = str(row.get("sku")).upper()
        if kind is PriceRowKind.LIST:
            return (kind, row.get("price_list"), sku)
        if kind is PriceRowKind.OVERRIDE:
            return (kind, row.get("distributor_code"), sku, row.get("effective_from"))
        if kind is PriceRowKind.FLOOR:
            return (kind, sku, row.get("province"), row.get("city") or None)
        return None

    @staticmethod
    async def _save_lists(
        session: AsyncSession,
        lists: dict[str, PriceList],
        terms: Mapping[str, _ListTerms],
        tally: Tally,
    ) -> dict[str, int]:
        for name, found in terms.items():
            values = {
                "tier": found.tier,
                "grade": found.grade,
                "effective_from": found.effective_from,
                "effective_to": found.effective_to,
            }
            existing = lists.get(name)
            if existing is None:
                lists[name] = PriceList(name=name, **values)
                session.add(lists[name])
                tally.note(SideEffect.PRICE_LISTS_CREATED, 1)
            elif assign(existing, values):
                tally.note(SideEffect.PRICE_LISTS_CHANGED, 1)
        await session.flush()
        return {name: lists[name].id for name in terms}

    async def export(self, session: AsyncSession) -> Iterable[Mapping[str, CellValue]]:
        rows: list[Mapping[str, CellValue]] = []
        items = await session.execute(
            select(PriceList, Product.sku, PriceListItem.price)
            .join(PriceListItem, PriceListItem.price_list_id == PriceList.id)
            .join(Product, Product.id == PriceListItem.product_id)
            .order_by(PriceList.tier, PriceList.effective_from, PriceList.name, Product.sku)
        )
        for price_list, sku, amount in items:
            rows.append(
                {
                    "kind": PriceRowKind.LIST.value,
                    "price_list": price_list.name,
                    "tier": price_list.tier,
                    "grade": price_list.grade,
                    "sku": sku,
                    "price": _money_cell(amount),
                    "effective_from": price_list.effective_from,
                    "effective_to": price_list.effective_to,
                }
            )
        overrides = await session.execute(
            select(DistributorPrice, Distributor.code, Product.sku)
            .join(Distributor, Distributor.id == DistributorPrice.distributor_id)
            .join(Product, Product.id == DistributorPrice.product_id)
            .order_by(Distributor.code, Product.sku, DistributorPrice.effective_from)
        )
        for special, distributor_code, sku in overrides:
            rows.append(
                {
                    "kind": PriceRowKind.OVERRIDE.value,
                    "distributor_code": distributor_code,
                    "sku": sku,
                    "price": _money_cell(special.price),
                    "effective_from": special.effective_from,
                    "effective_to": special.effective_to,
                }
            )
        floors = await session.execute(
            select(PriceFloor, Product.sku)
            .join(Product, Product.id == PriceFloor.product_id)
            .order_by(Product.sku, PriceFloor.province, PriceFloor.city)
        )
        for floor, sku in floors:
            rows.append(
                {
                    "kind": PriceRowKind.FLOOR.value,
                    "sku": sku,
                    "price": _money_cell(floor.min_price),
                    "province": floor.province,
                    "city": floor.city,
                }
            )
        return rows


def _money_cell(amount: Decimal) -> str:
    """12.50 as plain text with two decimals: what import reads back, exactly."""
    return f"{amount:.2f}"
