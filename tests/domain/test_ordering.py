"""The order service: exactly-once placement, approval routing, who may change what."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.bootstrap import App
from domain.catalog import product_by_sku
from domain.enums import Platform
from domain.models import Order, OrderEvent
from domain.network import Person, person_for_identity
from domain.ordering import (
    OrderStatus,
    PricedLine,
    Transition,
    approvers_for,
    move_order,
    order_view,
    order_views,
    place_order,
)

TODAY = date(2026, 12, 3)


async def _person(app: App, code: str) -> Person:
    async with app.db.transaction() as session:
        person = await person_for_identity(session, Platform.CONSOLE, code)
    assert person is not None
    return person


async def _lines(app: App) -> list[PricedLine]:
    async with app.db.transaction() as session:
        product = await product_by_sku(session, "A100")
    assert product is not None
    return [PricedLine(product, 10, Decimal("38.50"))]


async def _place(app: App, person: Person, key: str = "cart-1") -> int:
    lines = await _lines(app)
    async with app.db.transaction() as session:
        placement = await place_order(
            session, app.clock, person, lines, confirm_key=key, timezone="Asia/Shanghai"
        )
    return placement.order.id


async def test_concurrent_placements_of_one_cart_make_one_order(demo_app: App) -> None:
    person = await _person(demo_app, "S201")
    lines = await _lines(demo_app)

    async def confirm() -> tuple[int, bool]:
        async with demo_app.db.transaction() as session:
            placement = await place_order(
                session,
                demo_app.clock,
                person,
                lines,
                confirm_key="same-cart",
                timezone="Asia/Shanghai",
            )
        return placement.order.id, placement.created

    results = await asyncio.gather(*(confirm() for _ in range(20)))
    assert len({order_id for order_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    async with demo_app.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Order)) == 1


async def test_order_numbers_count_up_per_day(demo_app: App) -> None:
    person = await _person(demo_app, "S201")
    first = await _place(demo_app, person, "a")
    second = await _place(demo_app, person, "b")
    async with demo_app.db.transaction() as session:
        numbers = [(await order_view(session, i)).number for i in (first, second)]  # type: ignore[union-attr]
    assert numbers == ["PO-20261203-0001", "PO-20261203-0002"]


async def test_a_tier2_order_goes_to_its_tier1_and_a_tier1_order_to_the_brand(
    demo_app: App,
) -> None:
    tier2 = await _place(demo_app, await _person(demo_app, "S201"), "t2")
    tier1 = await _place(demo_app, await _person(demo_app, "T101"), "t1")
    direct = await _place(demo_app, await _person(demo_app, "S206"), "direct")  # no parent
    async with demo_app.db.transaction() as session:
        routed = {}
        for order_id in (tier2, tier1, direct):
            order = await order_view(session, order_id)
            assert order is not None
            routed[order_id] = [c.name for c in await approvers_for(session, order)]
    assert routed[tier2] == ["陈建国"]
    assert routed[tier1] == ["李娜"]
    assert routed[direct] == ["李娜"]


@pytest.mark.parametrize(
    ("actor", "outcome"),
    [
        ("T101", Transition.DONE),  # the parent's staff
        ("M001", Transition.DONE),  # the brand's manager may always decide
        ("T102", Transition.NOT_FOUND),  # another tier-1 does not even see it
        ("S206", Transition.NOT_FOUND),  # another distributor
        ("S201", Transition.NOT_ALLOWED),  # the orderer cannot approve its own order
        ("R001", Transition.NOT_ALLOWED),  # the rep sees it but does not approve
    ],
)
async def test_only_the_right_approver_approves(
    demo_app: App, actor: str, outcome: Transition
) -> None:
    order_id = await _place(demo_app, await _person(demo_app, "S201"))
    person = await _person(demo_app, actor)
    async with demo_app.db.transaction() as session:
        result = await move_order(session, demo_app.clock, person, order_id, OrderStatus.APPROVED)
    assert result.outcome is outcome


async def test_a_second_approver_learns_who_decided(demo_app: App) -> None:
    order_id = await _place(demo_app, await _person(demo_app, "S201"))
    tier1 = await _person(demo_app, "T101")
    manager = await _person(demo_app, "M001")
    async with demo_app.db.transaction() as session:
        await move_order(session, demo_app.clock, tier1, order_id, OrderStatus.APPROVED)
    async with demo_app.db.transaction() as session:
        late = await move_order(
            session, demo_app.clock, manager, order_id, OrderStatus.REJECTED, "too late"
        )
    assert late.outcome is Transition.ALREADY_DECIDED
    assert late.order is not None
    assert late.order.decided_by_name == "陈建国"
    assert late.order.status is OrderStatus.APPROVED


async def test_every_status_change_is_an_event(demo_app: App) -> None:
    order_id = await _place(demo_app, await _person(demo_app, "S201"))
    tier1 = await _person(demo_app, "T101")
    orderer = await _person(demo_app, "S201")
    for actor, target in (
        (tier1, OrderStatus.APPROVED),
        (tier1, OrderStatus.SHIPPED),
        (orderer, OrderStatus.RECEIVED),
    ):
        async with demo_app.db.transaction() as session:
            result = await move_order(session, demo_app.clock, actor, order_id, target)
        assert result.outcome is Transition.DONE
    async with demo_app.db.transaction() as session:
        statuses = list(
            await session.scalars(
                select(OrderEvent.status)
                .where(OrderEvent.order_id == order_id)
                .order_by(OrderEvent.id)
            )
        )
    assert statuses == ["pending", "approved", "shipped", "received"]


async def test_cancel_only_while_pending_and_only_by_the_orderer(demo_app: App) -> None:
    orderer = await _person(demo_app, "S201")
    tier1 = await _person(demo_app, "T101")
    order_id = await _place(demo_app, orderer)
    async with demo_app.db.transaction() as session:
        refused = await move_order(session, demo_app.clock, tier1, order_id, OrderStatus.CANCELLED)
        assert refused.outcome is Transition.NOT_ALLOWED
        done = await move_order(session, demo_app.clock, orderer, order_id, OrderStatus.CANCELLED)
        assert done.outcome is Transition.DONE
        again = await move_order(session, demo_app.clock, tier1, order_id, OrderStatus.APPROVED)
        assert again.outcome is Transition.ALREADY_DECIDED


async def test_a_page_of_orders_keeps_each_orders_own_lines_events_and_decider(
    demo_app: App,
) -> None:
    first = await _place(demo_app, await _person(demo_app, "S201"), "cart-a")
    second = await _place(demo_app, await _person(demo_app, "S201"), "cart-b")
    tier1 = await _person(demo_app, "T101")
    async with demo_app.db.transaction() as session:
        await move_order(session, demo_app.clock, tier1, second, OrderStatus.APPROVED)
    async with demo_app.db.transaction() as session:
        views = await order_views(session, [second, 999_999, first])
        one_by_one = [await order_view(session, second), await order_view(session, first)]
    assert [view.id for view in views] == [second, first]  # as asked, the unknown left out
    assert views == one_by_one
    assert [e.status for e in views[0].events] == [OrderStatus.PENDING, OrderStatus.APPROVED]
    assert views[0].decided_by_name == "陈建国"
    assert [e.status for e in views[1].events] == [OrderStatus.PENDING]
    assert views[1].decided_by_name is None
    assert [line.sku for line in views[1].lines] == ["A100"]
