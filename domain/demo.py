"""A small, realistic network for `partnerbot demo`: two tier-1s, six tier-2s, a rep, a manager."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock
from domain.enums import Platform, Role
from domain.models import (
    Category,
    ChatIdentity,
    Distributor,
    DistributorPrice,
    Invitation,
    PriceFloor,
    PriceList,
    PriceListItem,
    Product,
    User,
)
from domain.money import to_fen

# The invitation a newcomer types in the demo (the alphabet has no O, I, L, 0 or 1).
DEMO_INVITATION = "NEWPART2"

# code, name, tier, parent, province, city, grade, joined
DISTRIBUTORS = [
    ("D1001", "华南商贸有限公司", 1, None, "广东", "广州", "A", date(2019, 3, 18)),
    ("D1002", "江浙供应链有限公司", 1, None, "浙江", "杭州", "A", date(2020, 6, 1)),
    ("D2001", "深圳鹏程商行", 2, "D1001", "广东", "深圳", "B", date(2021, 4, 12)),
    ("D2002", "佛山顺达贸易", 2, "D1001", "广东", "佛山", "C", date(2022, 9, 5)),
    ("D2003", "南宁八桂商贸", 2, "D1001", "广西", "南宁", "B", date(2023, 2, 20)),
    ("D2004", "宁波海曙批发部", 2, "D1002", "浙江", "宁波", "A", date(2021, 11, 30)),
    ("D2005", "苏州姑苏商贸", 2, "D1002", "江苏", "苏州", "C", date(2024, 1, 8)),
    ("D2006", "成都锦江分销", 2, None, "四川", "成都", "B", date(2022, 7, 15)),
]

# code, name, role, distributor, locale
PEOPLE = [
    ("M001", "李娜", Role.MANAGER, None, "zh_CN"),
    ("R001", "王磊", Role.FIELD_REP, None, "zh_CN"),
    ("T101", "陈建国", Role.TIER1_STAFF, "D1001", "zh_CN"),
    ("T102", "赵敏", Role.TIER1_STAFF, "D1002", "zh_CN"),
    ("S201", "张伟", Role.DISTRIBUTOR_STAFF, "D2001", "zh_CN"),
    ("S204", "Lucy Zhou", Role.DISTRIBUTOR_STAFF, "D2004", "en"),
    ("S206", "刘洋", Role.DISTRIBUTOR_STAFF, "D2006", "zh_CN"),
]

CATEGORIES = [("饮用水", "Drinking water"), ("饮料", "Soft drinks"), ("休闲零食", "Snacks")]

# sku, zh, en, category, unit, pack multiple, minimum order
PRODUCTS = [
    ("A100", "矿泉水 550ml×24", "Mineral water 550ml×24", "饮用水", "case", 1, 5),
    ("A101", "纯净水 550ml×24", "Purified water 550ml×24", "饮用水", "case", 1, 5),
    ("A102", "苏打水 350ml×24", "Soda water 350ml×24", "饮用水", "case", 1, 2),
    ("A103", "天然水 5L×4", "Natural water 5L×4", "饮用水", "case", 1, 2),
    ("B200", "绿茶 500ml×15", "Green tea 500ml×15", "饮料", "case", 1, 3),
    ("B201", "柠檬茶 500ml×15", "Lemon tea 500ml×15", "饮料", "case", 1, 3),
    ("B202", "橙汁 450ml×15", "Orange juice 450ml×15", "饮料", "case", 1, 3),
    ("B203", "凉茶 310ml×24", "Herbal tea 310ml×24", "饮料", "case", 2, 4),
    ("C300", "原味薯片 70g", "Potato chips 70g", "休闲零食", "bag", 10, 20),
    ("C301", "每日坚果 25g×30", "Daily nuts 25g×30", "休闲零食", "box", 1, 2),
    ("C302", "苏打饼干 400g", "Soda crackers 400g", "休闲零食", "bag", 6, 12),
    ("C303", "牛肉干 100g", "Beef jerky 100g", "休闲零食", "bag", 5, 10),
]


async def seed_demo_network(session: AsyncSession, clock: Clock, timezone: str) -> bool:
    """Seed once; returns False when the database already holds a network."""
    if await session.scalar(select(Distributor.id).limit(1)) is not None:
        return False
    now = clock.now()
    people: dict[str, User] = {}
    for code, name, role, _distributor, locale in PEOPLE:
        people[code] = User(
            code=code,
            name=name,
            role=role.value,
            locale=locale,
            timezone=timezone,
            active=True,
            created_at=now,
        )
    session.add_all(people.values())
    await session.flush()
    distributors: dict[str, Distributor] = {}
    for code, name, tier, parent, province, city, grade, joined in DISTRIBUTORS:
        row = Distributor(
            code=code,
            name=name,
            tier=tier,
            province=province,
            city=city,
            grade=grade,
            status="active",
            joined_on=joined,
            parent_id=distributors[parent].id if parent else None,
            rep_id=people["R001"].id,
        )
        session.add(row)
        await session.flush()
        distributors[code] = row
    for code, _name, _role, distributor, _locale in PEOPLE:
        if distributor:
            people[code].distributor_id = distributors[distributor].id
        session.add(
            ChatIdentity(
                platform=Platform.CONSOLE.value,
                external_id=code,
                chat_ref=code,
                user_id=people[code].id,
                display_name=people[code].name,
                bound_at=now,
            )
        )
    categories: dict[str, Category] = {}
    for order, (zh, en) in enumerate(CATEGORIES):
        categories[zh] = Category(name_zh=zh, name_en=en, sort_order=order)
    session.add_all(categories.values())
    await session.flush()
    for sku, zh, en, category, unit, multiple, moq in PRODUCTS:
        session.add(
            Product(
                sku=sku,
                name_zh=zh,
                name_en=en,
                category_id=categories[category].id,
                unit=unit,
                pack_multiple=multiple,
                min_order_qty=moq,
                active=True,
            )
        )
    session.add(
        Invitation(
            code=DEMO_INVITATION,
            role=Role.DISTRIBUTOR_STAFF.value,
            distributor_id=distributors["D2002"].id,
            created_at=now,
            expires_at=now + timedelta(days=3650),
        )
    )
    await seed_demo_prices(session, distributors)
    return True


# -- prices: tier-1 pays less than tier-2; grade-A tier-2s get a small discount ----------------

# sku, tier-1 price, tier-2 price (per unit of sale)
PRICES = [
    ("A100", "26.00", "30.00"),
    ("A101", "22.00", "25.50"),
    ("A102", "48.00", "54.00"),
    ("A103", "30.00", "34.00"),
    ("B200", "36.00", "40.50"),
    ("B201", "37.50", "42.00"),
    ("B202", "45.00", "50.00"),
    ("B203", "52.00", "58.00"),
    ("C300", "3.20", "3.60"),
    ("C301", "68.00", "76.00"),
    ("C302", "7.50", "8.40"),
    ("C303", "15.00", "16.80"),
]
PRICE_YEAR = date(2026, 1, 1)
GRADE_A_DISCOUNT = Decimal("0.97")
# Last year's tier-2 list, closed: kept to show that only lists in effect count.
LAST_YEAR_TIER2_FACTOR = Decimal("0.95")
# distributor, sku, price, from: a negotiated price for one distributor
OVERRIDES = [("D2004", "A100", "28.50", date(2026, 11, 1))]
# sku, province, city (None: the whole province), minimum resale price
FLOORS = [
    ("A100", "广东", None, "36.00"),
    ("A100", "广东", "深圳", "38.00"),
    ("A100", "浙江", None, "36.00"),
    ("B200", "广东", None, "48.00"),
    ("B200", "浙江", None, "48.00"),
    ("C300", "广东", None, "4.50"),
    ("C300", "广西", None, "4.50"),
    ("C303", "浙江", None, "22.00"),
]


async def seed_demo_prices(session: AsyncSession, distributors: dict[str, Distributor]) -> None:
    """Price lists, one distributor override and resale floors for the demo catalogue."""
    await session.flush()
    product_ids = dict((await session.execute(select(Product.sku, Product.id))).all())
    tier1 = PriceList(name="2026 一级价目表", tier=1, grade=None, effective_from=PRICE_YEAR)
    tier2 = PriceList(name="2026 二级价目表", tier=2, grade=None, effective_from=PRICE_YEAR)
    grade_a = PriceList(name="2026 二级A类优惠价", tier=2, grade="A", effective_from=PRICE_YEAR)
    last_year = PriceList(
        name="2025 二级价目表",
        tier=2,
        grade=None,
        effective_from=date(2025, 1, 1),
        effective_to=date(2025, 12, 31),
    )
    session.add_all([tier1, tier2, grade_a, last_year])
    await session.flush()
    for sku, tier1_price, tier2_price in PRICES:
        product_id = product_ids[sku]
        for price_list, price in (
            (tier1, Decimal(tier1_price)),
            (tier2, Decimal(tier2_price)),
            (grade_a, to_fen(Decimal(tier2_price) * GRADE_A_DISCOUNT)),
            (last_year, to_fen(Decimal(tier2_price) * LAST_YEAR_TIER2_FACTOR)),
        ):
            session.add(
                PriceListItem(price_list_id=price_list.id, product_id=product_id, price=price)
            )
    for code, sku, special, start in OVERRIDES:
        session.add(
            DistributorPrice(
                distributor_id=distributors[code].id,
                product_id=product_ids[sku],
                price=Decimal(special),
                effective_from=start,
            )
        )
    for sku, province, city, min_price in FLOORS:
        session.add(
            PriceFloor(
                product_id=product_ids[sku],
                province=province,
                city=city,
                min_price=Decimal(min_price),
            )
        )
