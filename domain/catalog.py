"""The catalogue as ordering sees it: categories, active products, and forgiving product search.

Search runs in Python over the active products loaded per call. The catalogue is hundreds of
SKUs, so one indexed query plus in-memory matching is a few milliseconds and needs no search
engine; the pinyin of each name is computed once per process and cached. Past some tens of
thousands of SKUs this would want a precomputed search column instead.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin
from rapidfuzz import fuzz
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models import Category, Product

MAX_QUERY = 64
FUZZY_MIN_QUERY = 3  # shorter queries match too much by chance
FUZZY_CUTOFF = 80.0
EXACT_SCORE = 75.0  # every match as typed (SKU, name, pinyin) scores at least this


def _is_chinese(locale: str) -> bool:
    return locale.lower().startswith("zh")


@dataclass(frozen=True, slots=True)
class CategoryView:
    id: int
    name_zh: str
    name_en: str
    product_count: int

    def name(self, locale: str) -> str:
        return self.name_zh if _is_chinese(locale) else self.name_en


@dataclass(frozen=True, slots=True)
class ProductView:
    id: int
    sku: str
    name_zh: str
    name_en: str
    category_id: int
    category_zh: str
    category_en: str
    unit: str
    pack_multiple: int
    min_order_qty: int
    active: bool

    def name(self, locale: str) -> str:
        return self.name_zh if _is_chinese(locale) else self.name_en

    def category(self, locale: str) -> str:
        return self.category_zh if _is_chinese(locale) else self.category_en


def _product_query() -> Select[Product, str, str]:
    return select(Product, Category.name_zh, Category.name_en).join(
        Category, Product.category_id == Category.id
    )


def _view(product: Product, category_zh: str, category_en: str) -> ProductView:
    return ProductView(
        id=product.id,
        sku=product.sku,
        name_zh=product.name_zh,
        name_en=product.name_en,
        category_id=product.category_id,
        category_zh=category_zh,
        category_en=category_en,
        unit=product.unit,
        pack_multiple=product.pack_multiple,
        min_order_qty=product.min_order_qty,
        active=product.active,
    )


async def _views(session: AsyncSession, query: Select[Product, str, str]) -> list[ProductView]:
    rows = (await session.execute(query)).all()
    return [_view(product, zh, en) for product, zh, en in rows]


async def categories(session: AsyncSession) -> list[CategoryView]:
    """Categories that have active products, in their sort order."""
    count = func.count(Product.id)
    rows = (
        await session.execute(
            select(Category.id, Category.name_zh, Category.name_en, count)
            .join(Product, Product.category_id == Category.id)
            .where(Product.active.is_(True))
            .group_by(Category.id, Category.name_zh, Category.name_en, Category.sort_order)
            .having(count > 0)
            .order_by(Category.sort_order, Category.id)
        )
    ).all()
    return [CategoryView(id_, zh, en, int(n)) for id_, zh, en, n in rows]


async def products_in_category(session: AsyncSession, category_id: int) -> list[ProductView]:
    """The active products of one category, by SKU."""
    return await _views(
        session,
        _product_query()
        .where(Product.category_id == category_id, Product.active.is_(True))
        .order_by(Product.sku),
    )


def normalise_sku(text: str) -> str:
    """SKUs as stored: width-folded (Ａ１００ → A100), trimmed, upper-case."""
    return unicodedata.normalize("NFKC", text).strip().upper()


async def product_by_sku(session: AsyncSession, sku: str) -> ProductView | None:
    """A product by SKU, whatever the case or width it was typed in; inactive ones included."""
    wanted = normalise_sku(sku)
    if not wanted or len(wanted) > 32:
        return None
    found = await _views(session, _product_query().where(func.upper(Product.sku) == wanted))
    return found[0] if found else None


async def product_by_id(session: AsyncSession, product_id: int) -> ProductView | None:
    """A product by id, inactive ones included (old orders and carts still name them)."""
    found = await _views(session, _product_query().where(Product.id == product_id))
    return found[0] if found else None


async def products_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, ProductView]:
    """Several products in one query (a cart's), inactive ones included."""
    if not ids:
        return {}
    found = await _views(session, _product_query().where(Product.id.in_(set(ids))))
    return {product.id: product for product in found}


async def active_products(session: AsyncSession) -> list[ProductView]:
    return await _views(session, _product_query().where(Product.active.is_(True)))


# -- search ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Keys:
    """What a product can be found by, folded for comparison."""

    sku: str
    names: tuple[str, ...]
    initials: str
    pinyin: str


_NON_WORD = re.compile(r"[\s\-_·.,，。/()（）]+")


def fold(text: str) -> str:
    """Width-folded, case-folded, without spaces and punctuation: how queries are compared."""
    return _NON_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())


@lru_cache(maxsize=4096)
def _pinyin_of(name_zh: str) -> tuple[str, str]:
    """Initials and full pinyin of the Chinese in a name: 矿泉水 → (kqs, kuangquanshui)."""
    chinese = "".join(ch for ch in name_zh if "\u4e00" <= ch <= "\u9fff")
    syllables = lazy_pinyin(chinese, style=Style.NORMAL, errors="ignore")
    return "".join(s[:1] for s in syllables), "".join(syllables)


def _keys(product: ProductView) -> _Keys:
    initials, full = _pinyin_of(product.name_zh)
    return _Keys(
        sku=fold(product.sku),
        names=(fold(product.name_zh), fold(product.name_en)),
        initials=initials,
        pinyin=full,
    )


def _score(query: str, keys: _Keys) -> float:
    """How well a folded query matches a product: 0 for no match, higher is better."""
    if query == keys.sku:
        return 100.0
    if keys.sku.startswith(query):
        return 95.0
    for name in keys.names:
        if name.startswith(query):
            return 90.0
    for name in keys.names:
        if query in name:
            return 85.0
    if keys.initials and keys.initials.startswith(query):
        return 82.0
    if keys.pinyin and keys.pinyin.startswith(query):
        return 81.0
    if keys.initials and query in keys.initials:
        return 78.0
    if keys.pinyin and query in keys.pinyin:
        return 77.0
    if len(query) < FUZZY_MIN_QUERY:
        return 0.0
    best = max(
        (
            fuzz.partial_ratio(query, candidate)
            for candidate in (*keys.names, keys.pinyin, keys.sku)
            if candidate and len(candidate) >= FUZZY_MIN_QUERY
        ),
        default=0.0,
    )
    # Fuzzy matches rank below every match as typed, in the order of their similarity.
    return best * 0.7 if best >= FUZZY_CUTOFF else 0.0


def rank_products(products: Iterable[ProductView], query: str, limit: int = 8) -> list[ProductView]:
    """The products matching a query, best first (then by SKU); pure, for search and tests."""
    folded = fold(query[: MAX_QUERY * 2])[:MAX_QUERY]
    if not folded or limit <= 0:
        return []
    scored = [(score, product) for product in products if (score := _score(folded, _keys(product)))]
    if any(score >= EXACT_SCORE for score, _ in scored):
        # Near misses only help when nothing matched as typed; otherwise they are noise.
        scored = [(score, product) for score, product in scored if score >= EXACT_SCORE]
    scored.sort(key=lambda pair: (-pair[0], pair[1].sku))
    return [product for _, product in scored[:limit]]


async def search_products(session: AsyncSession, query: str, limit: int = 8) -> list[ProductView]:
    """Active products by SKU (exact or prefix), Chinese or English name (substring), pinyin
    initials (kqs → 矿泉水), full pinyin (kuangquanshui) or a near miss (minral water); best
    first. Never raises on odd input: it simply finds nothing."""
    if not fold(query[: MAX_QUERY * 2]) or limit <= 0:
        return []
    return rank_products(await active_products(session), query, limit)
