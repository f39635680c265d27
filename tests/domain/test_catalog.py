"""The catalogue: categories and products as ordering sees them, and forgiving search."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from bot.bootstrap import App
from domain.catalog import (
    ProductView,
    categories,
    product_by_id,
    product_by_sku,
    products_in_category,
    rank_products,
    search_products,
)
from domain.demo import PRODUCTS
from domain.models import Product

# The demo catalogue as views, for the pure ranking tests (ids follow the list order).
CATALOGUE = [
    ProductView(i, sku, zh, en, 1, category, category, unit, multiple, moq, True)
    for i, (sku, zh, en, category, unit, multiple, moq) in enumerate(PRODUCTS, start=1)
]


def found(query: str, limit: int = 8) -> list[str]:
    return [product.sku for product in rank_products(CATALOGUE, query, limit)]


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("A100", "A100"),
        ("a100", "A100"),
        ("ａ１００", "A100"),
        ("矿泉水", "A100"),
        ("矿泉", "A100"),
        ("kqs", "A100"),
        ("KQS", "A100"),
        ("kuangquanshui", "A100"),
        ("kuang quan shui", "A100"),
        ("Mineral", "A100"),
        ("mineral water", "A100"),
        ("minral water", "A100"),
        ("mineral watr", "A100"),
        ("lvcha", "B200"),
        ("绿茶", "B200"),
        ("niurougan", "C303"),
        ("beef jurky", "C303"),
        ("orang juice", "B202"),
        ("坚果", "C301"),
    ],
)
def test_search_finds_the_product_first(query: str, first: str) -> None:
    assert found(query)[:1] == [first]


def test_exact_sku_beats_prefix_and_names() -> None:
    assert found("A1") == ["A100", "A101", "A102", "A103"]
    assert found("A100") == ["A100"]


def test_substring_matches_are_ordered_by_sku() -> None:
    assert found("water") == ["A100", "A101", "A102", "A103"]
    assert found("tea") == ["B200", "B201", "B203"]
    assert found("苏打") == ["A102", "C302"]


def test_near_misses_are_not_shown_when_something_matched_as_typed() -> None:
    assert found("kuangquanshui") == ["A100"]


def test_limit_and_nothing_found() -> None:
    assert len(found("A", limit=2)) == 2
    assert found("巧克力") == []
    assert found("qiaokeli") == []
    assert found("") == []
    assert found("   ") == []
    assert found("A100", limit=0) == []


@given(st.text(max_size=300), st.integers(min_value=-1, max_value=20))
def test_ranking_never_raises(query: str, limit: int) -> None:
    result = rank_products(CATALOGUE, query, limit)
    assert len(result) <= max(limit, 0)
    assert len({product.sku for product in result}) == len(result)


def test_names_follow_the_locale() -> None:
    water = CATALOGUE[0]
    assert water.name("zh_CN") == "矿泉水 550ml×24"
    assert water.name("en") == "Mineral water 550ml×24"


# -- against the database ----------------------------------------------------------------------


async def test_categories_count_active_products_in_sort_order(demo_app: App) -> None:
    async with demo_app.db.transaction() as session:
        await session.execute(update(Product).where(Product.sku == "A103").values(active=False))
        await session.execute(
            update(Product)
            .where(Product.sku.in_(["B200", "B201", "B202", "B203"]))
            .values(active=False)
        )
        found_categories = await categories(session)
    assert [(c.name_zh, c.product_count) for c in found_categories] == [
        ("饮用水", 3),
        ("休闲零食", 4),
    ]
    assert found_categories[0].name("en") == "Drinking water"


async def test_products_in_category_are_active_and_by_sku(demo_app: App) -> None:
    async with demo_app.db.transaction() as session:
        await session.execute(update(Product).where(Product.sku == "C301").values(active=False))
        snacks = next(c for c in await categories(session) if c.name_en == "Snacks")
        products = await products_in_category(session, snacks.id)
        assert await products_in_category(session, 999_999) == []
    assert [p.sku for p in products] == ["C300", "C302", "C303"]
    chips = products[0]
    assert (chips.unit, chips.pack_multiple, chips.min_order_qty) == ("bag", 10, 20)
    assert (chips.category_zh, chips.category_en) == ("休闲零食", "Snacks")


async def test_product_by_sku_and_id(demo_app: App) -> None:
    async with demo_app.db.transaction() as session:
        water = await product_by_sku(session, "  ａ１００ ")
        assert water is not None
        assert await product_by_sku(session, "a100") == water
        assert await product_by_id(session, water.id) == water
        assert await product_by_sku(session, "Z999") is None
        assert await product_by_sku(session, "") is None
        assert await product_by_sku(session, "A" * 500) is None
        assert await product_by_id(session, 999_999) is None
    assert water.sku == "A100"
    assert water.name("zh_CN") == "矿泉水 550ml×24"


async def test_search_skips_inactive_products(demo_app: App) -> None:
    async with demo_app.db.transaction() as session:
        assert [p.sku for p in await search_products(session, "kqs")] == ["A100"]
        await session.execute(update(Product).where(Product.sku == "A100").values(active=False))
        assert await search_products(session, "kqs") == []
        assert [p.sku for p in await search_products(session, "water")] == [
            "A101",
            "A102",
            "A103",
        ]
        for nasty in (
            "\x00\ud800%_'",
            "%",
            "_",
            "'; drop table products; --",
            "﷽" * 50,
            "a" * 10_000,
            "\u200b",
            "ＫＱＳ" * 30,
            "🥤",
        ):
            assert isinstance(await search_products(session, nasty), list)
        assert await search_products(session, "kqs", limit=-1) == []


@settings(max_examples=25, deadline=None)
@given(query=st.text(max_size=80))
def test_search_never_raises(query: str) -> None:
    # The database part is a plain query of active products; the matching is what varies.
    assert isinstance(rank_products(CATALOGUE, query), list)
