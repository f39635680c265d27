"""Orders: placing one exactly once, routing it to its approver, and every change after that."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.catalog import ProductView, products_by_ids
from domain.clock import Clock
from domain.db import dialect_of
from domain.enums import Role, Tier
from domain.models import (
    Distributor,
    Order,
    OrderEvent,
    OrderLine,
    OrderNumberCounter,
    User,
)
from domain.network import Person
from domain.pricing import prices_for

MAX_LINES = 30


class OrderStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SHIPPED = "shipped"
    RECEIVED = "received"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Contact:
    """Someone to tell about an order, in their own language."""

    user_id: int
    name: str
    locale: str


@dataclass(frozen=True, slots=True)
class PricedLine:
    product: ProductView
    quantity: int
    unit_price: Decimal | None  # None: no price in effect for this distributor

    @property
    def line_total(self) -> Decimal:
        return (self.unit_price or Decimal(0)) * self.quantity


@dataclass(frozen=True, slots=True)
class OrderLineView:
    sku: str
    name_zh: str
    name_en: str
    unit: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal

    def name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") else self.name_en


@dataclass(frozen=True, slots=True)
class OrderEventView:
    status: OrderStatus
    actor_name: str | None
    at: datetime
    note: str | None


@dataclass(frozen=True, slots=True)
class OrderView:
    id: int
    number: str
    status: OrderStatus
    distributor_id: int
    distributor_code: str
    distributor_name: str
    distributor_tier: Tier
    distributor_rep_id: int | None
    approver_distributor_id: int | None
    placed_by: Contact
    total: Decimal
    submitted_at: datetime
    decided_by_name: str | None
    decided_at: datetime | None
    reject_reason: str | None
    lines: tuple[OrderLineView, ...]
    events: tuple[OrderEventView, ...]


# -- pricing a cart ----------------------------------------------------------------------------


async def price_cart(
    session: AsyncSession, distributor_id: int, lines: Sequence[tuple[int, int]], on: date
) -> list[PricedLine]:
    """Today's prices for (product id, quantity) pairs; unknown or inactive products drop out."""
    ids = [pid for pid, _ in lines]
    prices = await prices_for(session, distributor_id, ids, on)
    products = await products_by_ids(session, ids)
    priced = []
    for product_id, quantity in lines:
        product = products.get(product_id)
        if product is None or not product.active:
            continue
        priced.append(PricedLine(product, quantity, prices.get(product_id)))
    return priced


def cart_total(lines: Sequence[PricedLine]) -> Decimal:
    return sum((line.line_total for line in lines), Decimal("0.00"))


# -- placing -------------------------------------------------------------------------------------


class PlacementProblem(StrEnum):
    EMPTY = "empty"
    UNPRICED = "unpriced"
    NO_DISTRIBUTOR = "no_distributor"


class PlacementRefused(Exception):
    def __init__(self, problem: PlacementProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Placement:
    order: OrderView
    created: bool  # False: this cart had already been placed (a repeated confirm)


async def _next_number(session: AsyncSession, day: date) -> str:
    key = day.strftime("%Y%m%d")
    insert = pg_insert if dialect_of(session) == "postgresql" else sqlite_insert
    counted = (
        insert(OrderNumberCounter)
        .values(day=key, last=1)
        .on_conflict_do_update(index_elements=["day"], set_={"last": OrderNumberCounter.last + 1})
        .returning(OrderNumberCounter.last)
    )
    last = (await session.execute(counted)).scalar_one()
    return f"PO-{key}-{last:04d}"


async def place_order(
    session: AsyncSession,
    clock: Clock,
    person: Person,
    lines: Sequence[PricedLine],
    *,
    confirm_key: str,
    timezone: str,
) -> Placement:
    """Create the order for a confirmed cart, once: the cart's key is unique in the database."""
    existing = await _order_id_by_confirm_key(session, confirm_key)
    if existing is not None:
        return Placement(await _must_view(session, existing), created=False)
    if person.distributor is None:
        raise PlacementRefused(PlacementProblem.NO_DISTRIBUTOR)
    if not lines:
        raise PlacementRefused(PlacementProblem.EMPTY)
    if any(line.unit_price is None for line in lines):
        raise PlacementRefused(PlacementProblem.UNPRICED)
    now = clock.now()
    distributor = person.distributor
    approver = distributor.parent_id if distributor.tier is Tier.TWO else None
    try:
        async with session.begin_nested():
            order = Order(
                number=await _next_number(session, now.astimezone(ZoneInfo(timezone)).date()),
                confirm_key=confirm_key,
                distributor_id=distributor.id,
                placed_by_id=person.user_id,
                status=OrderStatus.PENDING.value,
                approver_distributor_id=approver,
                total=cart_total(lines),
                submitted_at=now,
                updated_at=now,
            )
            session.add(order)
            await session.flush()
            for line in lines:
                assert line.unit_price is not None
                session.add(
                    OrderLine(
                        order_id=order.id,
                        product_id=line.product.id,
                        sku=line.product.sku,
                        name_zh=line.product.name_zh,
                        name_en=line.product.name_en,
                        unit=line.product.unit,
                        quantity=line.quantity,
                        unit_price=line.unit_price,
                        line_total=line.line_total,
                    )
                )
            session.add(
                OrderEvent(
                    order_id=order.id,
                    status=OrderStatus.PENDING.value,
                    actor_id=person.user_id,
                    at=now,
                    note=None,
                )
            )
            await session.flush()
    except IntegrityError:
        # Another process confirmed the same cart at the same moment: that order stands.
        existing = await _order_id_by_confirm_key(session, confirm_key)
        if existing is None:
            raise
        return Placement(await _must_view(session, existing), created=False)
    return Placement(await _must_view(session, order.id), created=True)


async def order_by_confirm_key(session: AsyncSession, confirm_key: str) -> OrderView | None:
    order_id = await _order_id_by_confirm_key(session, confirm_key)
    return await order_view(session, order_id) if order_id is not None else None


async def _order_id_by_confirm_key(session: AsyncSession, confirm_key: str) -> int | None:
    return await session.scalar(select(Order.id).where(Order.confirm_key == confirm_key))


# -- reading -----------------------------------------------------------------------------------


async def order_view(session: AsyncSession, order_id: int) -> OrderView | None:
    views = await order_views(session, [order_id])
    return views[0] if views else None


async def order_views(session: AsyncSession, order_ids: Sequence[int]) -> list[OrderView]:
    """The orders as people see them, in the order asked for (unknown ids left out): four
    statements however many orders, so a page of the history costs what one order does."""
    found = (
        await session.execute(
            select(Order, Distributor, User)
            .join(Distributor, Distributor.id == Order.distributor_id)
            .join(User, User.id == Order.placed_by_id)
            .where(Order.id.in_(order_ids))
        )
    ).all()
    if not found:
        return []
    decider_ids = {order.decided_by_id for order, _, _ in found if order.decided_by_id}
    deciders = dict(
        (await session.execute(select(User.id, User.name).where(User.id.in_(decider_ids)))).all()
        if decider_ids
        else []
    )
    lines: dict[int, list[OrderLineView]] = {}
    for line in await session.scalars(
        select(OrderLine).where(OrderLine.order_id.in_(order_ids)).order_by(OrderLine.id)
    ):
        lines.setdefault(line.order_id, []).append(
            OrderLineView(
                line.sku,
                line.name_zh,
                line.name_en,
                line.unit,
                line.quantity,
                line.unit_price,
                line.line_total,
            )
        )
    events: dict[int, list[OrderEventView]] = {}
    for event, name in await session.execute(
        select(OrderEvent, User.name)
        .outerjoin(User, User.id == OrderEvent.actor_id)
        .where(OrderEvent.order_id.in_(order_ids))
        .order_by(OrderEvent.id)
    ):
        events.setdefault(event.order_id, []).append(
            OrderEventView(OrderStatus(event.status), name, event.at, event.note)
        )
    views = {
        order.id: OrderView(
            id=order.id,
            number=order.number,
            status=OrderStatus(order.status),
            distributor_id=distributor.id,
            distributor_code=distributor.code,
            distributor_name=distributor.name,
            distributor_tier=Tier(distributor.tier),
            distributor_rep_id=distributor.rep_id,
            approver_distributor_id=order.approver_distributor_id,
            placed_by=Contact(placer.id, placer.name, placer.locale),
            total=order.total,
            submitted_at=order.submitted_at,
            decided_by_name=deciders.get(order.decided_by_id) if order.decided_by_id else None,
            decided_at=order.decided_at,
            reject_reason=order.reject_reason,
            lines=tuple(lines.get(order.id, ())),
            events=tuple(events.get(order.id, ())),
        )
        for order, distributor, placer in found
    }
    return [views[order_id] for order_id in order_ids if order_id in views]


async def _must_view(session: AsyncSession, order_id: int) -> OrderView:
    view = await order_view(session, order_id)
    assert view is not None
    return view


def can_see_order(person: Person, order: OrderView) -> bool:
    """Own distributor's orders; a tier-1 also its network's; a rep its accounts'; brand all."""
    if person.role in (Role.MANAGER, Role.ADMIN):
        return True
    if person.role is Role.FIELD_REP:
        return order.distributor_rep_id == person.user_id
    if person.distributor is not None and order.distributor_id == person.distributor.id:
        return True
    if person.role is Role.TIER1_STAFF and person.distributor is not None:
        return order.approver_distributor_id == person.distributor.id
    return False


def is_approver(person: Person, order: OrderView) -> bool:
    """The tier-1 parent's staff for a tier-2 order; the brand's managers for any order."""
    if person.role in (Role.MANAGER, Role.ADMIN):
        return True
    return (
        person.role is Role.TIER1_STAFF
        and person.distributor is not None
        and order.approver_distributor_id == person.distributor.id
    )


def is_orderer(person: Person, order: OrderView) -> bool:
    return person.distributor is not None and person.distributor.id == order.distributor_id


@dataclass(frozen=True, slots=True)
class OrderPage:
    orders: tuple[OrderView, ...]
    total: int


async def orders_visible_to(
    session: AsyncSession, person: Person, *, offset: int = 0, limit: int = 8
) -> OrderPage:
    """Newest first, within the person's scope."""
    query = select(Order.id)
    if person.role in (Role.MANAGER, Role.ADMIN):
        pass
    elif person.role is Role.FIELD_REP:
        query = query.join(Distributor, Distributor.id == Order.distributor_id).where(
            Distributor.rep_id == person.user_id
        )
    elif person.distributor is not None:
        own = Order.distributor_id == person.distributor.id
        if person.role is Role.TIER1_STAFF:
            query = query.where(or_(own, Order.approver_distributor_id == person.distributor.id))
        else:
            query = query.where(own)
    else:
        return OrderPage((), 0)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ids = await session.scalars(
        query.order_by(Order.submitted_at.desc(), Order.id.desc()).offset(offset).limit(limit)
    )
    return OrderPage(tuple(await order_views(session, list(ids))), total)


async def last_order_lines(session: AsyncSession, distributor_id: int) -> list[tuple[int, int]]:
    """(product id, quantity) of the distributor's most recent order that was not cancelled."""
    last = await session.scalar(
        select(Order.id)
        .where(Order.distributor_id == distributor_id, Order.status != OrderStatus.CANCELLED.value)
        .order_by(Order.submitted_at.desc(), Order.id.desc())
        .limit(1)
    )
    if last is None:
        return []
    rows = await session.execute(
        select(OrderLine.product_id, OrderLine.quantity)
        .where(OrderLine.order_id == last)
        .order_by(OrderLine.id)
    )
    return [(product_id, quantity) for product_id, quantity in rows]


async def approvers_for(session: AsyncSession, order: OrderView) -> list[Contact]:
    """Who is asked to approve: the tier-1 parent's staff, or the brand's managers."""
    if order.approver_distributor_id is not None:
        query = select(User).where(
            User.distributor_id == order.approver_distributor_id,
            User.role == Role.TIER1_STAFF.value,
            User.active.is_(True),
        )
        found = list(await session.scalars(query.order_by(User.id)))
        if found:
            return [Contact(u.id, u.name, u.locale) for u in found]
    return await managers(session)


async def managers(session: AsyncSession) -> list[Contact]:
    found = await session.scalars(
        select(User).where(User.role == Role.MANAGER.value, User.active.is_(True)).order_by(User.id)
    )
    return [Contact(u.id, u.name, u.locale) for u in found]


# -- changing status --------------------------------------------------------------------------


class Transition(StrEnum):
    DONE = "done"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"
    ALREADY_DECIDED = "already_decided"  # someone else (or this person) acted first
    WRONG_STATUS = "wrong_status"


@dataclass(frozen=True, slots=True)
class TransitionResult:
    outcome: Transition
    order: OrderView | None = None


# target status -> (statuses it may come from, who may do it)
_RULES: dict[OrderStatus, tuple[frozenset[OrderStatus], str]] = {
    OrderStatus.APPROVED: (frozenset({OrderStatus.PENDING}), "approver"),
    OrderStatus.REJECTED: (frozenset({OrderStatus.PENDING}), "approver"),
    OrderStatus.CANCELLED: (frozenset({OrderStatus.PENDING}), "orderer"),
    OrderStatus.SHIPPED: (frozenset({OrderStatus.APPROVED}), "approver"),
    OrderStatus.RECEIVED: (frozenset({OrderStatus.SHIPPED}), "orderer"),
}


def may_move(person: Person, order: OrderView, target: OrderStatus) -> bool:
    sources, party = _RULES[target]
    if order.status not in sources:
        return False
    return is_approver(person, order) if party == "approver" else is_orderer(person, order)


async def move_order(
    session: AsyncSession,
    clock: Clock,
    person: Person,
    order_id: int,
    target: OrderStatus,
    note: str | None = None,
) -> TransitionResult:
    """Change an order's status if this person may, exactly once, and record the event."""
    order = await order_view(session, order_id)
    if order is None or not can_see_order(person, order):
        return TransitionResult(Transition.NOT_FOUND)
    sources, party = _RULES[target]
    allowed = is_approver(person, order) if party == "approver" else is_orderer(person, order)
    if not allowed:
        return TransitionResult(Transition.NOT_ALLOWED, order)
    if order.status not in sources:
        decided = target in (OrderStatus.APPROVED, OrderStatus.REJECTED) and order.status in (
            OrderStatus.APPROVED,
            OrderStatus.REJECTED,
            OrderStatus.CANCELLED,
            OrderStatus.SHIPPED,
            OrderStatus.RECEIVED,
        )
        return TransitionResult(
            Transition.ALREADY_DECIDED if decided else Transition.WRONG_STATUS, order
        )
    now = clock.now()
    values: dict[str, object] = {"status": target.value, "updated_at": now}
    if target in (OrderStatus.APPROVED, OrderStatus.REJECTED, OrderStatus.CANCELLED):
        values |= {"decided_at": now, "decided_by_id": person.user_id}
    if target is OrderStatus.REJECTED:
        values["reject_reason"] = note
    # The status in the WHERE clause makes concurrent decisions race safely: one row matches.
    changed = await session.execute(
        update(Order)
        .where(Order.id == order_id, Order.status.in_([s.value for s in sources]))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        return TransitionResult(Transition.ALREADY_DECIDED, await order_view(session, order_id))
    session.add(
        OrderEvent(
            order_id=order_id, status=target.value, actor_id=person.user_id, at=now, note=note
        )
    )
    await session.flush()
    return TransitionResult(Transition.DONE, await _must_view(session, order_id))


async def contact_of(session: AsyncSession, user_id: int) -> Contact | None:
    user = await session.get(User, user_id)
    return Contact(user.id, user.name, user.locale) if user else None
