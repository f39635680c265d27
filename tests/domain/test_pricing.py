"""The price policy: one precedence, proved by properties, and the queries that feed it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.bootstrap import App
from domain.catalog import product_by_sku
from domain.db import Database
from domain.models import Distributor, DistributorPrice, PriceList, PriceListItem
from domain.pricing import (
    FloorCandidate,
    PriceCandidate,
    PriceSource,
    floor_for,
    floors_for,
    price_for,
    prices_for,
    region_key,
    resolve_floor,
    resolve_price,
)

TODAY = date(2026, 12, 3)
D = Decimal


def tier_list(price: str, start: date, end: date | None = None, tier: int = 2) -> PriceCandidate:
    return PriceCandidate(D(price), start, end, tier=tier)


def grade_list(
    price: str, start: date, end: date | None = None, tier: int = 2, grade: str = "A"
) -> PriceCandidate:
    return PriceCandidate(D(price), start, end, tier=tier, grade=grade)


def override(price: str, start: date, end: date | None = None) -> PriceCandidate:
    return PriceCandidate(D(price), start, end, override=True)


def resolve(*candidates: PriceCandidate, on: date = TODAY) -> Decimal | None:
    return resolve_price(candidates, tier=2, grade="A", on=on)


# -- examples ---------------------------------------------------------------------------------

JAN = date(2026, 1, 1)


def test_override_beats_grade_list_beats_tier_list() -> None:
    assert resolve(tier_list("30", JAN)) == D("30")
    assert resolve(tier_list("30", JAN), grade_list("29", JAN)) == D("29")
    assert resolve(tier_list("30", JAN), grade_list("29", JAN), override("31", JAN)) == D("31")


def test_an_older_higher_source_still_beats_a_newer_lower_one() -> None:
    assert resolve(override("31", JAN), tier_list("30", date(2026, 12, 1))) == D("31")


def test_latest_start_wins_within_a_source() -> None:
    assert resolve(tier_list("30", JAN), tier_list("32", date(2026, 6, 1))) == D("32")
    assert resolve(tier_list("30", JAN), tier_list("25", JAN)) == D("25")  # a tie: lowest


def test_effective_dates_are_inclusive() -> None:
    winter = tier_list("30", date(2026, 12, 1), date(2026, 12, 31))
    assert resolve(winter, on=date(2026, 12, 1)) == D("30")
    assert resolve(winter, on=date(2026, 12, 31)) == D("30")
    assert resolve(winter, on=date(2026, 11, 30)) is None
    assert resolve(winter, on=date(2027, 1, 1)) is None


def test_expired_override_falls_back_to_the_lists() -> None:
    assert resolve(override("20", JAN, date(2026, 6, 30)), tier_list("30", JAN)) == D("30")


def test_other_tiers_and_grades_never_apply() -> None:
    assert resolve(tier_list("26", JAN, tier=1)) is None
    assert resolve(grade_list("28", JAN, grade="B")) is None
    assert resolve(grade_list("28", JAN, grade="B"), tier_list("30", JAN)) == D("30")
    assert resolve() is None


# -- properties ---------------------------------------------------------------------------------

DAYS = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))
PRICES = st.decimals(min_value=D("0.01"), max_value=D("9999.99"), places=2)


@st.composite
def candidates(draw: st.DrawFn) -> PriceCandidate:
    start = draw(DAYS)
    end = draw(st.none() | st.integers(0, 400).map(lambda days: start + timedelta(days=days)))
    kind = draw(st.sampled_from(["override", "tier", "grade"]))
    return PriceCandidate(
        price=draw(PRICES),
        effective_from=start,
        effective_to=end,
        tier=None if kind == "override" else draw(st.sampled_from([1, 2])),
        grade=draw(st.sampled_from(["A", "B"])) if kind == "grade" else None,
        override=kind == "override",
    )


PROFILE = {
    "tier": st.sampled_from([1, 2]),
    "grade": st.sampled_from(["A", "B", "C"]),
    "on": DAYS,
}


def _reference(offers: list[PriceCandidate], tier: int, grade: str, on: date) -> Decimal | None:
    """The precedence as the docs state it, written the slow, obvious way."""
    in_effect = [
        c
        for c in offers
        if c.effective_from <= on and (c.effective_to is None or on <= c.effective_to)
    ]
    levels = [
        [c for c in in_effect if c.override],
        [c for c in in_effect if not c.override and c.tier == tier and c.grade == grade],
        [c for c in in_effect if not c.override and c.tier == tier and c.grade is None],
    ]
    for level in levels:
        if level:
            latest = max(c.effective_from for c in level)
            return min(c.price for c in level if c.effective_from == latest)
    return None


@given(offers=st.lists(candidates(), max_size=12), **PROFILE)
def test_resolution_follows_the_documented_precedence(
    offers: list[PriceCandidate], tier: int, grade: str, on: date
) -> None:
    assert resolve_price(offers, tier=tier, grade=grade, on=on) == _reference(
        offers, tier, grade, on
    )


@given(offers=st.lists(candidates(), max_size=12), data=st.data(), **PROFILE)
def test_resolution_does_not_depend_on_order(
    offers: list[PriceCandidate], data: st.DataObject, tier: int, grade: str, on: date
) -> None:
    shuffled = data.draw(st.permutations(offers))
    assert resolve_price(shuffled, tier=tier, grade=grade, on=on) == resolve_price(
        offers, tier=tier, grade=grade, on=on
    )


@given(offers=st.lists(candidates(), max_size=12), extra=PRICES, **PROFILE)
def test_an_override_in_effect_always_decides(
    offers: list[PriceCandidate], extra: Decimal, tier: int, grade: str, on: date
) -> None:
    newest = PriceCandidate(extra, on, None, override=True)
    others = [c for c in offers if not c.override]
    assert resolve_price([*others, newest], tier=tier, grade=grade, on=on) == extra


@given(offers=st.lists(candidates(), max_size=12), **PROFILE)
def test_the_answer_is_a_price_in_effect_for_that_distributor(
    offers: list[PriceCandidate], tier: int, grade: str, on: date
) -> None:
    price = resolve_price(offers, tier=tier, grade=grade, on=on)
    applicable = [c for c in offers if c.in_effect(on) and c.source_for(tier, grade) is not None]
    if price is None:
        assert applicable == []
    else:
        assert price in {c.price for c in applicable}


def test_sources_rank_in_order() -> None:
    assert PriceSource.OVERRIDE > PriceSource.GRADE_LIST > PriceSource.TIER_LIST


# -- floors --------------------------------------------------------------------------------------


def test_a_city_floor_beats_its_province() -> None:
    floors = [
        FloorCandidate("广东", None, D("36")),
        FloorCandidate("广东", "深圳", D("38")),
        FloorCandidate("浙江", None, D("35")),
    ]
    assert resolve_floor(floors, "广东", "深圳") == D("38")
    assert resolve_floor(floors, "广东省", "深圳市") == D("38")
    assert resolve_floor(floors, "广东", "佛山") == D("36")
    assert resolve_floor(floors, "广东", None) == D("36")
    assert resolve_floor(floors, "四川", "成都") is None
    assert resolve_floor([FloorCandidate("广东", "深圳", D("38"))], "广东", "广州") is None
    assert region_key(" 广东省 ") == "广东"
    assert region_key("北京") == "北京"


# -- against the database ------------------------------------------------------------------------


async def _ids(db: Database, *codes: str) -> dict[str, int]:
    async with db.transaction() as session:
        rows = await session.execute(
            select(Distributor.code, Distributor.id).where(Distributor.code.in_(codes))
        )
        return dict(rows.all())


async def _product_id(db: Database, sku: str) -> int:
    async with db.transaction() as session:
        product = await product_by_sku(session, sku)
    assert product is not None
    return product.id


async def test_demo_prices_follow_tier_grade_and_override(demo_app: App) -> None:
    ids = await _ids(demo_app.db, "D1001", "D2001", "D2004", "D2006")
    water = await _product_id(demo_app.db, "A100")
    chips = await _product_id(demo_app.db, "C300")
    async with demo_app.db.transaction() as session:
        assert await price_for(session, ids["D1001"], water, TODAY) == D("26.00")  # tier 1
        assert await price_for(session, ids["D2001"], water, TODAY) == D("30.00")  # tier 2, B
        assert await price_for(session, ids["D2006"], chips, TODAY) == D("3.60")
        assert await price_for(session, ids["D2004"], water, TODAY) == D("28.50")  # override
        assert await price_for(session, ids["D2004"], chips, TODAY) == D("3.49")  # grade A
        # Before the override began, D2004 paid its grade-A list price.
        assert await price_for(session, ids["D2004"], water, date(2026, 10, 31)) == D("29.10")
        # Last year's list was closed at the end of 2025.
        assert await price_for(session, ids["D2001"], water, date(2025, 6, 1)) == D("28.50")
        assert await price_for(session, ids["D2001"], water, date(2024, 6, 1)) is None


async def test_prices_for_a_cart_in_one_call(demo_app: App) -> None:
    ids = await _ids(demo_app.db, "D2004")
    skus = ["A100", "B200", "C300"]
    products = [await _product_id(demo_app.db, sku) for sku in skus]
    async with demo_app.db.transaction() as session:
        prices = await prices_for(session, ids["D2004"], [*products, products[0], 999_999], TODAY)
        assert await prices_for(session, ids["D2004"], [], TODAY) == {}
        assert await prices_for(session, 999_999, products, TODAY) == {}
    assert prices == {products[0]: D("28.50"), products[1]: D("39.29"), products[2]: D("3.49")}
    assert all(price.as_tuple().exponent == -2 for price in prices.values())


async def test_a_product_without_a_price_is_not_orderable(demo_app: App) -> None:
    ids = await _ids(demo_app.db, "D2001")
    water = await _product_id(demo_app.db, "A100")
    async with demo_app.db.transaction() as session:
        lists = (await session.execute(select(PriceList.id).where(PriceList.tier == 2))).scalars()
        for list_id in lists.all():
            item = await session.scalar(
                select(PriceListItem).where(
                    PriceListItem.price_list_id == list_id, PriceListItem.product_id == water
                )
            )
            if item is not None:
                await session.delete(item)
    async with demo_app.db.transaction() as session:
        assert await price_for(session, ids["D2001"], water, TODAY) is None


async def test_a_newer_list_and_a_new_override_take_effect_on_their_day(demo_app: App) -> None:
    ids = await _ids(demo_app.db, "D2001")
    water = await _product_id(demo_app.db, "A100")
    async with demo_app.db.transaction() as session:
        spring = PriceList(name="2027 春季二级价", tier=2, effective_from=date(2027, 3, 1))
        session.add(spring)
        await session.flush()
        session.add(PriceListItem(price_list_id=spring.id, product_id=water, price=D("31.20")))
        session.add(
            DistributorPrice(
                distributor_id=ids["D2001"],
                product_id=water,
                price=D("27.00"),
                effective_from=date(2027, 6, 1),
                effective_to=date(2027, 6, 30),
            )
        )
    async with demo_app.db.transaction() as session:
        assert await price_for(session, ids["D2001"], water, date(2027, 2, 28)) == D("30.00")
        assert await price_for(session, ids["D2001"], water, date(2027, 3, 1)) == D("31.20")
        assert await price_for(session, ids["D2001"], water, date(2027, 6, 15)) == D("27.00")
        assert await price_for(session, ids["D2001"], water, date(2027, 7, 1)) == D("31.20")


async def test_demo_floors(demo_app: App) -> None:
    water = await _product_id(demo_app.db, "A100")
    chips = await _product_id(demo_app.db, "C300")
    async with demo_app.db.transaction() as session:
        assert await floor_for(session, water, "广东", "深圳") == D("38.00")
        assert await floor_for(session, water, "广东", "佛山") == D("36.00")
        assert await floor_for(session, water, "四川", "成都") is None
        assert await floors_for(session, [water, chips], "广西", "南宁") == {chips: D("4.50")}
        assert await floors_for(session, [], "广东") == {}


async def test_prices_are_exact_to_the_fen(demo_app: App) -> None:
    ids = await _ids(demo_app.db, "D2001")
    water = await _product_id(demo_app.db, "A100")
    async with demo_app.db.transaction() as session:
        awkward = PriceList(name="精度测试", tier=2, effective_from=date(2026, 12, 2))
        session.add(awkward)
        await session.flush()
        session.add(
            PriceListItem(price_list_id=awkward.id, product_id=water, price=D("12345678.91"))
        )
    async with demo_app.db.transaction() as session:
        assert await price_for(session, ids["D2001"], water, TODAY) == D("12345678.91")
