"""The price policy: what a distributor pays for a product on a day, and the resale price floors.

Which price applies is decided in one place, `resolve_price`; the queries below only gather the
candidates. Dates are calendar days in the business timezone (Asia/Shanghai by default); a
price's `effective_to` is the last day it applies, and None means it has no end.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import IntEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    Integer,
    String,
    cast,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import CompoundSelect

from domain.models import Distributor, DistributorPrice, PriceFloor, PriceList, PriceListItem


class PriceSource(IntEnum):
    """Where a price comes from; a higher value wins over a lower one."""

    TIER_LIST = 1
    GRADE_LIST = 2
    OVERRIDE = 3


@dataclass(frozen=True, slots=True)
class PriceCandidate:
    """A price that may apply: an item of a tier or tier+grade list, or a distributor override."""

    price: Decimal
    effective_from: date
    effective_to: date | None = None
    tier: int | None = None  # price lists: the tier the list is for (overrides: None)
    grade: str | None = None  # price lists: the grade it is for; None for the whole tier
    override: bool = False  # a price for this distributor alone

    def in_effect(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def source_for(self, tier: int, grade: str) -> PriceSource | None:
        """How this candidate ranks for a distributor of `tier` and `grade`; None if not theirs."""
        if self.override:
            return PriceSource.OVERRIDE
        if self.tier != tier:
            return None
        if self.grade is None:
            return PriceSource.TIER_LIST
        return PriceSource.GRADE_LIST if self.grade == grade else None


def resolve_price(
    candidates: Iterable[PriceCandidate], *, tier: int, grade: str, on: date
) -> Decimal | None:
    """The unit price a distributor of `tier` and `grade` pays on day `on`, or None.

    Precedence, first that has a price in effect on `on` wins:

    1. a distributor override (the candidates marked `override` are this distributor's own);
    2. a price list for the distributor's tier and its grade;
    3. a price list for the distributor's tier with no grade.

    In effect means effective_from <= on <= effective_to (an open end never stops). Among
    several in effect at the same level, the one with the latest effective_from wins (a newer
    list replaces an older one without closing it); if those tie too, the lowest price wins,
    so the answer never depends on the order of the candidates. Lists for other tiers or other
    grades never apply. None means the product has no price for this distributor: it cannot be
    ordered.
    """
    best: tuple[PriceSource, date, Decimal] | None = None
    for candidate in candidates:
        source = candidate.source_for(tier, grade)
        if source is None or not candidate.in_effect(on):
            continue
        # Higher source, then later start, then lower price: negate the price to maximise.
        rank = (source, candidate.effective_from, -candidate.price)
        if best is None or rank > (best[0], best[1], -best[2]):
            best = (source, candidate.effective_from, candidate.price)
    return best[2] if best else None


async def prices_for(
    session: AsyncSession, distributor_id: int, product_ids: Sequence[int], on: date
) -> dict[int, Decimal]:
    """The prices a distributor pays on `on` for the given products (two queries); products
    without a price are missing from the answer."""
    wanted = sorted(set(product_ids))
    if not wanted:
        return {}
    found = (
        await session.execute(
            select(Distributor.tier, Distributor.grade).where(Distributor.id == distributor_id)
        )
    ).first()
    if found is None:
        return {}
    tier, grade = found
    from_lists = (
        select(
            PriceListItem.product_id,
            PriceListItem.price,
            PriceList.effective_from,
            PriceList.effective_to,
            PriceList.tier,
            PriceList.grade,
            literal(False, Boolean).label("override"),
        )
        .join(PriceList, PriceList.id == PriceListItem.price_list_id)
        .where(
            PriceListItem.product_id.in_(wanted),
            PriceList.tier == tier,
            or_(PriceList.grade.is_(None), PriceList.grade == grade),
            PriceList.effective_from <= on,
            or_(PriceList.effective_to.is_(None), PriceList.effective_to >= on),
        )
    )
    overrides = select(
        DistributorPrice.product_id,
        DistributorPrice.price,
        DistributorPrice.effective_from,
        DistributorPrice.effective_to,
        cast(null(), Integer),
        cast(null(), String),
        literal(True, Boolean),
    ).where(
        DistributorPrice.distributor_id == distributor_id,
        DistributorPrice.product_id.in_(wanted),
        DistributorPrice.effective_from <= on,
        or_(DistributorPrice.effective_to.is_(None), DistributorPrice.effective_to >= on),
    )
    by_product: dict[int, list[PriceCandidate]] = {}
    compound: CompoundSelect[Any] = union_all(from_lists, overrides)
    rows: Sequence[tuple[Any, ...]] = (await session.execute(compound)).all()
    for product_id, price, start, end, list_tier, list_grade, override in rows:
        by_product.setdefault(product_id, []).append(
            PriceCandidate(
                price=price,
                effective_from=start,
                effective_to=end,
                tier=list_tier,
                grade=list_grade,
                override=bool(override),
            )
        )
    prices: dict[int, Decimal] = {}
    for product_id, candidates in by_product.items():
        price = resolve_price(candidates, tier=tier, grade=grade, on=on)
        if price is not None:
            prices[product_id] = price
    return prices


async def price_for(
    session: AsyncSession, distributor_id: int, product_id: int, on: date
) -> Decimal | None:
    """The price a distributor pays for one product on `on`; None: not orderable for them."""
    return (await prices_for(session, distributor_id, [product_id], on)).get(product_id)


# -- price floors: the minimum resale price, for the sales-report checks -----------------------


def region_key(name: str | None) -> str:
    """Province and city names compared without spaces or a trailing 省/市 (广东省 = 广东)."""
    folded = "".join((name or "").split())
    return folded[:-1] if len(folded) > 2 and folded[-1] in "省市" else folded


@dataclass(frozen=True, slots=True)
class FloorCandidate:
    province: str
    city: str | None
    min_price: Decimal


def resolve_floor(
    floors: Iterable[FloorCandidate], province: str, city: str | None
) -> Decimal | None:
    """A city's own floor beats its province's; None when neither has one."""
    province_floor: Decimal | None = None
    for floor in floors:
        if region_key(floor.province) != region_key(province):
            continue
        if floor.city is None:
            province_floor = floor.min_price
        elif city is not None and region_key(floor.city) == region_key(city):
            return floor.min_price
    return province_floor


async def floors_for(
    session: AsyncSession, product_ids: Sequence[int], province: str, city: str | None = None
) -> dict[int, Decimal]:
    """The minimum resale prices in a place for several products; those without one are missing."""
    wanted = sorted(set(product_ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(PriceFloor.product_id, PriceFloor.province, PriceFloor.city, PriceFloor.min_price)
        .where(PriceFloor.product_id.in_(wanted))
        .order_by(PriceFloor.id)
    )
    by_product: dict[int, list[FloorCandidate]] = {}
    for product_id, floor_province, floor_city, min_price in rows:
        by_product.setdefault(product_id, []).append(
            FloorCandidate(floor_province, floor_city, min_price)
        )
    floors: dict[int, Decimal] = {}
    for product_id, candidates in by_product.items():
        floor = resolve_floor(candidates, province, city)
        if floor is not None:
            floors[product_id] = floor
    return floors


async def floor_for(
    session: AsyncSession, product_id: int, province: str, city: str | None = None
) -> Decimal | None:
    """The minimum resale price of a product in a city (its own, else its province's)."""
    return (await floors_for(session, [product_id], province, city)).get(product_id)
